// Slurm launcher pieces without a cluster: time limits, profile files and their errors, QoS and
// account choice, directives for sbatch and Bridge, sweeps, the runs table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/config/config.h"
#include "core/error.h"
#include "launcher/slurm/directives.h"
#include "launcher/slurm/job_plan.h"
#include "launcher/slurm/job_script.h"
#include "launcher/slurm/profile.h"
#include "launcher/slurm/runs_summary.h"
#include "launcher/slurm/shell.h"
#include "launcher/slurm/submit.h"
#include "launcher/slurm/sweep.h"
#include "launcher/slurm/time_limit.h"

namespace galien::slurm {
namespace {

namespace fs = std::filesystem;

const std::string kProfiles = std::string(GALIEN_SOURCE_DIR) + "/slurm/";

std::string temp_dir(const std::string& name) {
  const std::string dir = std::string(GALIEN_TEST_TMP) + "/slurm-unit/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

#define EXPECT_CONTAINS(text, part) EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, text)

TEST(TimeLimit, ParsesSlurmForms) {
  EXPECT_EQ(parse_time_limit("90"), 90 * 60);
  EXPECT_EQ(parse_time_limit("10:30"), 10 * 60 + 30);
  EXPECT_EQ(parse_time_limit("20:00:00"), 20 * 3600);
  EXPECT_EQ(parse_time_limit("100:00:00"), 100 * 3600);
  EXPECT_EQ(parse_time_limit("1-12"), 36 * 3600);
  EXPECT_EQ(parse_time_limit("2-00:30:00"), 48 * 3600 + 1800);
  for (const char* bad : {"", "ten", "1:2:3:4", "0", "-5", "1-", "12:xx", "infinite"})
    EXPECT_FALSE(parse_time_limit(bad)) << bad;
  EXPECT_EQ(format_time_limit(100 * 3600), "100:00:00");
  EXPECT_EQ(format_time_limit(1800), "00:30:00");
}

TEST(Profiles, EveryShippedProfileLoads) {
  for (const char* name : {"generic", "jean-zay-v100", "jean-zay-a100", "jean-zay-h100",
                           "adastra-mi250", "irene-v100"}) {
    const Profile p = read_profile_file(kProfiles + name + ".yaml");
    EXPECT_EQ(p.name, name);
    EXPECT_FALSE(p.description.empty()) << name;
  }
  const Profile h100 = read_profile_file(kProfiles + "jean-zay-h100.yaml");
  EXPECT_EQ(h100.gpus_per_node, 4);
  EXPECT_EQ(h100.cores_per_node, 96);
  EXPECT_EQ(read_profile_file(kProfiles + "irene-v100.yaml").scheduler, Scheduler::kBridge);
}

TEST(Profiles, UnknownKeyNamesFileLineAndSuggestion) {
  const std::string dir = temp_dir("profile-typo");
  const std::string file = write(dir + "/site.yaml", "description: x\nnode:\n  gpu: 4\n");
  const std::string message = error_of([&] { read_profile_file(file); });
  EXPECT_TRUE(contains(message, file + ":3:3")) << message;
  EXPECT_TRUE(contains(message, "did you mean 'gpus'")) << message;
}

TEST(Profiles, BadValuesSayWhatIsAllowed) {
  const std::string dir = temp_dir("profile-values");
  std::string message = error_of(
      [&] { read_profile_file(write(dir + "/a.yaml", "qos:\n  - {name: q, max_time: soon}\n")); });
  EXPECT_TRUE(contains(message, ":2:")) << message;
  EXPECT_TRUE(contains(message, "Slurm time")) << message;
  message = error_of([&] { read_profile_file(write(dir + "/b.yaml", "scheduler: slrum\n")); });
  EXPECT_TRUE(contains(message, "did you mean 'slurm'")) << message;
  message = error_of(
      [&] { read_profile_file(write(dir + "/c.yaml", "account:\n  format: \"@h100\"\n")); });
  EXPECT_TRUE(contains(message, "{account}")) << message;
}

TEST(Profiles, ErrorsGiveFileLineColumnAndWhatToDo) {
  // read_profile_text: the same reader without a file (what the fuzz target calls).
  auto error_in = [](const std::string& text) {
    return error_of([&] { read_profile_text(text, "lab.yaml"); });
  };
  EXPECT_EQ(error_in("description: x\nnode:\n  gpu: 4\n"),
            "lab.yaml:3:3: unknown key 'gpu' in section 'node'; did you mean 'gpus'?");
  EXPECT_EQ(error_in("gpu_requests: gres\n"),
            "lab.yaml:1:1: unknown top-level key 'gpu_requests'; did you mean 'gpu_request'?");
  EXPECT_EQ(error_in("node:\n  gpus: 4\n  gpus: 8\n"),
            "lab.yaml:3:3: duplicate key 'gpus' in section 'node' (first at line 2); keep one of "
            "them");
  EXPECT_CONTAINS(error_in("node: {gpus: 4\n"), "lab.yaml:2:1: YAML syntax error: ");
  EXPECT_EQ(error_in("node:\n  gpus: 128\n"),
            "lab.yaml:2:9: node.gpus must be an integer in [0, 64], got '128'");
  EXPECT_EQ(error_in("qos:\n  - {name: a, max_time: '1:00:00'}\n  - {max_time: '2:00:00'}\n"),
            "lab.yaml:3:5: missing key 'name' in section 'qos[1]'; add it");
  EXPECT_EQ(error_in("qos:\n  - {name: a, max_time: soon}\n"),
            "lab.yaml:2:25: qos[0].max_time must be a Slurm time such as \"20:00:00\" or "
            "\"2-00:00:00\", got 'soon'");
  EXPECT_EQ(error_in("environment:\n  OMP-THREADS: 4\n"),
            "lab.yaml:2:3: environment: 'OMP-THREADS' is not a variable name (letters, digits and "
            "_ only)");
  // Rules between keys point at the line to change.
  EXPECT_EQ(error_in("description: x\ngpu_bind: closest\n"),
            "lab.yaml:2:11: gpu_bind needs node.gpus > 0: set node.gpus or remove gpu_bind");
  EXPECT_CONTAINS(error_in("qos:\n  - {name: a, max_time: '1:00:00'}\nmax_time: '2:00:00'\n"),
                  "lab.yaml:3:11: give max_time per qos entry or max_time alone, not both");
  const Profile p = read_profile_text("node: {gpus: 2}\n", "dir/lab.yaml");
  EXPECT_EQ(p.name, "lab");
  EXPECT_EQ(p.gpus_per_node, 2);
}

TEST(Profiles, UnknownClusterSuggestsTheClosestName) {
  const std::string message = error_of([] { load_profile("jean-zay-h10"); });
  EXPECT_TRUE(contains(message, "did you mean 'jean-zay-h100'")) << message;
  EXPECT_TRUE(contains(message, "adastra-mi250")) << message;  // the list of profiles
}

TEST(Profiles, SearchPathFindsAUserProfile) {
  const std::string dir = temp_dir("profile-path");
  write(dir + "/mine.yaml", "description: my lab cluster\nnode: {gpus: 2, cores: 16}\n");
  ::setenv("GALIEN_PROFILE_PATH", dir.c_str(), 1);
  const Profile p = load_profile("mine");
  ::unsetenv("GALIEN_PROFILE_PATH");
  EXPECT_EQ(p.gpus_per_node, 2);
  EXPECT_EQ(p.file, dir + "/mine.yaml");
}

JobRequest request(const std::string& time, int nodes = 1) {
  JobRequest r;
  r.time = time;
  r.nodes = nodes;
  r.account = "abc";
  return r;
}

TEST(JobPlan, OneTaskPerGpuWithTheCoresShared) {
  const Profile h100 = load_profile("jean-zay-h100");
  const JobResources job = plan_job(h100, request("10:00:00", 2));
  EXPECT_EQ(job.tasks_per_node, 4);
  EXPECT_EQ(job.gpus_per_node, 4);
  EXPECT_EQ(job.cpus_per_task, 24);
  EXPECT_EQ(job.tasks(), 8);
  EXPECT_EQ(job.account, "abc@h100");
  EXPECT_EQ(job.constraint, "h100");
}

TEST(JobPlan, QosIsTheShortestThatFitsAndTooLongIsRefusedWithTheLimit) {
  const Profile h100 = load_profile("jean-zay-h100");
  EXPECT_EQ(plan_job(h100, request("1:00:00")).qos, "qos_gpu_h100-t3");  // dev only by name
  EXPECT_EQ(plan_job(h100, request("20:00:00")).qos, "qos_gpu_h100-t3");
  EXPECT_EQ(plan_job(h100, request("30:00:00")).qos, "qos_gpu_h100-t4");
  std::string message = error_of([&] { plan_job(h100, request("120:00:00")); });
  EXPECT_TRUE(contains(message, "qos_gpu_h100-t4 allows 100:00:00")) << message;
  // t4 takes at most 16 GPUs: 8 nodes x 4 GPUs may run 20 h, not 30 h.
  message = error_of([&] { plan_job(h100, request("30:00:00", 8)); });
  EXPECT_TRUE(contains(message, "qos_gpu_h100-t3 allows 20:00:00")) << message;

  JobRequest dev = request("3:00:00");
  dev.qos = "qos_gpu_h100-dev";
  message = error_of([&] { plan_job(h100, dev); });
  EXPECT_TRUE(contains(message, "02:00:00")) << message;
  dev.time = "1:00:00";
  EXPECT_EQ(plan_job(h100, dev).qos, "qos_gpu_h100-dev");
  dev.qos = "qos_gpu_h100-tt3";
  message = error_of([&] { plan_job(h100, dev); });
  EXPECT_TRUE(contains(message, "did you mean 'qos_gpu_h100-t3'")) << message;
}

TEST(JobPlan, AccountSuffixAddedKeptOrRefused) {
  const Profile h100 = load_profile("jean-zay-h100");
  JobRequest r = request("1:00:00");
  r.account = "abc@h100";
  EXPECT_EQ(plan_job(h100, r).account, "abc@h100");
  r.account = "abc@v100";
  EXPECT_TRUE(contains(error_of([&] { plan_job(h100, r); }), "{account}@h100"));
  r.account = "";
  EXPECT_TRUE(contains(error_of([&] { plan_job(h100, r); }), "needs --account"));
}

TEST(JobPlan, CpuProfileTakesRanksAndRefusesMoreTasksThanGpus) {
  JobRequest r;
  r.ranks = 3;
  const JobResources job = plan_job(load_profile("generic"), r);
  EXPECT_EQ(job.tasks_per_node, 3);
  EXPECT_EQ(job.gpus_per_node, 0);
  EXPECT_EQ(job.cpus_per_task, 1);
  r = request("1:00:00");
  r.tasks_per_node = 5;
  EXPECT_TRUE(contains(error_of([&] { plan_job(load_profile("jean-zay-h100"), r); }), "4 GPUs"));
  JobRequest adastra = request("30:00:00");
  EXPECT_TRUE(
      contains(error_of([&] { plan_job(load_profile("adastra-mi250"), adastra); }), "24:00:00"));
}

TEST(Directives, BridgeUsesLettersSecondsAndPassesTheRestThroughE) {
  const Profile irene = load_profile("irene-v100");
  const JobResources job = plan_job(irene, request("2:00:00", 2));
  std::vector<Directive> d = resource_directives(irene, job);
  d.push_back({"signal", "B:USR1@300"});
  d.push_back({"requeue", ""});
  const std::string text = format_directives(Scheduler::kBridge, d);
  EXPECT_TRUE(contains(text, "#MSUB -N 2\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -n 8\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -c 10\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -T 7200\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -q v100\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -Q normal\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -A abc\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -m scratch,work\n")) << text;
  EXPECT_TRUE(contains(text, "#MSUB -E \"--signal=B:USR1@300 --requeue\"\n")) << text;
  EXPECT_FALSE(contains(text, "SBATCH")) << text;
}

TEST(JobScript, IreneRunsTheStepWithCccMprunAndSignalsItThroughScancel) {
  const Profile irene = load_profile("irene-v100");
  TrainingJob t;
  t.files = {"exp", "/w/galien", "/runs/a/job-config.yaml", "/w", irene.modules};
  t.run_dir = "/runs/a";
  const std::string script = render_training_script(irene, plan_job(irene, request("1:00:00")), t);
  EXPECT_TRUE(contains(script, "ccc_mprun \\\n")) << script;
  EXPECT_TRUE(contains(script, "scancel --signal=USR1 \"$SLURM_JOB_ID\"")) << script;
  EXPECT_TRUE(contains(script, "#   ccc_msub /runs/a/job.sh\n")) << script;
}

TEST(JobScript, SweepMapsArrayTasksToQuotedOverrides) {
  const Profile generic = load_profile("generic");
  TrainingJob t;
  t.files = {"exp", "/w/galien", "/s/job-config.yaml", "/w", {}};
  t.run_dir = "/s";
  t.points = {{"model.hidden=[64, 32]"}, {"model.hidden=[8]"}, {"model.hidden=[4]"}};
  t.parallel = 2;
  const std::string script = render_training_script(generic, plan_job(generic, JobRequest{}), t);
  EXPECT_TRUE(contains(script, "#SBATCH --array=0-2%2\n")) << script;
  EXPECT_TRUE(contains(script, "#SBATCH --output=/s/point-%a/job.log\n")) << script;
  EXPECT_TRUE(contains(script, "  0) point=('model.hidden=[64, 32]') ;;\n")) << script;
  EXPECT_TRUE(contains(script, "runs summarize \"$SWEEP_DIR\"")) << script;
}

TEST(Shell, QuotesWhatBashWouldSplitOrExpand) {
  EXPECT_EQ(shell_quote("trainer.epochs=5"), "trainer.epochs=5");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(Submit, ParsesJobIds) {
  EXPECT_EQ(parse_job_id(Scheduler::kSlurm, "1234\n"), "1234");
  EXPECT_EQ(parse_job_id(Scheduler::kSlurm, "sbatch: warning: x\n77;cluster\n"), "77");
  EXPECT_EQ(parse_job_id(Scheduler::kSlurm, "sbatch: error: invalid account\n"), "");
  EXPECT_EQ(parse_job_id(Scheduler::kBridge, "Submitted Batch Session 4242\n"), "4242");
}

Config sweep_config(const std::string& mode, std::vector<std::string> values) {
  Config config;
  config.source_file = "exp.yaml";
  config.sweep.mode = mode;
  config.sweep.values = std::move(values);
  return config;
}

TEST(Sweep, GridTakesEveryCombinationFirstKeySlowest) {
  const auto points = sweep_points(
      sweep_config("grid", {"optim.learning_rate=[0.001, 0.01]", "model.hidden=[[64, 32], [8]]"}));
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[0], (SweepPoint{"optim.learning_rate=0.001", "model.hidden=[64, 32]"}));
  EXPECT_EQ(points[1], (SweepPoint{"optim.learning_rate=0.001", "model.hidden=[8]"}));
  EXPECT_EQ(points[3], (SweepPoint{"optim.learning_rate=0.01", "model.hidden=[8]"}));
  EXPECT_TRUE(sweep_points(sweep_config("grid", {})).empty());
}

TEST(Sweep, ListZipsAndRefusesUnequalLengths) {
  const auto points =
      sweep_points(sweep_config("list", {"optim.name=[adam, sgd]", "trainer.seed=[1, 2]"}));
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1], (SweepPoint{"optim.name=sgd", "trainer.seed=2"}));
  const std::string message = error_of([] {
    sweep_points(sweep_config("list", {"optim.name=[adam, sgd]", "trainer.seed=[1]"}));
  });
  EXPECT_TRUE(contains(message, "trainer.seed has 1")) << message;
}

TEST(Sweep, RefusesBadEntriesNamingTheFile) {
  for (const char* bad : {"optim.learning_rate", "optim.learning_rate=0.01",
                          "trainer.run_dir=[a, b]", "launch.nodes=[1, 2]", "x=[1, 2"}) {
    const std::string message = error_of([&] { sweep_points(sweep_config("grid", {bad})); });
    EXPECT_TRUE(contains(message, "exp.yaml")) << bad << ": " << message;
  }
}

// A sweep written in a config file: errors point at the entry's line and column.
TEST(Sweep, TypoInAnEntryGetsItsLineColumnAndTheClosestKey) {
  const std::string dir = temp_dir("sweep-typo");
  auto error_in = [&](const std::string& entries) {
    const std::string file = write(dir + "/exp.yaml", "trainer:\n  epochs: 2\nsweep:\n  values:\n" +
                                                          entries);
    return error_of([&] { sweep_points(load_config(file)); });
  };
  const std::string file = dir + "/exp.yaml";
  EXPECT_EQ(error_in("    - optim.learnin_rate=[0.1, 0.01]\n"),
            file + ":5:7: sweep.values[0] 'optim.learnin_rate=[0.1, 0.01]': unknown key "
                   "'learnin_rate' in section 'optim'; did you mean 'learning_rate'?");
  EXPECT_EQ(error_in("    - trainer.seed=[1, 2]\n    - optim.learning_rate=[0.1, fast]\n"),
            file + ":6:7: sweep.values[1] 'optim.learning_rate=[0.1, fast]': "
                   "optim.learning_rate must be a number in (0, 10], got 'fast'");
  EXPECT_CONTAINS(error_in("    - \"trainer.seed=[1, 2\"\n"),
                  file + ":5:7: sweep.values[0] 'trainer.seed=[1, 2': YAML syntax error: ");
  EXPECT_EQ(error_in("    - trainer.seed=[1, 2]\n    - trainer.seed=[3]\n"),
            file + ":6:7: sweep.values[1] 'trainer.seed=[3]': trainer.seed is already swept by "
                   "sweep.values[0]; put all its values in one entry");
  // From the command line, the override is named instead.
  const std::string override = "sweep.values=['optim.nam=[adam, sgd]']";
  EXPECT_CONTAINS(error_of([&] { sweep_points(load_config(file, {override})); }),
                  "command-line override '" + override + "': sweep.values[0] "
                  "'optim.nam=[adam, sgd]': unknown key 'nam' in section 'optim'; did you mean "
                  "'name'?");
}

TEST(RunsSummary, BrokenConfigOfARunGetsFileLineColumn) {
  const std::string dir = temp_dir("summary-broken");
  fs::create_directories(dir + "/point-0");
  const std::string config = write(dir + "/point-0/config.yaml", "trainer:\n  seed: [7\n");
  EXPECT_CONTAINS(error_of([&] { read_runs(dir); }), config + ":3:1: YAML syntax error: ");
  write(config, "trainer:\n  seed: 7\n  seed: 8\n");
  EXPECT_CONTAINS(error_of([&] { read_runs(dir); }),
                  config + ":3:3: duplicate key 'seed' in section 'trainer'");
  write(config, "- trainer\n");
  EXPECT_CONTAINS(error_of([&] { read_runs(dir); }),
                  config + ":1:1: the top level must be a map of keys");
}

TEST(RunsSummary, ShowsOnlyDifferingKeysAndMetricsOfEachRun) {
  const std::string dir = temp_dir("summary");
  for (int i = 0; i < 3; ++i) {
    const std::string run = dir + "/point-" + std::to_string(i * 5);  // point-0, -5, -10
    fs::create_directories(run);
    write(run + "/config.yaml", "trainer:\n  run_dir: " + run +
                                    "\n  seed: 7\noptim:\n"
                                    "  learning_rate: " +
                                    std::to_string(i) + "\n");
    if (i < 2)
      write(run + "/summary.json",
            "{\"status\": \"completed\", \"epochs_completed\": 3, "
            "\"metrics\": {\"test/accuracy\": 0." +
                std::to_string(9 - i) + "}}");
  }
  const std::vector<RunRecord> runs = read_runs(dir);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2].name, "point-10");  // natural order
  EXPECT_EQ(differing_keys(runs), std::vector<std::string>{"optim.learning_rate"});
  const std::string table = summary_table(dir, runs);
  EXPECT_TRUE(contains(table, "| run | optim.learning_rate | status | epochs | test/accuracy |"))
      << table;
  EXPECT_TRUE(contains(table, "| point-5 | 1 | completed | 3 | 0.8000 |")) << table;
  EXPECT_TRUE(contains(table, "| point-10 | 2 | running | - | - |")) << table;
  EXPECT_TRUE(contains(error_of([&] { read_runs(dir + "/point-0/nothing"); }), "no such")) << table;
}

}  // namespace
}  // namespace galien::slurm
