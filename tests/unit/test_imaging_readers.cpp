// Image readers (DICOM, NIfTI, PNG, .npz, IDX) against files written by other tools, and the
// geometry/intensity steps between a source image and the stored bytes.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "datasets/imaging/dicom.h"
#include "datasets/imaging/float16.h"
#include "datasets/imaging/idx.h"
#include "datasets/imaging/image_transform.h"
#include "datasets/imaging/nifti.h"
#include "datasets/imaging/npz.h"
#include "datasets/imaging/png.h"
#include "datasets/imaging/resample.h"
#include "datasets/imaging/safe_path.h"
#include "imaging_test_util.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using imaging_test::make_fixture;
using imaging_test::pydicom_file;
using imaging_test::scratch;
using imaging_test::user_error_of;

DicomPatientKey plain_key() {
  return [](const std::string&, const std::string& id) { return "key-of-" + id; };
}

void truncate_copy(const std::string& from, const std::string& to, double keep) {
  std::string bytes = read_file(from);
  auto size = static_cast<std::size_t>(static_cast<double>(bytes.size()) * keep);
  std::ofstream(to, std::ios::binary) << bytes.substr(0, size);
}

// ---------------------------------------------------------------- DICOM

TEST(Dicom, CtSmallIsInHounsfieldUnitsAsPydicomComputesThem) {
  std::string dir = scratch("dicom_ct");
  fs::copy(pydicom_file("CT_small.dcm"), dir + "/ct.dcm");
  auto series = scan_dicom(dir, plain_key());
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].pseudonym, "key-of-1CT1");
  ImageAttributes attributes;
  Volume v = load_dicom_series(series[0], &attributes);
  EXPECT_EQ(v.shape_text(), "[1, 1, 128, 128]");
  EXPECT_NEAR(v.spacing[1], 0.661468, 1e-6);
  EXPECT_EQ(attributes.modality, "CT");
  EXPECT_EQ(attributes.rescale_intercept, -1024);
  EXPECT_EQ(v.orientation, "LPS");  // axial, ImageOrientationPatient [1,0,0,0,1,0]
  EXPECT_EQ(attributes.orientation, "LPS");
  // Reference: pydicom's pixel_array * slope + intercept, summed and at two pixels; the volume
  // is RAS+, so rows (P -> A) and columns (L -> R) run backwards from the file's.
  std::string out = dir + "/reference.txt";
  std::string script =
      "import pydicom, sys; d = pydicom.dcmread(sys.argv[1]); "
      "a = d.pixel_array.astype(float) * float(d.RescaleSlope) + float(d.RescaleIntercept); "
      "a = a[::-1, ::-1]; "
      "open(sys.argv[2], 'w').write('%d %d %d' % (a.sum(), a[0, 0], a[64, 37]))";
  std::string command = "/usr/bin/python3 -c \"" + script + "\" " + pydicom_file("CT_small.dcm") +
                        " " + out;
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(out);
  double sum = 0, first = 0, middle = 0;
  in >> sum >> first >> middle;
  double total = 0;
  for (float x : v.voxels) total += x;
  EXPECT_EQ(total, sum);
  EXPECT_EQ(v.voxels[0], first);
  EXPECT_EQ(v.voxels[64 * 128 + 37], middle);
}

TEST(Dicom, SeriesGroupedByUidAndSlicesOrderedByPosition) {
  std::string dir = scratch("dicom_series");
  make_fixture("dicom-series", dir);
  auto series = scan_dicom(dir, plain_key());
  ASSERT_EQ(series.size(), 2u);
  for (int p = 0; p < 2; ++p) {
    Volume v = load_dicom_series(series[p], nullptr);
    ASSERT_EQ(v.depth, 4);
    EXPECT_NEAR(v.spacing[0], 5.0, 1e-4);
    for (int k = 0; k < 4; ++k) {  // slice k has stored 1000 + 100k + p, HU = stored - 1024
      EXPECT_EQ(v.voxels[k * 128 * 128 + 77], 1000 + 100 * k + p - 1024) << p << " " << k;
    }
  }
  EXPECT_EQ(series[0].pseudonym, "key-of-PAT-8842-DUPONT");
}

TEST(Dicom, CompressedTransferSyntaxesDecodeToTheSameVoxels) {
  auto load_one = [](const std::string& file) {
    std::string dir = scratch("dicom_codec_" + file);
    fs::copy(pydicom_file(file), dir + "/x.dcm");
    return load_dicom_series(scan_dicom(dir, plain_key()).at(0), nullptr).voxels;
  };
  std::vector<float> plain = load_one("MR_small.dcm");
  ASSERT_EQ(plain.size(), 64u * 64u);
  for (const char* file : {"MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                           "MR_small_bigendian.dcm", "MR_small_implicit.dcm"}) {
    EXPECT_EQ(load_one(file), plain) << file;
  }
}

// Named relative to the root (never the full path); a file whose attributes cannot be read by
// its rank only (docs/imaging.md, "How messages name a DICOM file").
TEST(Dicom, TruncatedAndNonDicomFilesAreNamed) {
  std::string dir = scratch("dicom_bad");
  truncate_copy(pydicom_file("CT_small.dcm"), dir + "/cut.dcm", 0.5);
  std::string message = user_error_of([&] {
    auto series = scan_dicom(dir, plain_key());
    load_dicom_series(series.at(0), nullptr);
  });
  EXPECT_CONTAINS(message, "file 1 of 1 under data.images.path (directly in it, extension .dcm");
  EXPECT_CONTAINS(message, "truncated");
  EXPECT_EQ(message.find(dir), std::string::npos) << message;
  fs::remove(dir + "/cut.dcm");
  fs::create_directories(dir + "/a/b");
  fs::copy(pydicom_file("MR_small.dcm"), dir + "/a/mr.dcm");
  std::ofstream(dir + "/a/b/notes.txt") << "not an image\n";
  message = user_error_of([&] { scan_dicom(dir, plain_key()); });
  // a/b/notes.txt sorts before a/mr.dcm, as `sort` puts them.
  EXPECT_CONTAINS(message, "file 1 of 2 under data.images.path (2 folders deep, extension .txt");
  EXPECT_CONTAINS(message, "sed -n '1p'");
  EXPECT_EQ(message.find("notes"), std::string::npos) << message;
  fs::remove_all(dir + "/a");
  fs::copy(pydicom_file("MR_truncated.dcm"), dir + "/mr.dcm");
  message = user_error_of([&] {
    auto series = scan_dicom(dir, plain_key());
    load_dicom_series(series.at(0), nullptr);
  });
  EXPECT_CONTAINS(message, "file 1 of 1 under data.images.path (directly in it, extension .dcm");
  EXPECT_EQ(message.find(dir), std::string::npos) << message;
  EXPECT_EQ(message.find("mr.dcm"), std::string::npos) << message;
  // The folder itself is not printed either (it is in the config, and may be a patient's).
  message = user_error_of([&] { scan_dicom(dir + "/DUPONT_JEANNE", plain_key()); });
  EXPECT_CONTAINS(message, "data.images.path is not a directory of DICOM files");
  EXPECT_EQ(message.find("DUPONT"), std::string::npos) << message;
}

TEST(Dicom, ErrorsNeverQuoteAttributeValues) {
  std::string dir = scratch("dicom_error_values");
  make_fixture("dicom-series", dir);
  // A slice of another size in a series: the error names files and sizes, never the patient.
  truncate_copy(pydicom_file("CT_small.dcm"), dir + "/cut.dcm", 0.9);
  std::string message = user_error_of([&] {
    for (const auto& s : scan_dicom(dir, plain_key())) load_dicom_series(s, nullptr);
  });
  EXPECT_CONTAINS(message, "file 1 of 9 under data.images.path");  // cut.dcm sorts first
  for (const char* secret : {"DUPONT", "8842", "19450317", "CompressedSamples", "1CT1"}) {
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
}

// ---------------------------------------------------------------- naming files safely

TEST(DicomSafePath, ComponentHoldingTheIdIsRedactedWhateverItsCase) {
  auto terms = identifier_terms({"PAT-8842-DUPONT", "ACC0004242"}, {});
  EXPECT_EQ(redacted_path("PAT-8842-DUPONT/CT/img1.dcm", terms), "<redacted>/CT/img1.dcm");
  // Containing it, in another case, or with other separators.
  EXPECT_EQ(redacted_path("export_pat-8842-dupont_2021/ct/1.dcm", terms), "<redacted>/ct/1.dcm");
  EXPECT_EQ(redacted_path("Pat8842Dupont/x.dcm", terms), "<redacted>/x.dcm");
  EXPECT_EQ(redacted_path("study/ACC0004242.dcm", terms), "study/<redacted>");
  EXPECT_EQ(redacted_path("study/acc0004242/a.dcm", terms), "study/<redacted>/a.dcm");
  EXPECT_EQ(redacted_path("study/PAT-9911/a.dcm", terms), "study/PAT-9911/a.dcm");
  // Numbers also without their leading zeros.
  EXPECT_EQ(redacted_path("00123456/12345.dcm", identifier_terms({"00012345"}, {})),
            "<redacted>/<redacted>");
  EXPECT_TRUE(holds_identifier("MRN_12345", identifier_terms({"0012345"}, {})));
}

TEST(DicomSafePath, PersonNamePartsAreSplitOnCaretsAndEquals) {
  const std::string yamada = "\xe5\xb1\xb1\xe7\x94\xb0";  // UTF-8, the ideographic group
  auto terms = identifier_terms({}, {"DUPONT^JEANNE^MARIE^^", "De La Fontaine^Li=" + yamada});
  EXPECT_EQ(redacted_path("dupont/Jeanne_2021/marie-ct/1.dcm", terms),
            "<redacted>/<redacted>/<redacted>/1.dcm");
  EXPECT_EQ(redacted_path("Fontaine/delafontaine/x.dcm", terms), "<redacted>/<redacted>/x.dcm");
  // "La" is a 2-letter word of a part with spaces: too short to search alone.
  EXPECT_EQ(redacted_path("label/x.dcm", terms), "label/x.dcm");
  // A 2-letter part matches as a whole word only.
  EXPECT_EQ(redacted_path("li_wei/clinical/x.dcm", terms), "<redacted>/clinical/x.dcm");
  EXPECT_EQ(redacted_path(yamada + "/x.dcm", terms), "<redacted>/x.dcm");
  // One-letter initials and empty components are not terms: they would redact everything.
  EXPECT_EQ(identifier_terms({""}, {"^J^^"}), std::vector<std::string>{});
  // The whole value of an ID is one term, whatever its length; short ones match whole words.
  auto short_id = identifier_terms({"7"}, {});
  EXPECT_EQ(redacted_path("7/p7_file1.dcm", short_id), "<redacted>/p7_file1.dcm");
}

TEST(DicomSafePath, RelativePathToTheRoot) {
  EXPECT_EQ(relative_path("/data/ct", "/data/ct/a/b.dcm"), "a/b.dcm");
  EXPECT_EQ(relative_path("/data/ct/", "/data/ct/a/b.dcm"), "a/b.dcm");
  EXPECT_EQ(relative_path("/data/ct//", "/data/ct//a//b.dcm"), "a/b.dcm");
  EXPECT_EQ(relative_path("./ct", "./ct/x.dcm"), "x.dcm");
  EXPECT_EQ(relative_path("ct", "ct/./s/../x.dcm"), "x.dcm");
  EXPECT_EQ(relative_path(".", "./x/y.dcm"), "x/y.dcm");
  EXPECT_EQ(relative_path("/data/ct", "/elsewhere/DUPONT/y.dcm"), "y.dcm");  // never the folders
  EXPECT_EQ(shown_path("PAT-1/ct/1.dcm", identifier_terms({"pat-1"}, {})),
            "'<redacted>/ct/1.dcm' under data.images.path");
  EXPECT_EQ(shown_path("ct/1.dcm", identifier_terms({"pat-1"}, {})),
            "'ct/1.dcm' under data.images.path");
  // The note says once what <redacted> stands for, however many files a message names.
  EXPECT_EQ(with_redaction_note("'<redacted>/a' and '<redacted>/b' differ"),
            "'<redacted>/a' and '<redacted>/b' differ (<redacted>: a folder or file name holding "
            "the patient's ID, name or accession number, or a date of the file)");
  EXPECT_EQ(with_redaction_note("'ct/a' differs"), "'ct/a' differs");
}

TEST(DicomSafePath, UnreadableFileIsNamedByRankDepthAndStructuralExtension) {
  std::string text = ranked_file(16, 230, "DUPONT/ct/17.dcm", "LIST");
  EXPECT_CONTAINS(text, "file 17 of 230 under data.images.path (2 folders deep, extension .dcm");
  EXPECT_CONTAINS(text, "`LIST | sed -n '17p'` prints it");
  EXPECT_EQ(text.find("DUPONT"), std::string::npos) << text;
  EXPECT_CONTAINS(ranked_file(0, 1, "x", "LIST"), "(directly in it, no extension;");
  EXPECT_CONTAINS(ranked_file(0, 1, "a/DUPONT.JEANNE", "LIST"),
                  "1 folder deep, extension not shown");
  EXPECT_CONTAINS(ranked_file(0, 1, "a/x.8842", "LIST"), "extension not shown");
  EXPECT_CONTAINS(ranked_file(0, 1, "a/.hidden", "LIST"), "no extension");
}

// ---------------------------------------------------------------- NIfTI

TEST(Nifti, GzipAndPlainVolumesMatchNibabel) {
  std::string dir = scratch("nifti");
  make_fixture("nifti", dir);
  std::string gz = dir + "/imagesTr/case_003.nii.gz";
  Volume v = read_nifti(gz);
  EXPECT_EQ(v.shape_text(), "[1, 6, 8, 10]");  // x = 10 is the fastest axis: W
  EXPECT_NEAR(v.spacing[0], 2.5, 1e-6);
  EXPECT_NEAR(v.spacing[2], 0.8, 1e-6);
  // value = x + 10 y + 100 z + case
  EXPECT_EQ(v.voxels[(2 * 8 + 5) * 10 + 7], 7 + 50 + 200 + 3);
  // The same file uncompressed reads the same.
  std::string plain = dir + "/plain.nii";
  gzFile in = gzopen(gz.c_str(), "rb");
  std::string bytes(1 << 20, '\0');
  bytes.resize(static_cast<std::size_t>(gzread(in, bytes.data(), 1 << 20)));
  gzclose(in);
  std::ofstream(plain, std::ios::binary) << bytes;
  EXPECT_EQ(read_nifti(plain).voxels, v.voxels);
  truncate_copy(plain, dir + "/cut.nii", 0.7);
  std::string message = user_error_of([&] { read_nifti(dir + "/cut.nii"); });
  EXPECT_CONTAINS(message, dir + "/cut.nii");
  EXPECT_CONTAINS(message, "truncated");
  truncate_copy(gz, dir + "/cut.nii.gz", 0.6);
  EXPECT_CONTAINS(user_error_of([&] { read_nifti(dir + "/cut.nii.gz"); }), "cut.nii.gz");
}

// ---------------------------------------------------------------- PNG, npz, idx

TEST(Png, GrayAndRgbAsStoredOrConverted) {
  std::string dir = scratch("png");
  make_fixture("png", dir);
  Volume gray = read_png(dir + "/00030000_001.png", 0);  // image 1: gray
  EXPECT_EQ(gray.shape_text(), "[1, 32, 32]");
  EXPECT_EQ(gray.voxels[40], (40 + 1) % 256);
  Volume rgb = read_png(dir + "/00030000_000.png", 0);  // image 0: RGB
  EXPECT_EQ(rgb.shape_text(), "[3, 32, 32]");
  EXPECT_EQ(rgb.voxels[2 * 1024 + 40], 40);  // planar: channel 2, pixel 40
  EXPECT_EQ(read_png(dir + "/00030000_000.png", 1).voxels[40], 40);
  EXPECT_CONTAINS(user_error_of([&] { read_png(dir + "/missing.png", 1); }), "missing.png");
  truncate_copy(dir + "/00030000_001.png", dir + "/cut.png", 0.5);
  EXPECT_CONTAINS(user_error_of([&] { read_png(dir + "/cut.png", 1); }), "cut.png");
}

TEST(Npz, CompressedArraysAsNumpyWroteThem) {
  std::string dir = scratch("npz");
  make_fixture("npz", dir + "/m.npz");
  auto names = npz_entries(dir + "/m.npz");
  EXPECT_NE(std::find(names.begin(), names.end(), "val_labels"), names.end());
  NpyArray images = read_npz_array(dir + "/m.npz", "val_images");
  EXPECT_EQ(images.shape, (std::vector<std::int64_t>{6, 28, 28}));
  EXPECT_EQ(images.at(5 * 784 + 100), 35);
  NpyArray labels = read_npz_array(dir + "/m.npz", "train_labels");
  EXPECT_EQ(labels.shape, (std::vector<std::int64_t>{20, 1}));
  EXPECT_EQ(labels.at(4), 1);
  EXPECT_CONTAINS(user_error_of([&] { read_npz_array(dir + "/m.npz", "nope"); }), "nope");
  truncate_copy(dir + "/m.npz", dir + "/cut.npz", 0.5);
  EXPECT_CONTAINS(user_error_of([&] { read_npz_array(dir + "/cut.npz", "test_images"); }),
                  "cut.npz");
}

TEST(Idx, GzippedImagesAndLabels) {
  std::string dir = scratch("idx");
  make_fixture("idx", dir);
  IdxArray images = read_idx(dir + "/train-images-idx3-ubyte.gz");
  EXPECT_EQ(images.shape, (std::vector<std::int64_t>{30, 28, 28}));
  EXPECT_EQ(static_cast<unsigned char>(images.data[7 * 784 + 3]), 21);
  IdxArray labels = read_idx(dir + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(labels.shape, (std::vector<std::int64_t>{10}));
  EXPECT_CONTAINS(user_error_of([&] { read_idx(dir + "/nothing.gz"); }), "nothing.gz");
}

// ---------------------------------------------------------------- geometry and intensity

Volume ramp(std::int64_t d, std::int64_t h, std::int64_t w) {
  Volume v;
  v.depth = d;
  v.height = h;
  v.width = w;
  v.volumetric = d > 1;
  for (std::int64_t i = 0; i < d * h * w; ++i) v.voxels.push_back(static_cast<float>(i % w));
  return v;
}

TEST(Resample, LinearKeepsARampAndNearestKeepsLabels) {
  Volume v = ramp(1, 2, 4);  // rows 0 1 2 3
  Volume up = resample(v, {1, 2, 8}, Interpolation::kLinear);
  // Centre-aligned: output x maps to (x + 0.5) / 2 - 0.5, clamped.
  std::vector<float> row(up.voxels.begin(), up.voxels.begin() + 8);
  EXPECT_EQ(row, (std::vector<float>{0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3}));
  EXPECT_NEAR(up.spacing[2], 0.5, 1e-12);
  Volume same = resample(v, {1, 2, 4}, Interpolation::kLinear);
  EXPECT_EQ(same.voxels, v.voxels);
  Volume labels = resample(v, {1, 2, 8}, Interpolation::kNearest);
  for (float x : labels.voxels) EXPECT_EQ(x, std::floor(x));
  Volume spaced = resample_to_spacing(ramp(4, 4, 4), {2.0, 0.5, 1.0}, Interpolation::kLinear);
  EXPECT_EQ(spaced.shape_text(), "[1, 2, 8, 4]");
  Volume padded = crop_or_pad(ramp(1, 2, 4), {1, 4, 2}, -1.0f);
  EXPECT_EQ(padded.voxels, (std::vector<float>{-1, -1, 1, 2, 1, 2, -1, -1}));
}

TEST(ImageTransform, WindowToUint8AndWrongDimensionsNameFileAndShapes) {
  DataConfig config;
  config.image_intensity = "window";
  config.image_window_center = 40;
  config.image_window_width = 400;  // [-160, 240] HU -> 0-255
  ImageTransform transform(config);
  Volume ct;
  ct.height = 1;
  ct.width = 3;
  ct.volumetric = true;
  ct.voxels = {-1000, 40, 3000};
  ImageLayout layout = transform.layout(ct);
  EXPECT_EQ(layout.shape, (std::vector<std::int64_t>{1, 1, 1, 3}));
  std::uint8_t out[3];
  transform.apply(ct, nullptr, layout, "a.dcm", out, nullptr);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 128);
  EXPECT_EQ(out[2], 255);
  Volume wider = ct;
  wider.width = 4;
  wider.voxels.push_back(0);
  std::string message =
      user_error_of([&] { transform.apply(wider, nullptr, layout, "b.dcm", out, nullptr); });
  EXPECT_CONTAINS(message, "b.dcm");
  EXPECT_CONTAINS(message, "[1, 1, 1, 4]");
  EXPECT_CONTAINS(message, "[1, 1, 1, 3]");
}

TEST(ImageTransform, SpacingThenCentredPadToShape) {
  DataConfig config;
  config.image_shape = {2, 6, 4};
  config.image_spacing = {2.0, 1.0, 1.0};
  config.image_dtype = "float16";
  ImageTransform transform(config);
  Volume v = ramp(2, 2, 8);  // x = 0..7 every 0.5 mm; rows every 2 mm
  v.spacing = {2.0, 2.0, 0.5};
  v.voxels[31] = -5;         // the minimum pads (last voxel: slice 0 stays a ramp)
  ImageLayout layout = transform.layout(v);
  EXPECT_EQ(layout.shape, (std::vector<std::int64_t>{1, 2, 6, 4}));
  std::vector<std::uint16_t> out(48);
  transform.apply(v, nullptr, layout, "v.nii", out.data(), nullptr);
  std::vector<float> values;
  for (std::uint16_t h : out) values.push_back(half_to_float(h));
  // At 1 mm: 4 rows x 4 columns (x = 0.5, 2.5, 4.5, 6.5), padded to 6 rows: one above, one below.
  EXPECT_EQ(std::vector<float>(values.begin(), values.begin() + 4),
            (std::vector<float>{-5, -5, -5, -5}));
  EXPECT_EQ(std::vector<float>(values.begin() + 8, values.begin() + 12),
            (std::vector<float>{0.5f, 2.5f, 4.5f, 6.5f}));
  EXPECT_EQ(std::vector<float>(values.begin() + 20, values.begin() + 24),
            (std::vector<float>{-5, -5, -5, -5}));
}

TEST(ImageTransform, RawUint8RefusesValuesItCannotStore) {
  DataConfig config;
  ImageTransform transform(config);
  Volume v;
  v.height = 1;
  v.width = 2;
  v.voxels = {10, 300};
  ImageLayout layout = transform.layout(v);
  std::uint8_t out[2];
  std::string message =
      user_error_of([&] { transform.apply(v, nullptr, layout, "x.nii", out, nullptr); });
  EXPECT_CONTAINS(message, "x.nii");
  EXPECT_CONTAINS(message, "float16");
}

}  // namespace
}  // namespace galien
