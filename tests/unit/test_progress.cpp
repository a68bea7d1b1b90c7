// Progress display: formatting, and the redraw policy driven by an injected clock, without a
// terminal (the output goes to a string stream).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "trainers/observability/progress.h"

namespace galien {
namespace {

TEST(Progress, FormatsEta) {
  EXPECT_EQ(format_eta(0), "00:00");
  EXPECT_EQ(format_eta(59.4), "00:59");
  EXPECT_EQ(format_eta(61), "01:01");
  EXPECT_EQ(format_eta(3599), "59:59");
  EXPECT_EQ(format_eta(3600), "1:00:00");
  EXPECT_EQ(format_eta(25 * 3600 + 61), "25:01:01");
  EXPECT_EQ(format_eta(-5), "00:00");
  EXPECT_EQ(format_eta(std::numeric_limits<double>::quiet_NaN()), "--:--");
  EXPECT_EQ(format_eta(std::numeric_limits<double>::infinity()), "--:--");
}

TEST(Progress, LineNamesEpochStepLossThroughputAndEta) {
  ProgressState s;
  s.epoch = 2;
  s.epochs = 10;
  s.step = 35;
  s.steps = 120;
  s.loss = 0.42134;
  s.samples_per_s = 1250.4;
  s.eta_s = 83;
  EXPECT_EQ(format_progress_line(s),
            "epoch 2/10 | step 35/120 | loss 0.4213 | 1250 samples/s | ETA 01:23");
}

TEST(Progress, ThrottleLetsTenRedrawsASecondThrough) {
  RedrawThrottle throttle(0.1);
  EXPECT_TRUE(throttle.ready(5.00));  // the first always draws
  EXPECT_FALSE(throttle.ready(5.05));
  EXPECT_FALSE(throttle.ready(5.099));
  EXPECT_TRUE(throttle.ready(5.101));
  EXPECT_FALSE(throttle.ready(5.15));
  EXPECT_TRUE(throttle.ready(7.00));
}

struct FakeClock {
  double now = 100.0;
  ProgressDisplay::Clock function() {
    return [this] { return now; };
  }
};

TEST(Progress, StateTracksLossThroughputAndEta) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(out, false, 2, 4, clock.function());
  progress.begin_epoch(1);
  clock.now += 1.0;
  progress.step(1.0, 30);
  clock.now += 1.0;
  progress.step(2.0, 10);
  const ProgressState s = progress.state();
  EXPECT_EQ(s.epoch, 1);
  EXPECT_EQ(s.step, 2);
  EXPECT_DOUBLE_EQ(s.loss, (1.0 * 30 + 2.0 * 10) / 40);  // weighted by samples
  EXPECT_DOUBLE_EQ(s.samples_per_s, 40 / 2.0);
  EXPECT_DOUBLE_EQ(s.eta_s, 6 * 1.0);  // 6 steps left at 1 s per step
}

TEST(Progress, StepsWithoutALossValueCountForThroughputOnly) {
  // On a GPU the trainer reads the loss every 20 steps and passes NaN in between.
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(out, false, 1, 4, clock.function());
  progress.begin_epoch(1);
  clock.now += 1.0;
  progress.step(std::nan(""), 30);
  EXPECT_TRUE(std::isnan(progress.state().loss));
  clock.now += 1.0;
  progress.step(2.0, 10);
  const ProgressState s = progress.state();
  EXPECT_DOUBLE_EQ(s.loss, 2.0);
  EXPECT_DOUBLE_EQ(s.samples_per_s, 40 / 2.0);
}

TEST(Progress, ResumedEpochCountsFromItsFirstStep) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(out, false, 2, 10, clock.function());
  progress.begin_epoch(2, 6);  // resumed at batch 6 of epoch 2
  clock.now += 2.0;
  progress.step(1.0, 5);
  const ProgressState s = progress.state();
  EXPECT_EQ(s.step, 7);
  EXPECT_DOUBLE_EQ(s.eta_s, 3 * 2.0);  // 3 steps left at this process's 2 s per step
}

TEST(Progress, TerminalRedrawsInPlaceAtMostTenTimesASecond) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(out, true, 1, 100, clock.function());
  progress.begin_epoch(1);
  for (int i = 0; i < 100; ++i) {  // 100 steps in 1 s
    clock.now += 0.01;
    progress.step(0.5, 8);
  }
  progress.end_epoch({{"val/auc", 0.91234}});
  const std::string text = out.str();
  const auto redraws = std::count(text.begin(), text.end(), '\r');
  EXPECT_GE(redraws, 9);   // every ~0.1 s, plus the final line
  EXPECT_LE(redraws, 12);  // not once per step
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  const std::string last = text.substr(text.rfind('\r') + 1);
  EXPECT_EQ(last.rfind("epoch 1/1 | step 100/100 | loss 0.5000 | 800 samples/s | ETA 00:00"
                       " | val/auc 0.9123", 0), 0u) << last;
}

TEST(Progress, ShorterLineBlanksTheRestOfTheLongerOne) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(out, true, 1, 10, clock.function());
  progress.begin_epoch(1);
  clock.now += 1.0;
  progress.step(123456.0, 1000000);  // a long line
  clock.now += 1.0;
  progress.step(0.0, 0);
  const std::string text = out.str();
  const auto first = text.find('\r'), second = text.find('\r', first + 1);
  ASSERT_NE(second, std::string::npos);
  EXPECT_GE(text.size() - second, second - first);  // overwrote at least the old width
}

TEST(Progress, LogFileGetsOnePlainLinePerEpoch) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(out, false, 2, 3, clock.function());
  for (int epoch = 1; epoch <= 2; ++epoch) {
    progress.begin_epoch(epoch);
    for (int i = 0; i < 3; ++i) {
      clock.now += 0.5;
      progress.step(0.25, 4);
    }
    progress.end_epoch();
  }
  EXPECT_EQ(out.str(),
            "epoch 1/2 | step 3/3 | loss 0.2500 | 8 samples/s | ETA 00:02\n"
            "epoch 2/2 | step 3/3 | loss 0.2500 | 8 samples/s | ETA 00:00\n");
}

}  // namespace
}  // namespace galien
