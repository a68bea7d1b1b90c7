// `galien shard` with images (run_shard with data.images.format set): real DICOM from
// python3-pydicom and generated NIfTI/PNG/MedMNIST/IDX sets go to shards that hold no byte of
// any patient name, ID, birth date or other identifying attribute; bad input is named.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>

#include "core/config/config.h"
#include "datasets/manifest.h"
#include "datasets/relink.h"
#include "datasets/shard_pipeline.h"
#include "datasets/shard_reader.h"
#include "datasets/shard_store.h"
#include "imaging_test_util.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using imaging_test::make_fixture;
using imaging_test::pydicom_file;
using imaging_test::scratch;
using imaging_test::user_error_of;

Config image_config(const std::string& dir, const std::string& format, const std::string& path) {
  Config config;
  config.data.image_format = format;
  config.data.image_path = path;
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 1;
  config.privacy.key_file = dir + "/key.bin";
  if (!fs::exists(config.privacy.key_file)) generate_key_file(config.privacy.key_file);
  config.sha256 = std::string(64, 'c');
  return config;
}

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

std::vector<std::string> output_files(const std::string& dir) {
  std::vector<std::string> bytes;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes.push_back(read_file(entry.path().string()));
  }
  return bytes;
}

// Identifying values of a DICOM file as DCMTK reads them, and each part of a person name.
std::set<std::string> identifying_values(const std::string& file) {
  DcmFileFormat dicom;
  EXPECT_TRUE(dicom.loadFile(file.c_str()).good()) << file;
  std::set<std::string> values;
  for (const DcmTagKey& tag :
       {DCM_PatientName, DCM_PatientID, DCM_PatientBirthDate, DCM_PatientAddress,
        DCM_InstitutionName, DCM_ReferringPhysicianName, DCM_AccessionNumber,
        DCM_StudyInstanceUID, DCM_SeriesInstanceUID, DCM_SOPInstanceUID}) {
    OFString value;
    if (dicom.getDataset()->findAndGetOFStringArray(tag, value).bad()) continue;
    std::string text = value.c_str();
    if (text.size() >= 4) values.insert(text);
    std::stringstream parts(text);
    for (std::string part; std::getline(parts, part, '^');) {
      if (part.size() >= 4) values.insert(part);
    }
  }
  return values;
}

std::vector<std::string> shard_paths(const ShardResult& result, const std::string& split) {
  std::vector<std::string> paths;
  for (const ShardEntry& e : result.manifest.splits.at(split).shards) {
    paths.push_back(result.shard_dir + "/" + e.file);
  }
  return paths;
}

// ---------------------------------------------------------------- DICOM ("Done when")

TEST(ImagingPipeline, PydicomFilesAndSeriesLeaveNoIdentifyingByteInAnyOutputOrLog) {
  std::string dir = scratch("dicom_privacy");
  std::string images = dir + "/dicom";
  make_fixture("dicom-series", images);
  fs::copy(pydicom_file("CT_small.dcm"), images + "/ct_small.dcm");
  fs::copy(pydicom_file("MR_small.dcm"), images + "/mr_small.dcm");
  std::set<std::string> secrets, patient_ids;
  for (const auto& entry : fs::directory_iterator(images)) {
    std::set<std::string> values = identifying_values(entry.path().string());
    secrets.insert(values.begin(), values.end());
  }
  for (const char* id : {"1CT1", "4MR1", "PAT-8842-DUPONT", "PAT-9911-MARTIN"}) {
    EXPECT_EQ(secrets.count(id), 1u) << id;  // DCMTK read them: the search below is real
    patient_ids.insert(id);
  }
  for (const char* s : {"CompressedSamples^CT1", "19450317", "HOPITAL SAINT-LOUIS"}) {
    EXPECT_EQ(secrets.count(s), 1u) << s;
  }

  Config config = image_config(dir, "dicom", images);
  config.data.image_shape = {4, 32, 32};
  config.data.image_intensity = "window";
  config.data.val_fraction = 0.25;
  config.data.test_fraction = 0.25;
  ShardResult result;
  std::string log = captured_log([&] { result = run_shard(config, false); });
  EXPECT_CONTAINS(log, "images");

  for (const std::string& bytes : output_files(config.data.shard_dir)) {
    for (const std::string& secret : secrets) {
      ASSERT_EQ(bytes.find(secret), std::string::npos) << secret;
    }
  }
  for (const std::string& secret : secrets) EXPECT_EQ(log.find(secret), std::string::npos);

  // The shards hold the keyed pseudonyms of the PatientIDs, each patient in one split, and
  // images of the configured shape with only allow-listed attributes.
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::set<std::string> expected, seen;
  for (const std::string& id : patient_ids) expected.insert(pseudonymize(id));
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardReader reader(path);
      ASSERT_TRUE(reader.has_image());
      EXPECT_EQ(reader.data().images.shape, (std::vector<std::int64_t>{1, 4, 32, 32}));
      for (std::int64_t i = 0; i < reader.num_samples(); ++i) {
        EXPECT_TRUE(seen.insert(reader.data().pseudonyms[i]).second);
        auto meta = nlohmann::json::parse(reader.data().images.meta[i]);
        EXPECT_TRUE(meta["modality"] == "CT" || meta["modality"] == "MR") << meta;
        // Every series here is axial, ImageOrientationPatient [1,0,0,0,1,0]: stored LPS.
        EXPECT_EQ(meta["orientation"], "LPS") << meta;
        for (const auto& [key, value] : meta.items()) {
          EXPECT_TRUE(std::set<std::string>({"modality", "rows", "columns", "slices",
                                             "spacing_mm", "slice_thickness_mm",
                                             "rescale_slope", "rescale_intercept",
                                             "photometric_interpretation", "bits_stored",
                                             "orientation", "grid_spacing_mm",
                                             "source_shape", "affine", "affine_code"})
                          .count(key))
              << key;
        }
      }
    }
  }
  EXPECT_EQ(seen, expected);
  auto images_info = nlohmann::json::parse(load_manifest(result.shard_dir).images);
  EXPECT_EQ(images_info["shape"], nlohmann::json({1, 4, 32, 32}));
}

TEST(ImagingPipeline, DicomJoinsTheClinicalTableByPatient) {
  std::string dir = scratch("dicom_join");
  std::string images = dir + "/dicom";
  make_fixture("dicom-series", images);
  fs::copy(pydicom_file("CT_small.dcm"), images + "/ct_small.dcm");
  fs::copy(pydicom_file("MR_small.dcm"), images + "/mr_small.dcm");
  write_file_atomic(dir + "/clinical.csv",
                    "patient_id,age,outcome\nPAT-8842-DUPONT,70,yes\nPAT-9911-MARTIN,62,yes\n"
                    "1CT1,55,yes\n4MR1,48,no\nPAT-0000-NOIMAGE,33,no\n");
  Config config = image_config(dir, "dicom", images);
  config.data.csv = dir + "/clinical.csv";
  config.data.patient_id_column = "patient_id";
  config.data.label_column = "outcome";
  config.data.classes = {"no", "yes"};
  config.data.numeric = {"age"};
  config.data.image_shape = {2, 16, 16};
  config.data.image_dtype = "float16";
  config.data.val_fraction = 0.25;
  config.data.test_fraction = 0.25;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  EXPECT_EQ(result.manifest.rejected_rows.at("clinical row without an image"), 1);
  EXPECT_EQ(result.manifest.features.size(), 1u);
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::map<std::string, std::int64_t> label_of = {{pseudonymize("PAT-8842-DUPONT"), 1},
                                                  {pseudonymize("4MR1"), 0}};
  std::int64_t samples = 0, series_checked = 0;
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardReader reader(path);
      samples += reader.num_samples();
      EXPECT_EQ(reader.data().num_features, 1);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i) {
        auto it = label_of.find(reader.data().pseudonyms[i]);
        if (it != label_of.end()) EXPECT_EQ(reader.data().labels[i], it->second);
      }
      std::vector<float> image(2 * 16 * 16);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i) {
        // Raw HU as float16. The generated series have slices of -24, 76, 176, 276 HU (+1 for
        // the second patient); 4 slices resampled to 2 average slices 0-1 and 2-3.
        const std::string& p = reader.data().pseudonyms[i];
        int offset = p == pseudonymize("PAT-8842-DUPONT") ? 0
                     : p == pseudonymize("PAT-9911-MARTIN") ? 1 : -1;
        if (offset < 0) continue;
        reader.read_image(i, image.data());
        EXPECT_EQ(image[0], 26 + offset);
        EXPECT_EQ(image[16 * 16 + 5], 226 + offset);
        ++series_checked;
      }
    }
  }
  EXPECT_EQ(samples, 4);
  EXPECT_EQ(series_checked, 2);
  // The one shard pipeline reads every written image shard's /pseudonym back, as for tables.
  const auto report = nlohmann::json::parse(read_file(result.shard_dir + "/privacy_report.json"));
  EXPECT_EQ(report["split_disjointness_verified"],
            "the /pseudonym of every written shard was read back: 4 samples of 4 patients");
  EXPECT_EQ(report["patients_in_more_than_one_split"], 0);
}

TEST(ImagingPipeline, PatientMapNamesThePatientOfEachFolder) {
  std::string dir = scratch("dicom_map");
  std::string images = dir + "/dicom";
  make_fixture("dicom-series", dir + "/flat");
  for (const char* sub : {"/ward-a/2021", "/ward-b"}) fs::create_directories(images + sub);
  for (int k = 0; k < 4; ++k) {
    std::string name = "_file" + std::to_string(k) + ".dcm";
    fs::rename(dir + "/flat/p0" + name, images + "/ward-a/2021/p0" + name);
    fs::rename(dir + "/flat/p1" + name, images + "/ward-b/p1" + name);
  }
  fs::copy(pydicom_file("CT_small.dcm"), images + "/ward-a/ct.dcm");
  write_file_atomic(dir + "/map.csv",
                    "path,patient_id\nward-a,ALPHA-1\nward-a/2021,GAMMA-3\nward-b/,BETA-2\n");
  Config config = image_config(dir, "dicom", images);
  config.data.image_patient_map = dir + "/map.csv";
  config.data.image_shape = {1, 8, 8};
  config.data.image_dtype = "float16";
  config.data.val_fraction = 0.34;
  config.data.test_fraction = 0.33;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::set<std::string> seen;
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardData shard = read_shard(path);
      seen.insert(shard.pseudonyms.begin(), shard.pseudonyms.end());
    }
  }
  // The deepest listed folder wins; PatientID inside the files is not used.
  EXPECT_EQ(seen, (std::set<std::string>{pseudonymize("ALPHA-1"), pseudonymize("GAMMA-3"),
                                         pseudonymize("BETA-2")}));
  fs::create_directories(images + "/ward-c");
  fs::copy(pydicom_file("MR_small.dcm"), images + "/ward-c/mr.dcm");
  std::string message = user_error_of([&] { run_shard(config, true); });
  EXPECT_CONTAINS(message, "ward-c/mr.dcm");
  EXPECT_CONTAINS(message, "data.images.patient_map");
}

// Research exports name folders and files after the patient: messages name a file relative to
// data.images.path, every folder or file name that holds the PatientID, a name part or the
// accession number redacted, and a file whose attributes cannot be read by its rank only.
TEST(ImagingPipeline, DicomErrorsNameNoFolderOrFileAfterThePatient) {
  std::string dir = scratch("dicom_named_after_patient");
  std::string images = dir + "/dicom";
  std::string flat = dir + "/flat";
  make_fixture("dicom-series", flat);
  // One file of MARTIN's series (p1_file1.dcm, to be "slice1.dcm") gets another image size.
  std::string shrink =
      "/usr/bin/python3 -c \"import pydicom, sys; d = pydicom.dcmread(sys.argv[1]); "
      "d.Rows = 64; d.PixelData = d.PixelData[:len(d.PixelData) // 2]; "
      "d.save_as(sys.argv[1])\" " + flat + "/p1_file1.dcm";
  ASSERT_EQ(std::system(shrink.c_str()), 0);
  const std::string dupont = images + "/PAT-8842-DUPONT/Dupont_Jeanne_CT";
  const std::string martin = images + "/Martin Paul (ACC0004243)/CT";
  fs::create_directories(dupont);
  fs::create_directories(martin);
  for (int k = 0; k < 4; ++k) {
    std::string name = "_file" + std::to_string(k) + ".dcm";
    fs::rename(flat + "/p0" + name, dupont + "/pat-8842-dupont_" + std::to_string(k) + ".dcm");
    fs::rename(flat + "/p1" + name, martin + "/slice" + std::to_string(k) + ".dcm");
  }
  std::ofstream(dupont + "/DUPONT_JEANNE_report.txt") << "not DICOM\n";
  Config config = image_config(dir, "dicom", images);
  config.data.image_shape = {2, 16, 16};
  config.data.val_fraction = 0.0;
  config.data.test_fraction = 0.5;
  const std::vector<std::string> identifying = {
      "8842", "DUPONT", "Dupont", "dupont", "JEANNE", "Jeanne", "9911", "MARTIN", "Martin",
      "Paul", "ACC0004243", dir};

  // 1. Not DICOM: its attributes are unknown, so it is named by its rank; the command the
  //    message gives lists it.
  std::string message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  for (const std::string& secret : identifying) {
    EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in: " << message;
  }
  // Sorted: "Martin Paul ..." (4 files), then "PAT-8842-DUPONT/Dupont_Jeanne_CT/DUPONT_...".
  EXPECT_CONTAINS(message, "cannot read DICOM file 5 of 9 under data.images.path (2 folders "
                           "deep, extension .txt;");
  EXPECT_CONTAINS(message, "not DICOM");
  std::size_t begin = message.find('`'), end = message.find('`', begin + 1);
  ASSERT_NE(end, std::string::npos) << message;
  std::string command = message.substr(begin + 1, end - begin - 1);
  command.replace(command.find("DIR"), 3, "'" + images + "'");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[4096] = {0};
  ASSERT_NE(fgets(line, sizeof line, pipe), nullptr) << command;
  pclose(pipe);
  EXPECT_EQ(std::string(line), dupont + "/DUPONT_JEANNE_report.txt\n") << command;
  fs::remove(dupont + "/DUPONT_JEANNE_report.txt");

  // 2. Readable files of one series with two image sizes: both named by their relative path,
  //    the folder holding MARTIN's name and accession number redacted, "CT" kept.
  message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  for (const std::string& secret : identifying) {
    EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in: " << message;
  }
  EXPECT_CONTAINS(message, "DICOM file '<redacted>/CT/slice1.dcm' under data.images.path has "
                           "64 x 128 pixels but file '<redacted>/CT/slice0.dcm' under "
                           "data.images.path of the same series has 128 x 128");
  EXPECT_CONTAINS(message, "remove the odd file (<redacted>: a folder or file name holding the "
                           "patient's ID, name or accession number, or a date of the file)");
  fs::remove(martin + "/slice1.dcm");

  // 3. Images of different depths (4 and 3 slices) without a shape to resample to, or HU that
  //    uint8 cannot store (whichever the random key's split writes first): the series is named
  //    by its rank and first file, DUPONT's '<redacted>/<redacted>/<redacted>' or MARTIN's
  //    '<redacted>/CT/slice2.dcm'.
  config.data.image_shape = {};
  message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  for (const std::string& secret : identifying) {
    EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in: " << message;
  }
  EXPECT_CONTAINS(message, " of 2 (first file '<redacted>/");
  EXPECT_CONTAINS(message, "' under data.images.path; <redacted>: a folder or file name holding");
  config.data.image_shape = {2, 16, 16};

  // Fixed: the shard is written and the log names no patient either.
  config.data.image_dtype = "float16";
  std::string log = captured_log([&] { run_shard(config, true); });
  for (const std::string& secret : identifying) {
    if (secret == dir) continue;  // the log names the shard directory, an output
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in: " << log;
  }
}

// Export trees also name folders and files after the dates of a study (and of the patient's
// birth): <ID>_<NAME>/<MODALITY>_<STUDYDATE>/... in every usual spelling. Those components are
// redacted like IDs and names, so no date of a file reaches a message.
TEST(ImagingPipeline, DicomErrorsNameNoFolderOrFileAfterTheStudyOrBirthDate) {
  std::string dir = scratch("dicom_named_after_dates");
  std::string images = dir + "/dicom";
  std::string flat = dir + "/flat";
  make_fixture("dicom-series", flat);
  // Known dates in every file: patient 0 studied 2010-01-14 (born 1958-03-02), patient 1
  // studied 2011-03-05 (born 1950-11-23); one file of patient 1 gets another image size.
  std::string set_dates =
      "/usr/bin/python3 -c \"import pydicom, sys, glob\n"
      "for f in glob.glob(sys.argv[1] + '/p*.dcm'):\n"
      "  d = pydicom.dcmread(f); p0 = '/p0_' in f\n"
      "  study = '20100114' if p0 else '20110305'\n"
      "  d.StudyDate = d.SeriesDate = d.AcquisitionDate = d.ContentDate = study\n"
      "  d.PatientBirthDate = '19580302' if p0 else '19501123'\n"
      "  if f.endswith('p1_file1.dcm'): d.Rows = 64; d.PixelData = d.PixelData[:len(d.PixelData) // 2]\n"
      "  d.save_as(f)\" " + flat;
  ASSERT_EQ(std::system(set_dates.c_str()), 0);
  const std::string first = images + "/8842_DUPONT/CT_2010-01-14";
  const std::string second = images + "/9911_MARTIN/MR_05-03-2011";
  fs::create_directories(first);
  fs::create_directories(second);
  for (int k = 0; k < 4; ++k) {
    std::string name = "_file" + std::to_string(k) + ".dcm";
    fs::rename(flat + "/p0" + name, first + "/img_14012010_" + std::to_string(k) + ".dcm");
    fs::rename(flat + "/p1" + name, second + "/born_1950_11_23_" + std::to_string(k) + ".dcm");
  }
  Config config = image_config(dir, "dicom", images);
  config.data.image_shape = {2, 16, 16};
  config.data.val_fraction = 0.0;
  config.data.test_fraction = 0.5;
  const std::vector<std::string> dates = {"2010", "20100114", "14012010", "2011", "05-03",
                                          "1950", "11_23", "8842", "DUPONT", "9911", "MARTIN", dir};
  std::string message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  for (const std::string& secret : dates) {
    EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in: " << message;
  }
  // The error names both files, every component redacted but the structure.
  EXPECT_CONTAINS(message, "DICOM file '<redacted>/<redacted>/<redacted>' under data.images.path "
                           "has 64 x 128 pixels but file '<redacted>/<redacted>/<redacted>' under "
                           "data.images.path of the same series has 128 x 128");
  // Components without a date or identifier stay readable.
  fs::rename(images + "/9911_MARTIN", images + "/subject_b");
  fs::rename(images + "/subject_b/MR_05-03-2011", images + "/subject_b/MR");
  for (int k = 0; k < 4; ++k)
    fs::rename(images + "/subject_b/MR/born_1950_11_23_" + std::to_string(k) + ".dcm",
               images + "/subject_b/MR/slice" + std::to_string(k) + ".dcm");
  message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_CONTAINS(message, "DICOM file 'subject_b/MR/slice1.dcm' under data.images.path has 64 x "
                           "128 pixels");
}

// galien relink --images (controller side): the image source, read again with the controller
// key, gives back the PatientID of every pseudonym the shards hold.
TEST(ImagingPipeline, RelinkFindsThePatientIdOfEveryDicomPseudonym) {
  std::string dir = scratch("dicom_relink");
  std::string images = dir + "/dicom";
  make_fixture("dicom-series", images);
  Config config = image_config(dir, "dicom", images);
  config.data.image_shape = {2, 16, 16};
  config.data.val_fraction = 0.0;
  config.data.test_fraction = 0.5;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  const std::map<std::string, std::string> ids = pseudonyms_of_source(
      RelinkSource{"", "", images, "dicom", ""}, load_key_file(config.privacy.key_file));
  std::set<std::string> found;
  for (const auto& [name, split] : result.manifest.splits) {
    for (const ShardEntry& entry : split.shards) {
      for (const std::string& pseudonym :
           load_shard(result.shard_dir, entry, result.manifest, nullptr).pseudonyms) {
        auto it = ids.find(pseudonym);
        ASSERT_NE(it, ids.end()) << "a shard pseudonym no PatientID gives";
        found.insert(it->second);
      }
    }
  }
  EXPECT_EQ(found, (std::set<std::string>{"PAT-8842-DUPONT", "PAT-9911-MARTIN"}));
  // NIfTI is the other image format relink reads; anything else is refused by name.
  EXPECT_CONTAINS(user_error_of([&] {
                    pseudonyms_of_source(RelinkSource{"", "", images, "png", ""},
                                         load_key_file(config.privacy.key_file));
                  }),
                  "relinking images reads DICOM PatientIDs or NIfTI case names");
}

TEST(ImagingPipeline, ImageKeysLoadFromYamlWithTheirChecks) {
  std::string dir = scratch("config");
  std::ofstream(dir + "/ok.yaml") << "data:\n  images:\n    format: nifti\n"
                                  << "    shape: [64, 128, 128]\n    spacing: [2.5, 1, 0.75]\n";
  Config config = load_config(dir + "/ok.yaml");
  EXPECT_EQ(config.data.image_format, "nifti");
  EXPECT_EQ(config.data.image_spacing, (std::vector<double>{2.5, 1.0, 0.75}));
  EXPECT_CONTAINS(config.resolved_yaml, "spacing: [2.5, 1.0, 0.75]");
  std::ofstream(dir + "/bad.yaml") << "data:\n  images:\n    spacing: [1, -2]\n";
  std::string message = user_error_of([&] { load_config(dir + "/bad.yaml"); });
  EXPECT_CONTAINS(message,
                  "bad.yaml:3:18: data.images.spacing[1] must be a number in (0, 1000], got '-2'");
  std::ofstream(dir + "/fmt.yaml") << "data:\n  images:\n    format: dcm\n";
  EXPECT_CONTAINS(user_error_of([&] { load_config(dir + "/fmt.yaml"); }), "one of none, dicom");
}

// ---------------------------------------------------------------- NIfTI

TEST(ImagingPipeline, NiftiImagesAndMasksKeepTheirIndexAndCaseNamesStayOut) {
  std::string dir = scratch("nifti");
  make_fixture("nifti", dir + "/task");
  Config config = image_config(dir, "nifti", dir + "/task");
  config.data.image_dtype = "float16";
  config.data.image_gzip_level = 1;
  config.data.val_fraction = 0.2;
  config.data.test_fraction = 0.2;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::int64_t samples = 0;
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardReader reader(path);
      ASSERT_TRUE(reader.has_mask());
      EXPECT_EQ(reader.data().images.shape, (std::vector<std::int64_t>{1, 6, 8, 10}));
      std::vector<float> image(480);
      std::vector<std::uint8_t> mask(480);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i, ++samples) {
        reader.read_image(i, image.data());
        reader.read_mask(i, mask.data());
        int c = int(image[0]);  // voxel (0, 0, 0) = case number
        EXPECT_EQ(reader.data().pseudonyms[i], pseudonymize("case_00" + std::to_string(c)));
        int z = 2, y = 5, x = 7;
        EXPECT_EQ(image[(z * 8 + y) * 10 + x], x + 10 * y + 100 * z + c);
        EXPECT_EQ(mask[(z * 8 + y) * 10 + x], 1);
        EXPECT_EQ(mask[(z * 8 + 2) * 10 + x], 0);
      }
    }
  }
  EXPECT_EQ(samples, 6);
  for (const std::string& bytes : output_files(config.data.shard_dir)) {
    EXPECT_EQ(bytes.find("case_00"), std::string::npos);
  }
}

// The case is named by its rank, not by its file name, which is its patient key.
TEST(ImagingPipeline, ImageOfTheWrongDimensionsNamesTheCaseAndShapes) {
  std::string dir = scratch("nifti_odd");
  make_fixture("nifti", dir + "/task", "--odd");
  Config config = image_config(dir, "nifti", dir + "/task");
  config.data.image_dtype = "float16";
  config.data.val_fraction = 0.2;
  config.data.test_fraction = 0.2;
  std::string message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_CONTAINS(message, "NIfTI case 5 of 6 in " + dir + "/task/imagesTr (cases in name order)");
  EXPECT_EQ(message.find("case_004"), std::string::npos) << message;
  EXPECT_CONTAINS(message, "[1, 5, 8, 10]");
  EXPECT_CONTAINS(message, "[1, 6, 8, 10]");
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/manifest.json"));
  config.data.image_shape = {6, 8, 10};  // resampling makes them fit
  captured_log([&] { run_shard(config, true); });
}

TEST(ImagingPipeline, EmptySplitIsRefused) {
  std::string dir = scratch("nifti_empty");
  make_fixture("nifti", dir + "/task");
  Config config = image_config(dir, "nifti", dir + "/task");
  config.data.image_dtype = "float16";
  config.data.val_fraction = 0.05;  // 6 cases: no patient for val
  config.data.test_fraction = 0.2;
  EXPECT_CONTAINS(user_error_of([&] { run_shard(config, false); }), "split 'val' is empty");
}

// ---------------------------------------------------------------- PNG (ChestX-ray14 layout)

TEST(ImagingPipeline, PngMultiLabelFromTheLabelsTable) {
  std::string dir = scratch("png");
  make_fixture("png", dir + "/images");
  Config config = image_config(dir, "png", dir + "/images");
  config.data.image_labels_csv = dir + "/images/Data_Entry.csv";
  config.data.image_channels = 1;
  config.data.val_fraction = 0.25;
  config.data.test_fraction = 0.25;
  // Images only: the table's clinical columns are accounted for as unused.
  config.data.drop = {"Follow-up #", "Patient Age", "Patient Gender"};
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  auto info = nlohmann::json::parse(result.manifest.images);
  EXPECT_EQ(info["labels_multi"],
            nlohmann::json({"Atelectasis", "Cardiomegaly", "Effusion", "Infiltration"}));
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::int64_t samples = 0;
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardReader reader(path);
      EXPECT_EQ(reader.data().images.shape, (std::vector<std::int64_t>{1, 32, 32}));
      ASSERT_EQ(reader.data().num_labels_multi, 4);
      std::vector<float> image(1024);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i, ++samples) {
        reader.read_image(i, image.data());
        int index = int(image[0]);  // pixel 0 of image i = i
        int patient = 30000 + index / 2;
        EXPECT_EQ(reader.data().pseudonyms[i], pseudonymize(std::to_string(patient)));
        // findings[(i / 2) % 4]: Atelectasis | Effusion+Infiltration | none | Cardio+Effusion
        std::vector<std::vector<std::uint8_t>> expected = {
            {1, 0, 0, 0}, {0, 0, 1, 1}, {0, 0, 0, 0}, {0, 1, 1, 0}};
        std::vector<std::uint8_t> row(reader.data().labels_multi.begin() + i * 4,
                                      reader.data().labels_multi.begin() + i * 4 + 4);
        EXPECT_EQ(row, expected[(index / 2) % 4]) << index;
      }
    }
  }
  EXPECT_EQ(samples, 24);
  for (const std::string& bytes : output_files(config.data.shard_dir)) {
    for (int p = 30000; p < 30012; ++p) {
      EXPECT_FALSE(test::contains_as_value(bytes, std::to_string(p))) << p;
    }
  }
}

// Named by its table line only: ChestX-ray14 file names hold the patient ID (patient 30003).
TEST(ImagingPipeline, PngListedButMissingIsNamedWithItsLine) {
  std::string dir = scratch("png_missing");
  make_fixture("png", dir + "/images");
  fs::remove(dir + "/images/00030003_001.png");
  Config config = image_config(dir, "png", dir + "/images");
  config.data.image_labels_csv = dir + "/images/Data_Entry.csv";
  std::string message = user_error_of([&] { run_shard(config, false); });
  EXPECT_CONTAINS(message, "the PNG file of " + config.data.image_labels_csv + ":9 (column "
                           "'Image Index') is not in " + config.data.image_path);
  EXPECT_EQ(message.find("30003"), std::string::npos) << message;
  // A file that is there but damaged: the same naming, through the reader.
  make_fixture("png", dir + "/images");
  write_file_atomic(dir + "/images/00030004_000.png", "not a png");
  config.data.drop = {"Follow-up #", "Patient Age", "Patient Gender"};
  message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_CONTAINS(message, "cannot read the image of " + config.data.image_labels_csv + ":10");
  EXPECT_EQ(message.find("30004"), std::string::npos) << message;
}

// ---------------------------------------------------------------- MedMNIST and IDX

TEST(ImagingPipeline, MedmnistSplitsComeFromTheFile) {
  std::string dir = scratch("medmnist");
  make_fixture("npz", dir + "/pathmnist.npz");
  Config config = image_config(dir, "medmnist", dir + "/pathmnist.npz");
  config.data.shards = 2;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  EXPECT_EQ(result.manifest.splits.at("train").num_samples, 20);
  EXPECT_EQ(result.manifest.splits.at("val").num_samples, 6);
  EXPECT_EQ(result.manifest.splits.at("test").num_samples, 8);
  EXPECT_EQ(result.manifest.classes, (std::vector<std::string>{"0", "1", "2"}));
  for (const std::string& path : shard_paths(result, "test")) {
    ShardReader reader(path);
    std::vector<float> image(784);
    for (std::int64_t i = 0; i < reader.num_samples(); ++i) {
      reader.read_image(i, image.data());
      int index = int(image[400]) / 7;  // test image i is constant 7i, its label i % 3
      EXPECT_EQ(reader.data().labels[i], index % 3);
    }
  }
  config.data.shards = 7;  // val has 6 samples
  std::string message = user_error_of([&] { run_shard(config, true); });
  EXPECT_CONTAINS(message, "split 'val' has 6 samples but data.shards is 7");
}

TEST(ImagingPipeline, IdxTrainFileIsSplitIntoTrainAndVal) {
  std::string dir = scratch("idx");
  make_fixture("idx", dir + "/fashion");
  Config config = image_config(dir, "idx", dir + "/fashion");
  config.data.val_fraction = 0.2;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  EXPECT_EQ(result.manifest.splits.at("train").num_samples, 24);
  EXPECT_EQ(result.manifest.splits.at("val").num_samples, 6);
  EXPECT_EQ(result.manifest.splits.at("test").num_samples, 10);
  EXPECT_EQ(result.manifest.classes.size(), 10u);
}

TEST(ImagingPipeline, EncryptedImageShardsReadBackThroughTheStore) {
  std::string dir = scratch("encrypted");
  make_fixture("npz", dir + "/m.npz");
  Config config = image_config(dir, "medmnist", dir + "/m.npz");
  config.privacy.encrypt = true;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  const ShardEntry& entry = result.manifest.splits.at("val").shards.at(0);
  EXPECT_NE(entry.file.find(".enc"), std::string::npos);
  DataKeys keys(load_key_file(config.privacy.key_file));
  ShardData shard = load_shard(result.shard_dir, entry, result.manifest, &keys);
  EXPECT_EQ(shard.images.shape, (std::vector<std::int64_t>{1, 28, 28}));
  EXPECT_EQ(shard.num_samples(), 6);
}

}  // namespace
}  // namespace galien
