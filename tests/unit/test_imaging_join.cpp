// data.images.join_column: a clinical table with several rows per patient, each row naming its
// image (a NIfTI case, a DICOM folder or file). Each row is a sample with its own label; the
// split groups by the row's patient; the names (case names, folders after the patient) are
// matched in memory and reach no output, log or error message.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/config/config.h"
#include "datasets/manifest.h"
#include "datasets/shard_pipeline.h"
#include "datasets/shard_reader.h"
#include "imaging_test_util.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using imaging_test::make_fixture;
using imaging_test::scratch;
using imaging_test::user_error_of;

Config joined_config(const std::string& dir, const std::string& format,
                     const std::string& images, const std::string& table) {
  Config config;
  config.data.image_format = format;
  config.data.image_path = images;
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 1;
  config.data.csv = dir + "/clinical.csv";
  write_file_atomic(config.data.csv, table);
  config.data.patient_id_column = "subject";
  config.data.image_join_column = "image";
  config.data.label_column = "outcome";
  config.data.classes = {"no", "yes"};
  config.data.numeric = {"size_mm"};
  config.data.image_dtype = "float16";
  config.privacy.key_file = dir + "/key.bin";
  if (!fs::exists(config.privacy.key_file)) generate_key_file(config.privacy.key_file);
  config.sha256 = std::string(64, 'c');
  return config;
}

// Runs `f` with spdlog writing into the returned text.
template <typename F>
std::string captured_log(F&& f) {
  std::ostringstream text;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(text)));
  try {
    f();
  } catch (...) {
    spdlog::set_default_logger(previous);
    throw;
  }
  spdlog::set_default_logger(previous);
  return text.str();
}

std::string all_output_bytes(const std::string& dir) {
  std::string bytes;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += read_file(entry.path().string());
  }
  return bytes;
}

struct Sample {
  std::string split, pseudonym;
  std::int64_t label = 0;
  float feature = 0, first_voxel = 0;
};

// Every written sample, read back from the shards.
std::vector<Sample> written_samples(const ShardResult& result, std::size_t voxels) {
  std::vector<Sample> samples;
  for (const auto& [split, info] : result.manifest.splits) {
    for (const ShardEntry& entry : info.shards) {
      ShardReader reader(result.shard_dir + "/" + entry.file);
      std::vector<float> image(voxels);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i) {
        reader.read_image(i, image.data());
        samples.push_back({split, reader.data().pseudonyms[static_cast<std::size_t>(i)],
                           reader.data().labels[static_cast<std::size_t>(i)],
                           reader.data().features[static_cast<std::size_t>(i)], image[0]});
      }
    }
  }
  return samples;
}

// ---------------------------------------------------------------- NIfTI: the case name

TEST(ImagingJoin, NiftiRowsAreSamplesOfTheirPatientWithTheirOwnLabels) {
  const std::string dir = scratch("join_nifti");
  make_fixture("nifti", dir + "/task");  // case_000 .. case_005, voxel (0,0,0) = case number
  // Patient PAT-31415 has three cases with different outcomes; PAT-27182 one case named by two
  // rows (two lesions of one scan, one benign); a row naming no case; case_005 named by no row.
  const std::string table =
      "subject,image,size_mm,outcome\n"
      "PAT-31415,case_000,10,no\n"
      "PAT-31415,imagesTr/case_001.nii.gz,11,yes\n"
      "PAT-31415,case_002.nii.gz,12,yes\n"
      "PAT-27182,case_003_0000.nii.gz,13,yes\n"
      "PAT-27182,case_003,14,no\n"
      "PAT-16180,case_004,15,no\n"
      "PAT-14142,case_999,16,yes\n";
  Config config = joined_config(dir, "nifti", dir + "/task", table);
  config.data.val_fraction = 0;  // 3 patients: a train and a test split
  config.data.test_fraction = 0.4;
  ShardResult result;
  const std::string log = captured_log([&] { result = run_shard(config, false); });

  EXPECT_EQ(result.manifest.rejected_rows.at("clinical row without an image"), 1);
  EXPECT_EQ(result.manifest.rejected_rows.at("image without a clinical row"), 1);
  EXPECT_NE(log.find("name no image under data.images.path (column 'image', line(s) 8)"),
            std::string::npos)
      << log;
  const Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  // Standardised feature order follows size_mm; the first voxel is the case number.
  std::multiset<std::tuple<std::string, int, std::int64_t>> got, want = {
      {pseudonymize("PAT-31415"), 0, 0}, {pseudonymize("PAT-31415"), 1, 1},
      {pseudonymize("PAT-31415"), 2, 1}, {pseudonymize("PAT-27182"), 3, 1},
      {pseudonymize("PAT-27182"), 3, 0}, {pseudonymize("PAT-16180"), 4, 0}};
  std::map<std::string, std::set<std::string>> splits_of;
  std::map<int, std::vector<float>> features_of_case;
  const std::vector<Sample> samples = written_samples(result, 6 * 8 * 10);
  for (const Sample& s : samples) {
    const int c = static_cast<int>(s.first_voxel);
    got.insert({s.pseudonym, c, s.label});
    splits_of[s.pseudonym].insert(s.split);
    features_of_case[c].push_back(s.feature);
  }
  EXPECT_EQ(got, want);
  for (const auto& [patient, splits] : splits_of) EXPECT_EQ(splits.size(), 1u);
  // Each row keeps its own features: the two rows of case_003 differ (13 and 14 mm).
  ASSERT_EQ(features_of_case[3].size(), 2u);
  EXPECT_NE(features_of_case[3][0], features_of_case[3][1]);
  std::int64_t samples_in_manifest = 0, patients_in_manifest = 0;
  for (const auto& [name, info] : result.manifest.splits) {
    samples_in_manifest += info.num_samples;
    patients_in_manifest += info.num_patients;
  }
  EXPECT_EQ(samples_in_manifest, 6);
  EXPECT_EQ(patients_in_manifest, 3);

  const auto report = nlohmann::json::parse(read_file(result.shard_dir + "/privacy_report.json"));
  EXPECT_NE(report["clinical_rows"].get<std::string>().find("data.images.join_column"),
            std::string::npos);
  EXPECT_EQ(report["patients_in_more_than_one_split"], 0);
  const std::string bytes = all_output_bytes(config.data.shard_dir);
  for (const char* secret : {"case_00", "case_999", "PAT-31415", "PAT-27182", "PAT-16180"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }
}

// What the shards hold, per written sample (pseudonym, label), and each patient's first voxels.
struct LabelsAndVoxels {
  std::multiset<std::pair<std::string, std::int64_t>> labels;
  std::map<std::string, std::set<float>> first_voxels;
};
LabelsAndVoxels labels_and_voxels(const ShardResult& result, std::size_t voxels) {
  LabelsAndVoxels seen;
  for (const Sample& s : written_samples(result, voxels)) {
    seen.labels.insert({s.pseudonym, s.label});
    seen.first_voxels[s.pseudonym].insert(s.first_voxel);
  }
  return seen;
}

// ---------------------------------------------------------------- DICOM: a folder or a file

// The two generated series, each in a folder named after its patient (as research exports do).
std::string dicom_export(const std::string& dir) {
  const std::string flat = dir + "/flat", root = dir + "/export";
  make_fixture("dicom-series", flat);
  for (const auto& [prefix, folder] :
       std::map<std::string, std::string>{{"p0_", "DUPONT_JEANNE/ct"}, {"p1_", "MARTIN_PAUL/ct"}}) {
    make_directories(root + "/site/" + folder);
    for (const auto& entry : fs::directory_iterator(flat)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) == 0) fs::copy(entry.path(), root + "/site/" + folder + "/" + name);
    }
  }
  return root;
}

TEST(ImagingJoin, DicomRowsNameTheirSeriesByFolderOrFileAndTheRowGivesThePatient) {
  const std::string dir = scratch("join_dicom");
  const std::string root = dicom_export(dir);
  // A Windows-style file path, a folder with "./" and a trailing '/', the series folder.
  const std::string table =
      "subject,image,size_mm,outcome\n"
      "S-1001,site/DUPONT_JEANNE/ct,8,yes\n"
      "S-1001,.\\site\\DUPONT_JEANNE\\ct\\p0_file2.dcm,9,no\n"
      "S-2002,./site/MARTIN_PAUL/ct/,7,yes\n";
  Config config = joined_config(dir, "dicom", root, table);
  config.data.image_shape = {2, 16, 16};
  config.data.val_fraction = 0;  // two patients, one split
  config.data.test_fraction = 0;
  ShardResult result;
  const std::string log = captured_log([&] { result = run_shard(config, false); });
  EXPECT_EQ(result.manifest.rejected_rows.count("clinical row without an image"), 0u);
  EXPECT_EQ(result.manifest.rejected_rows.count("image without a clinical row"), 0u);
  const Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  const auto [got, voxels_of] = labels_and_voxels(result, 2 * 16 * 16);
  // The patients are the table's subjects, not the files' PatientID.
  EXPECT_EQ(got, (std::multiset<std::pair<std::string, std::int64_t>>{
                     {pseudonymize("S-1001"), 1}, {pseudonymize("S-1001"), 0},
                     {pseudonymize("S-2002"), 1}}));
  // Both rows of S-1001 name the first series (HU 26 after resampling), S-2002 the second.
  EXPECT_EQ(voxels_of.at(pseudonymize("S-1001")), (std::set<float>{26}));
  EXPECT_EQ(voxels_of.at(pseudonymize("S-2002")), (std::set<float>{27}));
  const std::string bytes = all_output_bytes(config.data.shard_dir);
  for (const char* secret :
       {"DUPONT", "JEANNE", "MARTIN", "PAT-8842", "PAT-9911", "S-1001", "S-2002", "p0_file"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }
}

// The SeriesInstanceUID of a DICOM file, read with DCMTK as a user's annotation tool would.
std::string series_uid_of(const std::string& file) {
  DcmFileFormat dicom;
  EXPECT_TRUE(dicom.loadFile(file.c_str()).good()) << file;
  OFString uid;
  EXPECT_TRUE(dicom.getDataset()->findAndGetOFString(DCM_SeriesInstanceUID, uid).good()) << file;
  return uid.c_str();
}

TEST(ImagingJoin, DicomRowsMayNameTheirSeriesBySeriesInstanceUid) {
  const std::string dir = scratch("join_dicom_uid");
  const std::string root = dicom_export(dir);
  const std::string uid0 = series_uid_of(root + "/site/DUPONT_JEANNE/ct/p0_file1.dcm");
  const std::string uid1 = series_uid_of(root + "/site/MARTIN_PAUL/ct/p1_file1.dcm");
  ASSERT_NE(uid0, uid1);
  // Annotation tables (TCIA's, LIDC's) name series by UID; a path and a UID may be mixed.
  const std::string table = "subject,image,size_mm,outcome\n"
                            "S-1001," + uid0 + ",8,yes\n"
                            "S-1001," + uid0 + ",9,no\n"
                            "S-2002,site/MARTIN_PAUL/ct,7,yes\n"
                            "S-2002," + uid1 + ",6,no\n";
  Config config = joined_config(dir, "dicom", root, table);
  config.data.image_shape = {2, 16, 16};
  config.data.val_fraction = 0;
  config.data.test_fraction = 0;
  ShardResult result;
  const std::string log = captured_log([&] { result = run_shard(config, false); });
  const Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  const auto [got, voxels_of] = labels_and_voxels(result, 2 * 16 * 16);
  EXPECT_EQ(got, (std::multiset<std::pair<std::string, std::int64_t>>{
                     {pseudonymize("S-1001"), 1}, {pseudonymize("S-1001"), 0},
                     {pseudonymize("S-2002"), 1}, {pseudonymize("S-2002"), 0}}));
  EXPECT_EQ(voxels_of.at(pseudonymize("S-1001")), (std::set<float>{26}));
  EXPECT_EQ(voxels_of.at(pseudonymize("S-2002")), (std::set<float>{27}));
  // A UID identifies a patient's examination: it reaches no shard, manifest, report or log.
  const std::string bytes = all_output_bytes(config.data.shard_dir);
  for (const std::string& secret : {uid0, uid1}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }
  // An unknown UID is an unmatched row like an unknown path: named by its line, not its value.
  Config unknown = joined_config(dir, "dicom", root,
                                 table + "S-2002," + uid1 + ".99,5,no\n");
  unknown.data.image_shape = {2, 16, 16};
  unknown.data.shard_dir = dir + "/shards-unknown";
  unknown.data.val_fraction = 0;
  unknown.data.test_fraction = 0;
  ShardResult partial;
  const std::string warned = captured_log([&] { partial = run_shard(unknown, false); });
  EXPECT_EQ(partial.manifest.rejected_rows.at("clinical row without an image"), 1u);
  EXPECT_NE(warned.find("line(s) 6)"), std::string::npos) << warned;
  EXPECT_EQ(warned.find(uid1), std::string::npos) << warned;
}

TEST(ImagingJoin, BadNamesStopWithTheLineAndColumnButNeverTheCell) {
  const std::string dir = scratch("join_errors");
  const std::string root = dicom_export(dir);
  const std::string head = "subject,image,size_mm,outcome\nS-1001,site/DUPONT_JEANNE/ct,8,yes\n";
  struct Case {
    std::string row, expected;
  };
  for (const Case& c : std::vector<Case>{
           {"S-2002,site,7,no", "clinical.csv:3: column 'image' (data.images.join_column) names a "
                                "folder holding 2 image series"},
           {"S-2002,../DUPONT_JEANNE,7,no", "clinical.csv:3: column 'image' "
                                            "(data.images.join_column) leaves data.images.path"},
           {"S-2002,/data/DUPONT_JEANNE,7,no", "clinical.csv:3: column 'image' "
                                               "(data.images.join_column) is an absolute path"},
           {"S-2002,.,7,no", "names data.images.path itself"},
           {"S-2002,,7,no", "clinical.csv:3: missing image name (data.images.join_column)"},
           {"S-2002,site/DUPONT_JEANNE/ct/p0_file1.dcm,7,no",
            "lines 2 and 3 name the same image (column 'image') but belong to different "
            "patients"}}) {
    Config config = joined_config(dir, "dicom", root, head + c.row + "\n");
    config.data.image_shape = {2, 16, 16};
    const std::string error = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.row << "\n" << error;
    EXPECT_EQ(error.find("DUPONT"), std::string::npos) << error;
  }
}

TEST(ImagingJoin, ConfigsThatCannotJoinAreRefusedBeforeAnyImageIsRead) {
  const std::string dir = scratch("join_config");
  const std::string table = "subject,image,size_mm,outcome\nS-1,a,1,yes\n";
  Config config = joined_config(dir, "nifti", dir + "/missing", table);
  config.data.csv.clear();
  EXPECT_NE(user_error_of([&] { run_shard(config, false); })
                .find("data.images.join_column names a column of data.csv, which is not set"),
            std::string::npos);
  config = joined_config(dir, "png", dir + "/missing", table);
  EXPECT_NE(user_error_of([&] { run_shard(config, false); })
                .find("data.images.join_column is for dicom and nifti images"),
            std::string::npos);
  config = joined_config(dir, "dicom", dir + "/missing", table);
  config.data.image_patient_map = dir + "/map.csv";
  EXPECT_NE(user_error_of([&] { run_shard(config, false); })
                .find("remove data.images.patient_map"),
            std::string::npos);
  config = joined_config(dir, "none", "", table);
  config.data.image_format = "none";
  EXPECT_NE(user_error_of([&] { run_shard(config, false); })
                .find("data.images.join_column is set but data.images.format is none"),
            std::string::npos);
}

// Without join_column, images still join one row per patient, and the error says what to set.
TEST(ImagingJoin, SeveralRowsPerPatientWithoutJoinColumnPointToIt) {
  const std::string dir = scratch("join_missing_key");
  make_fixture("nifti", dir + "/task");
  Config config = joined_config(dir, "nifti", dir + "/task",
                                "subject,size_mm,outcome\ncase_000,1,no\ncase_000,2,yes\n");
  config.data.image_join_column.clear();
  config.data.patient_id_column = "subject";
  const std::string error = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_NE(error.find("lines 2 and 3 belong to the same patient"), std::string::npos) << error;
  EXPECT_NE(error.find("set data.images.join_column"), std::string::npos) << error;
  EXPECT_EQ(error.find("case_000"), std::string::npos) << error;
}

}  // namespace
}  // namespace galien
