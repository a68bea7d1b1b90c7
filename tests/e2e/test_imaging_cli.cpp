// Imaging through the real executable: `galien shard` on the pydicom test files plus a generated
// CT series (YAML config with data.images.*), then every output byte is searched for the
// identifying values DCMTK reads from the inputs. Bad input exits 2 naming the file (by its rank
// or its redacted path relative to data.images.path, never its full path).
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace {

namespace fs = std::filesystem;
const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;
const std::string kPydicom = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

struct Output {
  int code;
  std::string text;
};

Output run(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::set<std::string> identifying_values(const std::string& file) {
  DcmFileFormat dicom;
  EXPECT_TRUE(dicom.loadFile(file.c_str()).good()) << file;
  std::set<std::string> values;
  for (const DcmTagKey& tag : {DCM_PatientName, DCM_PatientID, DCM_PatientBirthDate,
                               DCM_InstitutionName, DCM_AccessionNumber, DCM_StudyInstanceUID,
                               DCM_SeriesInstanceUID, DCM_SOPInstanceUID}) {
    OFString value;
    if (dicom.getDataset()->findAndGetOFStringArray(tag, value).good() && value.length() >= 4) {
      values.insert(value.c_str());
    }
  }
  return values;
}

class ImagingCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(GALIEN_TEST_TMP) + "/e2e/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/dicom");
    std::string fixture = "/usr/bin/python3 " + kSource +
                          "/tests/fixtures/make_imaging_fixtures.py dicom-series " + dir_ +
                          "/dicom";
    ASSERT_EQ(std::system(fixture.c_str()), 0);
    fs::copy(kPydicom + "CT_small.dcm", dir_ + "/dicom/ct_small.dcm");
    fs::copy(kPydicom + "MR_small.dcm", dir_ + "/dicom/mr_small.dcm");
    ASSERT_EQ(run(kGalien + " keygen " + dir_ + "/key.bin").code, 0);
    std::ofstream(dir_ + "/ct.yaml") << "data:\n"
                                     << "  shard_dir: " << dir_ << "/shards\n"
                                     << "  shards: 1\n"
                                     << "  split: {val: 0.25, test: 0.25}\n"
                                     << "  images:\n"
                                     << "    format: dicom\n"
                                     << "    path: " << dir_ << "/dicom\n"
                                     << "    shape: [4, 32, 32]\n"
                                     << "    intensity: window\n"
                                     << "    window_center: 40\n"
                                     << "    window_width: 400\n"
                                     << "privacy:\n"
                                     << "  key_file: " << dir_ << "/key.bin\n";
  }
  std::string dir_;
};

TEST_F(ImagingCli, ShardHoldsNoIdentifyingByteOfThePydicomFiles) {
  Output shard = run(kGalien + " shard " + dir_ + "/ct.yaml");
  ASSERT_EQ(shard.code, 0) << shard.text;
  std::set<std::string> secrets;
  for (const auto& entry : fs::directory_iterator(dir_ + "/dicom")) {
    auto values = identifying_values(entry.path().string());
    secrets.insert(values.begin(), values.end());
  }
  for (const char* known : {"1CT1", "4MR1", "CompressedSamples^CT1", "PAT-8842-DUPONT",
                            "DUPONT^JEANNE", "19450317"}) {
    EXPECT_EQ(secrets.count(known), 1u) << known;
  }
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/shards")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::string bytes = read_all(entry.path().string());
    for (const std::string& secret : secrets) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << entry.path();
    }
  }
  EXPECT_GE(files, 5);  // manifest, privacy report, 3 shards
  for (const std::string& secret : secrets) {
    EXPECT_EQ(shard.text.find(secret), std::string::npos) << secret;
  }
  Output verify = run(kGalien + " verify " + dir_ + "/shards");
  EXPECT_EQ(verify.code, 0) << verify.text;
  auto manifest = nlohmann::json::parse(read_all(dir_ + "/shards/manifest.json"));
  EXPECT_EQ(manifest["images"]["shape"], nlohmann::json({1, 4, 32, 32}));
}

// Named by its rank among the sorted files, never by its path: file names may hold patient
// identifiers, and an unreadable file's identifiers are unknown (docs/imaging.md).
TEST_F(ImagingCli, TruncatedDicomExitsTwoNamingTheFile) {
  std::string bytes = read_all(kPydicom + "CT_small.dcm");
  std::ofstream(dir_ + "/dicom/cut.dcm", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  Output shard = run(kGalien + " shard " + dir_ + "/ct.yaml");
  EXPECT_EQ(shard.code, 2) << shard.text;
  // ct_small.dcm, cut.dcm, mr_small.dcm, p0_file0-3.dcm, p1_file0-3.dcm
  EXPECT_NE(shard.text.find("cannot read DICOM file 2 of 11 under data.images.path (directly in "
                            "it, extension .dcm;"),
            std::string::npos)
      << shard.text;
  EXPECT_NE(shard.text.find("sed -n '2p'"), std::string::npos) << shard.text;
  EXPECT_EQ(shard.text.find(dir_ + "/dicom"), std::string::npos) << shard.text;
  EXPECT_EQ(shard.text.find("CompressedSamples"), std::string::npos) << shard.text;
  EXPECT_FALSE(fs::exists(dir_ + "/shards/manifest.json"));
}

// Several cases per patient, each row of the table naming its case (data.images.join_column):
// shards, then trains a fusion model on 2 ranks with per-patient metrics; no case name or
// patient ID reaches any file written or any line printed.
TEST_F(ImagingCli, NiftiCasesJoinedRowByRowTrainWithPatientMetrics) {
  const std::string fixture = "/usr/bin/python3 " + kSource +
                              "/tests/fixtures/make_imaging_fixtures.py nifti-seg " + dir_ +
                              "/task --cases=24";
  ASSERT_EQ(std::system(fixture.c_str()), 0);
  {
    std::ofstream csv(dir_ + "/cases.csv");
    csv << "subject,image,size_mm,outcome\n";
    for (int c = 0; c < 24; ++c) {
      const int patient = c / 2;  // two cases per patient, sometimes of different outcomes
      const bool yes = c % 2 == 0 ? patient % 2 == 0 : patient % 4 != 1;
      csv << "PAT-5" << 100 + patient << ",imagesTr/case_0" << (c < 10 ? "0" : "") << c
          << ".nii.gz," << 5 + c % 7 << "," << (yes ? "yes" : "no") << "\n";
    }
  }
  std::ofstream(dir_ + "/joined.yaml")
      << "data:\n  csv: " << dir_ << "/cases.csv\n  patient_id: subject\n  label: outcome\n"
      << "  classes: [no, 'yes']\n  numeric: [size_mm]\n  shard_dir: " << dir_ << "/joined\n"
      << "  shards: 1\n  split: {val: 0.2, test: 0.25, seed: 1}\n"
      << "  images:\n    format: nifti\n    path: " << dir_ << "/task\n    join_column: image\n"
      << "    shape: [8, 16, 16]\n    dtype: float16\n"
      << "privacy:\n  key_file: " << dir_ << "/key.bin\n"
      << "model:\n  name: fusion\n  depth: 18\n  base_channels: 8\n  hidden: [8]\n"
      << "trainer:\n  epochs: 1\n  batch_size: 4\n  run_dir: " << dir_ << "/run\n"
      << "  patient_metrics: true\n";
  Output shard = run(kGalien + " shard " + dir_ + "/joined.yaml");
  ASSERT_EQ(shard.code, 0) << shard.text;
  const auto manifest = nlohmann::json::parse(read_all(dir_ + "/joined/manifest.json"));
  for (const char* split : {"train", "val", "test"}) {
    const auto& info = manifest["splits"][split];
    EXPECT_EQ(info["num_samples"].get<int>(), 2 * info["num_patients"].get<int>()) << split;
  }
  Output launch = run(kGalien + " launch " + dir_ + "/joined.yaml --ranks 2");
  ASSERT_EQ(launch.code, 0) << launch.text;
  const auto metrics = nlohmann::json::parse(read_all(dir_ + "/run/summary.json"))["metrics"];
  for (const char* name : {"test/accuracy", "test/patient/accuracy", "val/patient/accuracy"})
    EXPECT_TRUE(metrics.contains(name)) << name << " missing: " << metrics.dump(2);
  EXPECT_EQ(metrics["test/patient/patients"].get<int>(),
            manifest["splits"]["test"]["num_patients"].get<int>());
  std::string written = shard.text + launch.text;
  for (const char* folder : {"/joined", "/run"}) {
    for (const auto& entry : fs::recursive_directory_iterator(dir_ + folder)) {
      if (entry.is_regular_file()) written += read_all(entry.path().string());
    }
  }
  for (const char* secret : {"PAT-51", "case_0", "case_1", "case_2"})
    EXPECT_EQ(written.find(secret), std::string::npos) << secret;
}

TEST_F(ImagingCli, ConfigKeysListTheImagingSection) {
  Output keys = run(kGalien + " config keys");
  ASSERT_EQ(keys.code, 0) << keys.text;
  for (const char* key : {"data.images.format: one of none, dicom, nifti, png, medmnist, idx",
                          "data.images.spacing: a list of numbers", "data.images.dtype"}) {
    EXPECT_NE(keys.text.find(key), std::string::npos) << key;
  }
  std::ofstream(dir_ + "/typo.yaml") << "data:\n  images:\n    fromat: dicom\n";
  Output typo = run(kGalien + " config show " + dir_ + "/typo.yaml");
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.text.find("did you mean 'format'"), std::string::npos) << typo.text;
}

}  // namespace
