// Torch-free parts of the trainer: schedule, watchdog, stop signal.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <thread>

#include "trainers/loop/lr_schedule.h"
#include "trainers/distributed/stop_signal.h"
#include "trainers/distributed/watchdog.h"

namespace galien {
namespace {

OptimConfig optim(const std::string& schedule) {
  OptimConfig c;
  c.learning_rate = 0.1;
  c.schedule = schedule;
  return c;
}

TEST(LrSchedule, WarmupRisesLinearlyThenCosineReachesTheFloor) {
  OptimConfig c = optim("cosine");
  c.warmup_steps = 4;
  c.min_learning_rate = 0.01;
  LrSchedule s(c, 32, 104, 10);
  EXPECT_NEAR(s.at(0), 0.1 * 1 / 5, 1e-12);
  EXPECT_NEAR(s.at(3), 0.1 * 4 / 5, 1e-12);
  EXPECT_NEAR(s.at(4), 0.1, 1e-12);                  // cosine starts at the base rate
  EXPECT_NEAR(s.at(4 + 50), 0.01 + 0.09 * 0.5, 1e-12);  // halfway
  EXPECT_NEAR(s.at(104), 0.01, 1e-12);
}

TEST(LrSchedule, StepDecaysEveryNEpochs) {
  OptimConfig c = optim("step");
  c.step_epochs = 2;
  c.gamma = 0.5;
  LrSchedule s(c, 32, 100, 10);
  EXPECT_NEAR(s.at(19), 0.1, 1e-12);   // epoch 1
  EXPECT_NEAR(s.at(20), 0.05, 1e-12);  // epoch 2
  EXPECT_NEAR(s.at(45), 0.025, 1e-12); // epoch 4
}

TEST(LrSchedule, PlateauDecaysAfterPatienceAndSurvivesASaveLoad) {
  OptimConfig c = optim("plateau");
  c.plateau_patience = 1;
  c.gamma = 0.1;
  LrSchedule s(c, 32, 100, 10);
  s.end_of_epoch(1.0, false);
  s.end_of_epoch(1.1, false);  // 1 bad epoch: within patience
  EXPECT_NEAR(s.at(0), 0.1, 1e-12);
  s.end_of_epoch(1.2, false);  // 2 bad epochs: decay
  EXPECT_NEAR(s.at(0), 0.01, 1e-12);
  LrSchedule restored(c, 32, 100, 10);
  restored.load_state(s.state());
  EXPECT_NEAR(restored.at(0), 0.01, 1e-12);
}

TEST(LrSchedule, LinearScalingRule) {
  OptimConfig c = optim("none");
  c.linear_scaling_batch = 256;
  EXPECT_NEAR(LrSchedule(c, 1024, 10, 1).at(5), 0.4, 1e-12);
}

TEST(Watchdog, FiresWhenACollectiveTakesTooLongAndNamesIt) {
  std::atomic<bool> fired{false};
  std::string message;
  {
    Watchdog dog(0.2, 3, [&](const std::string& m) { message = m; fired = true; },
                 std::chrono::milliseconds(20));
    dog.set_step(41);
    WatchScope scope(&dog, "MPI_Allreduce(float)");
    for (int i = 0; i < 200 && !fired; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fired);
  EXPECT_NE(message.find("rank 3"), std::string::npos) << message;
  EXPECT_NE(message.find("MPI_Allreduce(float)"), std::string::npos) << message;
  EXPECT_NE(message.find("step 41"), std::string::npos) << message;
}

TEST(Watchdog, StaysQuietForShortCollectives) {
  std::atomic<bool> fired{false};
  {
    Watchdog dog(0.5, 0, [&](const std::string&) { fired = true; }, std::chrono::milliseconds(10));
    for (int i = 0; i < 20; ++i) {
      WatchScope scope(&dog, "MPI_Barrier");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // idle: nothing to watch
  }
  EXPECT_FALSE(fired);
}

TEST(StopSignal, UsrOneAndTermSetTheFlag) {
  install_stop_handlers();
  clear_stop_request();
  EXPECT_FALSE(stop_requested());
  std::raise(SIGUSR1);
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal_number(), SIGUSR1);
  clear_stop_request();
  std::raise(SIGTERM);
  EXPECT_EQ(stop_signal_number(), SIGTERM);
  clear_stop_request();
}

}  // namespace
}  // namespace galien
