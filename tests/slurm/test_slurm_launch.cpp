// `galien launch` through the real executable without a cluster: dry-run scripts against a
// fixture, refusals before anything is written, and a sweep run locally through mpirun.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

namespace fs = std::filesystem;

const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;

struct Output {
  int code;
  std::string text;
};

// stderr is dropped unless asked for: a dry run's stdout is exactly the script.
Output run(const std::string& args, bool with_stderr = true) {
  const std::string command =
      "cd " + kSource + " && " + kGalien + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SlurmLaunch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(GALIEN_TEST_TMP) + "/slurm-launch/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  std::string dir_;
};

// The job a Jean Zay user would write for 2 H100 nodes, 10 hours: account abc@h100, constraint
// h100, QoS qos_gpu_h100-t3, 4 tasks and 4 GPUs per node, 24 cores per task. The fixture is the
// whole script with this machine's paths replaced by @GALIEN@ and @SOURCE@.
TEST_F(SlurmLaunch, JeanZayH100DryRunMatchesTheFixture) {
  const Output out =
      run("launch configs/wdbc-mlp.yaml --cluster jean-zay-h100 --nodes 2 "
          "--time 10:00:00 --account abc --dry-run "
          "trainer.run_dir=/lustre/fswork/projects/abc/runs/wdbc-h100",
          false);
  ASSERT_EQ(out.code, 0) << out.text;
  std::string script = out.text;
  replace_all(script, kGalien, "@GALIEN@");
  replace_all(script, kSource, "@SOURCE@");
  for (const char* line :
       {"#SBATCH --account=abc@h100\n", "#SBATCH --constraint=h100\n",
        "#SBATCH --qos=qos_gpu_h100-t3\n", "#SBATCH --ntasks-per-node=4\n",
        "#SBATCH --gres=gpu:4\n", "#SBATCH --nodes=2\n", "#SBATCH --cpus-per-task=24\n",
        "#SBATCH --hint=nomultithread\n", "#SBATCH --time=10:00:00\n",
        "#SBATCH --signal=B:USR1@300\n", "#SBATCH --requeue\n", "#SBATCH --open-mode=append\n",
        "module load arch/h100\n"})
    EXPECT_TRUE(contains(script, line)) << line << "\n" << script;
  const std::string fixture = kSource + "/tests/slurm/fixtures/jean-zay-h100.sh";
  EXPECT_EQ(script, read_text(fixture))
      << "the rendered script differs from " << fixture << "; if the change is intended, "
      << "update the fixture from this output:\n"
      << script;
  EXPECT_FALSE(
      fs::exists("/lustre/fswork/projects/abc/runs/wdbc-h100"));  // a dry run writes nothing
}

TEST_F(SlurmLaunch, TimeAboveTheLongestQosIsRefusedWithTheLimit) {
  const Output out =
      run("launch configs/wdbc-mlp.yaml --cluster jean-zay-h100 --time 120:00:00 "
          "--account abc --dry-run");
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_TRUE(contains(out.text, "qos_gpu_h100-t4 allows 100:00:00")) << out.text;
}

TEST_F(SlurmLaunch, UnknownClusterAndClusterFlagsWithoutClusterAreRefused) {
  Output out = run("launch configs/wdbc-mlp.yaml --cluster jean-zay-h10 --dry-run");
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_TRUE(contains(out.text, "did you mean 'jean-zay-h100'")) << out.text;
  out = run("launch configs/wdbc-mlp.yaml --nodes 2 --dry-run");
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_TRUE(contains(out.text, "need --cluster")) << out.text;
}

TEST_F(SlurmLaunch, BadSweepPointIsRefusedBeforeSubmission) {
  const std::string config = dir_ + "/sweep.yaml";
  std::ofstream(config) << "extends: " << kSource << "/configs/wdbc-mlp.yaml\n"
                        << "sweep:\n  values: [\"optim.learning_rate=[0.01, 50]\"]\n";
  const Output out = run("launch " + config + " --cluster generic --dry-run");
  EXPECT_EQ(out.code, 2) << out.text;
  // At the entry's line and column, before any point's config is loaded.
  EXPECT_TRUE(contains(out.text, config + ":3:12: sweep.values[0] "
                                          "'optim.learning_rate=[0.01, 50]': optim.learning_rate "
                                          "must be a number in (0, 10], got '50'"))
      << out.text;
}

TEST_F(SlurmLaunch, IreneDryRunUsesBridge) {
  const Output out =
      run("launch configs/wdbc-mlp.yaml --cluster irene-v100 --nodes 2 "
          "--time 02:00:00 --account gen1234 --dry-run",
          false);
  ASSERT_EQ(out.code, 0) << out.text;
  for (const char* line :
       {"#MSUB -N 2\n", "#MSUB -n 8\n", "#MSUB -c 10\n", "#MSUB -T 7200\n", "#MSUB -q v100\n",
        "#MSUB -A gen1234\n", "#MSUB -Q normal\n", "ccc_mprun \\\n"})
    EXPECT_TRUE(contains(out.text, line)) << line << "\n" << out.text;
}

// Without Slurm, a sweep runs its points one after the other through mpirun.
TEST_F(SlurmLaunch, LocalSweepRunsEveryPointAndWritesTheSummary) {
  ASSERT_EQ(run("keygen " + dir_ + "/k.key").code, 0);
  const std::string data = "privacy.key_file=" + dir_ + "/k.key data.shard_dir=" + dir_ + "/shards";
  const Output shard = run("shard configs/wdbc-mlp.yaml " + data);
  ASSERT_EQ(shard.code, 0) << shard.text;
  const std::string config = dir_ + "/sweep.yaml";
  std::ofstream(config) << "extends: " << kSource << "/configs/wdbc-mlp.yaml\n"
                        << "sweep:\n  values: [\"model.hidden=[[8], [16, 8]]\"]\n";
  const Output out = run("launch " + config + " --ranks 2 " + data + " trainer.epochs=1 " +
                         "trainer.run_dir=" + dir_ + "/sweep");
  ASSERT_EQ(out.code, 0) << out.text;
  const std::string table = read_text(dir_ + "/sweep/summary.md");
  EXPECT_TRUE(contains(table, "| point-0 | [8] | completed | 1 |")) << table << out.text;
  EXPECT_TRUE(contains(table, "| point-1 | [16, 8] | completed | 1 |")) << table << out.text;
}

}  // namespace
