// Issue 4's failure behaviour through the real executable under mpirun: a signal stops every
// rank with a checkpoint and exit code 75; a killed rank takes the job down instead of hanging;
// kills while checkpoints are being written never leave the run unable to resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace {

namespace fs = std::filesystem;
const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;

class TrainingCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(GALIEN_TEST_TMP) + "/training-cli/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(std::system((kGalien + " keygen " + dir_ + "/k.key > /dev/null").c_str()), 0);
    ASSERT_EQ(std::system(("cd " + kSource + " && " + kGalien + " shard configs/wdbc-mlp.yaml " +
                           common() + " > /dev/null 2>&1").c_str()), 0);
  }
  std::string common() const {
    return "data.shard_dir=" + dir_ + "/shards privacy.key_file=" + dir_ + "/k.key";
  }
  // Starts `mpirun -np ranks galien train ...` in the source directory; returns mpirun's pid.
  pid_t start(int ranks, const std::string& overrides) const {
    const std::string root_flag = ::geteuid() == 0 ? " --allow-run-as-root" : "";
    const std::string command = "cd " + kSource + " && exec mpirun -np " + std::to_string(ranks) +
                                root_flag + " --bind-to none -x OMP_NUM_THREADS=1 " + kGalien + " train configs/wdbc-mlp.yaml " +
                                common() + " trainer.run_dir=" + dir_ + "/run " + overrides +
                                " >> " + dir_ + "/log.txt 2>&1";
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }
  // Exit code, or -1 if the process is still running after `seconds`.
  static int wait_exit(pid_t pid, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid, &status, WNOHANG) == pid)
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  bool wait_for(const std::string& path, double seconds) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (fs::exists(path)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  nlohmann::json summary() const {
    std::ifstream in(dir_ + "/run/summary.json");
    return in ? nlohmann::json::parse(in) : nlohmann::json();
  }
  std::string log() const {
    std::ifstream in(dir_ + "/log.txt");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string dir_;
};

const std::string kLong = "trainer.epochs=100000 trainer.batch_size=8";

TEST_F(TrainingCli, SigusrOneStopsEveryRankWithACheckpointAndExitCode75) {
  pid_t mpirun = start(2, kLong + " trainer.checkpoint_every_steps=1000000");
  ASSERT_TRUE(wait_for(dir_ + "/run/metrics.jsonl", 60)) << log();
  ::kill(mpirun, SIGUSR1);  // mpirun forwards it to the ranks
  const int code = wait_exit(mpirun, 60);
  EXPECT_EQ(code, 75) << log();
  auto s = summary();
  EXPECT_EQ(s.value("status", ""), "stopped") << s.dump();
  EXPECT_EQ(s.value("stop_signal", 0), SIGUSR1);
  EXPECT_TRUE(fs::exists(dir_ + "/run/checkpoints/last.pt"));
}

TEST_F(TrainingCli, AKilledRankEndsTheJobInsteadOfHanging) {
  pid_t mpirun = start(2, kLong + " trainer.collective_timeout_s=20");
  ASSERT_TRUE(wait_for(dir_ + "/run/metrics.jsonl", 60)) << log();
  // Kill one rank (a child of mpirun) as the OOM killer would.
  FILE* ps = ::popen(("pgrep -P " + std::to_string(mpirun)).c_str(), "r");
  int rank_pid = 0;
  ASSERT_EQ(std::fscanf(ps, "%d", &rank_pid), 1);
  ::pclose(ps);
  ::kill(rank_pid, SIGKILL);
  const int code = wait_exit(mpirun, 30);  // well within the watchdog timeout + slack
  if (code == -1) ::kill(-mpirun, SIGKILL);
  EXPECT_NE(code, -1) << "the job hung after a rank was killed\n" << log();
  EXPECT_NE(code, 0) << log();
}

TEST_F(TrainingCli, KillsWhileCheckpointingNeverLoseTheLastGoodCheckpoint) {
  // A checkpoint every step, and a bigger model so that writes take a noticeable time.
  const std::string overrides = "trainer.epochs=1 trainer.batch_size=16 "
                                "trainer.checkpoint_every_steps=1 model.hidden=[512,512]";
  for (int attempt = 0; attempt < 3; ++attempt) {
    pid_t mpirun = start(1, overrides);
    ASSERT_TRUE(wait_for(dir_ + "/run/checkpoints/last.pt", 60)) << log();
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 97 * attempt));
    ::kill(-mpirun, SIGKILL);  // the whole process group: mpirun and the rank, mid-write
    wait_exit(mpirun, 30);
  }
  // The same command resumes from last.pt (trainer.resume=auto) and completes.
  pid_t mpirun = start(1, overrides);
  EXPECT_EQ(wait_exit(mpirun, 120), 0) << log();
  EXPECT_EQ(summary().value("status", ""), "completed") << log();
  EXPECT_NE(log().find("resumed from"), std::string::npos) << log();
}

}  // namespace
