// Issue 14 through the real executable: the compute site holds a dataset's data key, never the
// data controller's key. keygen --data-key -> 2-rank training with it (same metrics as with the
// controller key) -> it opens no other dataset -> shard and relink refuse it -> a cluster launch
// refuses the controller key -> relink restores IDs on the controller's side -> neither key
// reaches the run directory, logs or TensorBoard files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/support/test_support.h"

namespace {

namespace fs = std::filesystem;

const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;

using galien::test::Output;
Output run(const std::string& args) { return galien::test::run_in(kSource, kGalien + " " + args); }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// One folder per test: a controller key, the WDBC table sharded (encrypted) into "study", and the
// data key of "study".
class DataKeyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(GALIEN_TEST_TMP) + "/e2e-data-key/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(run("keygen " + controller()).code, 0);
    write_table_with_ids();
    Output shard = run("shard configs/wdbc-mlp.yaml privacy.encrypt=true " + source() + " " +
                       data(study(), controller()));
    ASSERT_EQ(shard.code, 0) << shard.text;
    derived_ = run("keygen --data-key --from " + controller() + " --dataset " + study() + " " +
                   data_key());
    ASSERT_EQ(derived_.code, 0) << derived_.text;
  }
  // The WDBC table with a hospital ID per row ("H1001", ...), as a real export would have.
  void write_table_with_ids() const {
    std::ifstream in(kSource + "/data/wdbc/breast_cancer_wdbc.csv");
    std::ofstream out(table());
    std::string line;
    std::getline(in, line);
    out << "hospital_id," << line << "\n";
    for (int i = 1001; std::getline(in, line); ++i) out << "H" << i << "," << line << "\n";
  }
  std::string table() const { return dir_ + "/wdbc-with-ids.csv"; }
  std::string source() const { return "data.csv=" + table() + " data.patient_id=hospital_id"; }
  std::string controller() const { return dir_ + "/controller.key"; }
  std::string data_key() const { return dir_ + "/study.data.key"; }
  std::string study() const { return dir_ + "/study"; }
  static std::string data(const std::string& shard_dir, const std::string& key_file) {
    return "data.shard_dir=" + shard_dir + " privacy.key_file=" + key_file;
  }
  Output launch(const std::string& shard_dir, const std::string& key_file,
                const std::string& name) const {
    return run("launch configs/wdbc-mlp.yaml --ranks 2 " + source() + " " +
               data(shard_dir, key_file) + " trainer.epochs=3 trainer.run_dir=" + run_dir(name));
  }
  std::string run_dir(const std::string& name) const { return dir_ + "/runs/" + name; }
  nlohmann::json summary(const std::string& name) const {
    std::ifstream in(run_dir(name) + "/summary.json");
    return in ? nlohmann::json::parse(in) : nlohmann::json();
  }
  std::string dir_;
  Output derived_;
};

TEST_F(DataKeyCli, DataKeyFileIsPrivateSaysWhatItIsAndIsAudited) {
  struct stat st {};
  ASSERT_EQ(::stat(data_key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_bytes(data_key()).rfind("galien-data-key 1\n", 0), 0u);
  EXPECT_CONTAINS(derived_.text, "(data key, key id ");
  EXPECT_CONTAINS(derived_.text, "cannot make pseudonyms");
  // Never overwritten.
  Output again = run("keygen --data-key --from " + controller() + " --dataset " + study() + " " +
                     data_key());
  EXPECT_EQ(again.code, 2) << again.text;
  EXPECT_CONTAINS(again.text, "already exists");
  const std::string audit = read_bytes(study() + "/audit.jsonl");
  EXPECT_CONTAINS(audit, "\"event\":\"data_key_derived\"");
  EXPECT_CONTAINS(audit, "\"data_key_id\"");
}

TEST_F(DataKeyCli, TwoRankTrainingWithTheDataKeyMatchesTheControllerKey) {
  Output verify = run("verify " + study() + " --key " + data_key());
  EXPECT_EQ(verify.code, 0) << verify.text;
  EXPECT_CONTAINS(verify.text, "decrypted and authenticated");
  EXPECT_CONTAINS(verify.text, "with data key");

  Output with_data = launch(study(), data_key(), "data");
  ASSERT_EQ(with_data.code, 0) << with_data.text;
  EXPECT_EQ(with_data.text.find("data controller's key"), std::string::npos) << with_data.text;
  Output with_controller = launch(study(), controller(), "controller");
  ASSERT_EQ(with_controller.code, 0) << with_controller.text;
  // A local run with the controller key works, and says once that a compute site should not.
  std::size_t first = with_controller.text.find("is the data controller's key");
  ASSERT_NE(first, std::string::npos) << with_controller.text;
  EXPECT_EQ(with_controller.text.find("is the data controller's key", first + 1),
            std::string::npos) << "said more than once:\n" << with_controller.text;
  EXPECT_CONTAINS(with_controller.text, "keygen --data-key");

  const nlohmann::json a = summary("data"), b = summary("controller");
  EXPECT_EQ(a["status"], "completed") << a.dump(2);
  ASSERT_TRUE(a["metrics"].contains("test/accuracy")) << a.dump(2);
  EXPECT_EQ(a["metrics"], b["metrics"]) << a.dump(2) << "\n" << b.dump(2);
  EXPECT_EQ(a["parameters_sha256"], b["parameters_sha256"]);

  const std::string audit = read_bytes(study() + "/audit.jsonl");
  EXPECT_CONTAINS(audit, "\"reader_key_kind\":\"data\"");
  EXPECT_CONTAINS(audit, "\"reader_key_kind\":\"controller\"");

  // Neither key, raw or in hex, reaches any file of the runs (run card, logs, TensorBoard, ...).
  const std::string controller_bytes = read_bytes(controller());
  const std::string data_text = read_bytes(data_key());
  const std::string data_hex = data_text.substr(data_text.find("\nkey ") + 5, 64);
  ASSERT_EQ(controller_bytes.size(), 32u);
  std::size_t scanned = 0;
  bool tensorboard = false;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/runs")) {
    if (!entry.is_regular_file()) continue;
    ++scanned;
    tensorboard |= entry.path().filename().string().rfind("events.out.tfevents", 0) == 0;
    const std::string bytes = read_bytes(entry.path().string());
    EXPECT_EQ(bytes.find(controller_bytes), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(hex(controller_bytes)), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(data_hex), std::string::npos) << entry.path();
  }
  EXPECT_GT(scanned, 5u);
  EXPECT_TRUE(tensorboard) << "no TensorBoard file was scanned";
  for (const Output* out : {&with_data, &with_controller, &derived_}) {
    EXPECT_EQ(out->text.find(hex(controller_bytes)), std::string::npos);
    EXPECT_EQ(out->text.find(data_hex), std::string::npos);
  }
}

TEST_F(DataKeyCli, TheDataKeyOpensNoOtherDataset) {
  const std::string other = dir_ + "/other-study";
  ASSERT_EQ(run("shard configs/wdbc-mlp.yaml " + source() + " " + data(other, controller())).code, 0);
  Output verify = run("verify " + other + " --key " + data_key());
  EXPECT_EQ(verify.code, 2) << verify.text;
  EXPECT_CONTAINS(verify.text, other + "/manifest.json: the key file given is the data key of "
                               "dataset ");
  EXPECT_CONTAINS(verify.text, "a data key opens only the dataset it was derived for");
  Output train = launch(other, data_key(), "other");
  EXPECT_NE(train.code, 0) << train.text;
  EXPECT_CONTAINS(train.text, "is the data key of dataset");
  EXPECT_FALSE(fs::exists(run_dir("other") + "/metrics.jsonl"));
}

TEST_F(DataKeyCli, ShardingAndRelinkingRefuseADataKey) {
  Output shard = run("shard configs/wdbc-mlp.yaml " + source() + " " + data(dir_ + "/again", data_key()));
  EXPECT_EQ(shard.code, 2) << shard.text;
  EXPECT_CONTAINS(shard.text, data_key() + " is a data key");
  EXPECT_CONTAINS(shard.text, "`galien shard` makes pseudonyms");
  EXPECT_FALSE(fs::exists(dir_ + "/again/manifest.json"));
  std::ofstream(dir_ + "/p.csv") << "pseudonym,p\n";
  Output relink = run("relink " + dir_ + "/p.csv --key " + data_key() +
                      " --csv " + table() + " --id-column hospital_id");
  EXPECT_EQ(relink.code, 2) << relink.text;
  EXPECT_CONTAINS(relink.text, "cannot make pseudonyms");
}

TEST_F(DataKeyCli, AClusterLaunchRefusesTheControllerKeyAndTakesTheDataKey) {
  const std::string cluster =
      "launch configs/wdbc-mlp.yaml --cluster jean-zay-v100 --nodes 1 --time 01:00:00 "
      "--account abc@v100 --dry-run ";
  Output refused = run(cluster + source() + " " + data(study(), controller()));
  EXPECT_EQ(refused.code, 2) << refused.text;
  EXPECT_CONTAINS(refused.text, "is the data controller's key");
  EXPECT_CONTAINS(refused.text, "galien keygen --data-key --from " + controller() + " --dataset " +
                                    study() + " DATA_KEY");
  EXPECT_EQ(refused.text.find("#SBATCH"), std::string::npos) << "a script was rendered";
  Output taken = run(cluster + source() + " " + data(study(), data_key()));
  EXPECT_EQ(taken.code, 0) << taken.text;
  EXPECT_CONTAINS(taken.text, "#SBATCH");
}

TEST_F(DataKeyCli, RelinkRestoresTheSourceIdsOnTheControllerSide) {
  Output trained = launch(study(), data_key(), "relink");
  ASSERT_EQ(trained.code, 0) << trained.text;
  const std::string predictions = run_dir("relink") + "/predictions-test.csv";
  ASSERT_TRUE(fs::exists(predictions)) << trained.text;
  const std::string out = dir_ + "/relinked.csv";
  Output relink = run("relink " + predictions + " --key " + controller() +
                      " --csv " + table() + " --id-column hospital_id -o " + out);
  ASSERT_EQ(relink.code, 0) << relink.text;
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Every relinked ID is an ID of the source table, and the rows keep their predictions.
  std::set<std::string> source_ids;
  {
    std::ifstream in(table());
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) source_ids.insert(line.substr(0, line.find(',')));
  }
  std::ifstream in(out), original(predictions);
  std::string line, before;
  std::getline(in, line);
  std::getline(original, before);
  EXPECT_EQ(line.rfind("hospital_id,", 0), 0u) << line;
  EXPECT_EQ(line.substr(line.find(',')), before.substr(before.find(',')));
  int rows = 0;
  while (std::getline(in, line) && std::getline(original, before)) {
    ++rows;
    EXPECT_TRUE(source_ids.count(line.substr(0, line.find(',')))) << line;
    EXPECT_EQ(line.substr(line.find(',')), before.substr(before.find(',')));
  }
  EXPECT_GT(rows, 10);
  // Under another key no pseudonym matches: refused at the first line, nothing written.
  const std::string other_key = dir_ + "/other.key";
  ASSERT_EQ(run("keygen " + other_key).code, 0);
  Output mismatch = run("relink " + predictions + " --key " + other_key +
                        " --csv " + table() + " --id-column hospital_id -o " + dir_ +
                        "/wrong.csv");
  EXPECT_EQ(mismatch.code, 2) << mismatch.text;
  EXPECT_CONTAINS(mismatch.text, predictions + ":2: ");
  EXPECT_FALSE(fs::exists(dir_ + "/wrong.csv"));
}

}  // namespace
