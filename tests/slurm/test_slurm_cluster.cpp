// Real jobs on a real Slurm: the single-node cluster of scripts/slurm-test-cluster.sh (ctest
// fixture "slurm", which also shards the WDBC table with a fresh key). Every job goes through
// `galien launch --cluster`, sbatch and `srun --mpi=pmix` exactly as on a supercomputer.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

namespace {

namespace fs = std::filesystem;

const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;
const std::string kTmp = GALIEN_SLURM_TMP;
const std::string kData = kTmp + "/data";

struct Output {
  int code;
  std::string text;
};

Output run(const std::string& command) {
  FILE* pipe = popen(("cd " + kSource + " && " + command + " 2>&1").c_str(), "r");
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

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

std::size_t count_lines(const std::string& path) {
  const std::string text = read_text(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Polls `done` every 0.5 s for at most `seconds`; the scheduler decides when jobs run, so these
// waits bound a failure, they do not measure anything.
template <class F>
bool wait_until(F done, int seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return done();
}

// Slurm's record of a job (kept MinJobAge=600 s after it ends): "JobState=COMPLETED ...".
std::string job_record(const std::string& id) { return run("scontrol -o show job " + id).text; }

std::string job_field(const std::string& id, const std::string& field) {
  std::smatch match;
  const std::string record = job_record(id);
  if (std::regex_search(record, match, std::regex(field + "=(\\S+)"))) return match[1];
  return "?";
}

bool job_gone_from_queue(const std::string& id) {
  return run("squeue -h -r -j " + id).text.find_first_not_of(" \n") == std::string::npos;
}

std::string job_id(const Output& launch, const std::string& kind) {
  std::smatch match;
  if (std::regex_search(launch.text, match, std::regex("submitted " + kind + " (\\d+)")))
    return match[1];
  return "";
}

class SlurmCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::setenv("SLURM_CONF", (kTmp + "/cluster/slurm.conf").c_str(), 1);
  }

  void SetUp() override {
    dir_ = kTmp + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(kData + "/shards/manifest.json")) << "fixture slurm_test_data missing";
  }

  // galien launch of the WDBC config on the generic profile, 2 tasks.
  Output launch(const std::string& args) const {
    return run(kGalien + " launch configs/wdbc-mlp.yaml --cluster generic --ranks 2 " +
               "privacy.key_file=" + kData + "/data.key data.shard_dir=" + kData + "/shards " +
               args);
  }

  // True once the job (every task of an array) has left the queue.
  static bool job_ended(const std::string& id, int seconds) {
    return wait_until([&] { return job_gone_from_queue(id); }, seconds);
  }

  std::string dir_;
};

TEST_F(SlurmCluster, TwoTaskTrainingJobRunsToCompleted) {
  const std::string run_dir = dir_ + "/run";
  const Output out = launch("--time 00:10:00 trainer.epochs=2 trainer.run_dir=" + run_dir);
  ASSERT_EQ(out.code, 0) << out.text;
  const std::string id = job_id(out, "training job");
  ASSERT_FALSE(id.empty()) << out.text;
  EXPECT_TRUE(contains(out.text, "run directory: " + run_dir)) << out.text;
  ASSERT_TRUE(job_ended(id, 200)) << "still queued:\n" << job_record(id);

  const std::string log = read_text(run_dir + "/job.log");
  EXPECT_EQ(job_field(id, "JobState"), "COMPLETED") << log;
  const nlohmann::json summary = read_json(run_dir + "/summary.json");
  ASSERT_FALSE(summary.is_discarded()) << log;
  EXPECT_EQ(summary["status"], "completed") << log;
  EXPECT_EQ(summary["world_size"], 2) << log;
  EXPECT_TRUE(contains(log, "galien: task 0 on ")) << log;
  EXPECT_TRUE(contains(log, "galien: task 1 on ")) << log;
  EXPECT_TRUE(contains(log, "training step exited with code 0")) << log;
  for (const char* file : {"job.sh", "job-config.yaml", "config.yaml", "metrics.jsonl"})
    EXPECT_TRUE(fs::exists(run_dir + "/" + file)) << file;
  // The job carried the data key only: its path is in the frozen config, and neither key's bytes
  // (nor their hex) are anywhere in the run directory (script, logs, run card, TensorBoard).
  EXPECT_TRUE(contains(read_text(run_dir + "/job-config.yaml"), kData + "/data.key"));
  const std::string controller = read_text(kData + "/test.key");
  const std::string data_text = read_text(kData + "/data.key");
  const std::string data_hex = data_text.substr(data_text.find("\nkey ") + 5, 64);
  ASSERT_EQ(controller.size(), 32u);
  std::string controller_hex;
  for (unsigned char c : controller) {
    controller_hex += "0123456789abcdef"[c >> 4];
    controller_hex += "0123456789abcdef"[c & 15];
  }
  for (const auto& entry : fs::recursive_directory_iterator(run_dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = read_text(entry.path().string());
    EXPECT_FALSE(contains(bytes, controller)) << entry.path();
    EXPECT_FALSE(contains(bytes, controller_hex)) << entry.path();
    EXPECT_FALSE(contains(bytes, data_hex)) << entry.path();
  }
}

// Enough steps that the signal lands mid-training: the test waits for progress in metrics.jsonl
// before signalling and checks from the log that the step really stopped early.
const std::string kLongTraining =
    "trainer.epochs=40 trainer.batch_size=8 trainer.log_every_steps=5 trainer.seed=11 ";

TEST_F(SlurmCluster, PreemptedJobRequeuesResumesAndEndsWithTheSameParameters) {
  const std::string reference_dir = dir_ + "/uninterrupted";
  const std::string run_dir = dir_ + "/preempted";
  const Output reference =
      launch("--time 00:20:00 " + kLongTraining + "trainer.run_dir=" + reference_dir);
  const Output out = launch("--time 00:20:00 " + kLongTraining + "trainer.run_dir=" + run_dir);
  ASSERT_EQ(reference.code, 0) << reference.text;
  ASSERT_EQ(out.code, 0) << out.text;
  const std::string reference_id = job_id(reference, "training job");
  const std::string id = job_id(out, "training job");

  ASSERT_TRUE(wait_until([&] { return count_lines(run_dir + "/metrics.jsonl") >= 2; }, 100))
      << "no training progress:\n"
      << read_text(run_dir + "/job.log");
  // What Slurm does launch.signal_margin_s before the time limit: USR1 to the batch shell.
  const Output signal = run("scancel --signal=USR1 --batch " + id);
  ASSERT_EQ(signal.code, 0) << signal.text;

  ASSERT_TRUE(job_ended(id, 150)) << "still queued:\n" << job_record(id);
  ASSERT_TRUE(job_ended(reference_id, 30)) << "still queued:\n" << job_record(reference_id);
  const std::string log = read_text(run_dir + "/job.log");
  ASSERT_TRUE(contains(log, "training step exited with code 75"))
      << "the training ended before the signal arrived: make kLongTraining longer\n"
      << log;
  EXPECT_TRUE(contains(log, "requeueing job " + id)) << log;
  EXPECT_TRUE(contains(log, "restart 1")) << log;  // SLURM_RESTART_COUNT=1 in the second run
  EXPECT_EQ(job_field(id, "Restarts"), "1") << job_record(id);
  EXPECT_EQ(job_field(id, "JobState"), "COMPLETED") << log;

  const nlohmann::json summary = read_json(run_dir + "/summary.json");
  const nlohmann::json expected = read_json(reference_dir + "/summary.json");
  ASSERT_FALSE(summary.is_discarded()) << log;
  ASSERT_FALSE(expected.is_discarded()) << read_text(reference_dir + "/job.log");
  EXPECT_EQ(summary["status"], "completed") << log;
  EXPECT_EQ(expected["status"], "completed");
  ASSERT_TRUE(summary.contains("parameters_sha256")) << summary.dump(2);
  EXPECT_EQ(summary["parameters_sha256"], expected["parameters_sha256"])
      << "resumed run:\n"
      << summary.dump(2) << "\nuninterrupted run:\n"
      << expected.dump(2);
}

TEST_F(SlurmCluster, SweepIsAJobArrayWithARunPerPointAndOneSummary) {
  const std::string config = dir_ + "/sweep.yaml";
  std::ofstream(config) << "extends: " << kSource << "/configs/wdbc-mlp.yaml\n"
                        << "sweep:\n  mode: list\n"
                        << "  values: [\"optim.learning_rate=[0.001, 0.003]\"]\n";
  const std::string sweep_dir = dir_ + "/sweep";
  const Output out =
      run(kGalien + " launch " + config + " --cluster generic --ranks 2 " +
          "--time 00:10:00 privacy.key_file=" + kData + "/data.key " + "data.shard_dir=" + kData +
          "/shards trainer.epochs=2 trainer.run_dir=" + sweep_dir);
  ASSERT_EQ(out.code, 0) << out.text;
  const std::string id = job_id(out, "sweep job array");
  ASSERT_FALSE(id.empty()) << out.text;
  EXPECT_TRUE(contains(read_text(sweep_dir + "/job.sh"), "#SBATCH --array=0-1\n"));
  ASSERT_TRUE(job_ended(id, 200)) << "still queued:\n" << job_record(id);

  for (const char* point : {"point-0", "point-1"}) {
    const nlohmann::json summary = read_json(sweep_dir + "/" + point + "/summary.json");
    ASSERT_FALSE(summary.is_discarded()) << read_text(sweep_dir + "/" + point + "/job.log");
    EXPECT_EQ(summary["status"], "completed") << point;
  }
  const std::string table = read_text(sweep_dir + "/summary.md");
  EXPECT_TRUE(contains(table, "2 run(s): 2 completed;")) << table;
  EXPECT_TRUE(contains(table, "| run | optim.learning_rate | status |")) << table;
  EXPECT_TRUE(contains(table, "| point-0 | 0.001 | completed |")) << table;
  EXPECT_TRUE(contains(table, "| point-1 | 0.003 | completed |")) << table;
  const Output summarize = run(kGalien + " runs summarize " + sweep_dir);
  EXPECT_EQ(summarize.code, 0) << summarize.text;
  EXPECT_EQ(summarize.text, table);
}

// --after ID: training waits for another job (e.g. a data transfer) and is cancelled, not run,
// when that job fails.
TEST_F(SlurmCluster, TrainingAfterAFailedJobIsCancelledNotRun) {
  const std::string run_dir = dir_ + "/run";
  const Output failing = run("sbatch --parsable -o " + dir_ + "/failing.log --wrap 'exit 3'");
  ASSERT_EQ(failing.code, 0) << failing.text;
  const std::string failing_id = failing.text.substr(0, failing.text.find_first_of(";\n"));
  const Output out = launch("--after " + failing_id + " --time 00:10:00 trainer.epochs=1 " +
                            "trainer.run_dir=" + run_dir);
  ASSERT_EQ(out.code, 0) << out.text;
  const std::string id = job_id(out, "training job");
  ASSERT_FALSE(id.empty()) << out.text;
  EXPECT_TRUE(contains(out.text, "starts after job " + failing_id)) << out.text;
  ASSERT_TRUE(job_ended(failing_id, 120)) << "still queued:\n" << job_record(failing_id);
  ASSERT_TRUE(job_ended(id, 60)) << "still queued:\n" << job_record(id);

  EXPECT_EQ(job_field(failing_id, "JobState"), "FAILED") << job_record(failing_id);
  EXPECT_EQ(job_field(id, "JobState"), "CANCELLED") << job_record(id);
  EXPECT_FALSE(contains(read_text(run_dir + "/job.log"), "started")) << "the training job ran";
  EXPECT_FALSE(fs::exists(run_dir + "/summary.json"));
}

TEST_F(SlurmCluster, FakeGpusGiveEachTaskItsOwnDeviceAndStagedShardsAreUsed) {
  // A user profile: 2 GPUs per node (the node has 4 fake ones), one bound to each task.
  const std::string profile = dir_ + "/fake-gpu.yaml";
  std::ofstream(profile) << "description: test node with fake GPUs\n"
                         << "node: {gpus: 2, cores: 4}\n"
                         << "gpu_request: gres\ngpu_bind: single:1\n"
                         << "scratch: {dir: " << dir_
                         << "/scratch-$SLURM_JOB_ID, per_node: true}\n";
  const std::string run_dir = dir_ + "/run";
  const Output out =
      run(kGalien + " launch configs/wdbc-mlp.yaml --cluster " + profile +
          " --time 00:10:00 privacy.key_file=" + kData + "/data.key " + "data.shard_dir=" + kData +
          "/shards launch.stage_shards=true " + "trainer.epochs=1 trainer.run_dir=" + run_dir);
  ASSERT_EQ(out.code, 0) << out.text;
  const std::string id = job_id(out, "training job");
  ASSERT_FALSE(id.empty()) << out.text;
  EXPECT_TRUE(contains(read_text(run_dir + "/job.sh"), "#SBATCH --gres=gpu:2\n"));
  ASSERT_TRUE(job_ended(id, 200)) << "still queued:\n" << job_record(id);

  const std::string log = read_text(run_dir + "/job.log");
  std::smatch a, b;
  ASSERT_TRUE(std::regex_search(log, a, std::regex("task 0 on \\S+: CUDA_VISIBLE_DEVICES=(\\S+)")))
      << log;
  ASSERT_TRUE(std::regex_search(log, b, std::regex("task 1 on \\S+: CUDA_VISIBLE_DEVICES=(\\S+)")))
      << log;
  EXPECT_NE(a[1], b[1]) << log;
  EXPECT_TRUE(std::regex_match(a[1].str(), std::regex("[0-3]"))) << "one device each: " << a[1];
  EXPECT_TRUE(std::regex_match(b[1].str(), std::regex("[0-3]"))) << "one device each: " << b[1];

  const nlohmann::json summary = read_json(run_dir + "/summary.json");
  ASSERT_FALSE(summary.is_discarded()) << log;
  EXPECT_EQ(summary["status"], "completed") << log;
  // The ranks read the staged copy, which the job removed when it ended.
  const std::string staged = dir_ + "/scratch-" + id + "/galien-shards";
  EXPECT_TRUE(contains(read_text(run_dir + "/config.yaml"), "shard_dir: " + staged)) << log;
  EXPECT_FALSE(fs::exists(staged));
}

}  // namespace
