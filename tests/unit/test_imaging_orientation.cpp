// Orientation (docs/imaging.md, "Orientation"): NIfTI volumes stored in other axis orders and
// senses (sform, qform only, qfac -1, 4D, oblique) read as nibabel's as_closest_canonical; a
// DICOM phantom stored as an axial and a sagittal series reads as one RAS+ array; the code of
// the stored orientation reaches /image_meta; a mask without its image's orientation is named.
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/config/config.h"
#include "datasets/imaging/dicom.h"
#include "datasets/imaging/nifti.h"
#include "datasets/imaging/orientation.h"
#include "datasets/shard_pipeline.h"
#include "datasets/shard_reader.h"
#include "imaging_test_util.h"
#include "privacy/key_file.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using imaging_test::make_fixture;
using imaging_test::scratch;
using imaging_test::user_error_of;

std::vector<float> read_floats(const std::string& path) {
  std::string bytes = read_file(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

// "LPS 2.5 0.9 0.8": nibabel's code of the file and the canonical spacing of D, H, W.
struct Expected {
  std::string code;
  std::array<double, 3> spacing{};
  std::vector<float> voxels;
};

Expected expected(const std::string& dir, const std::string& name) {
  Expected e;
  std::istringstream(read_file(dir + "/expected/" + name + ".code")) >> e.code >> e.spacing[0] >>
      e.spacing[1] >> e.spacing[2];
  e.voxels = read_floats(dir + "/expected/" + name + ".expected");
  return e;
}

Config nifti_config(const std::string& dir, const std::string& images) {
  Config config;
  config.data.image_format = "nifti";
  config.data.image_path = images;
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 1;
  config.data.val_fraction = 0.2;
  config.data.test_fraction = 0.2;
  config.privacy.key_file = dir + "/key.bin";
  generate_key_file(config.privacy.key_file);
  config.sha256 = std::string(64, 'c');
  return config;
}

// ---------------------------------------------------------------- the permutation itself

TEST(Orientation, CodesAndPermutationOnAHandMadeVolume) {
  // 2 slices x 3 rows x 4 columns; columns run left, rows superior, slices anterior: "LSA".
  Volume v;
  v.depth = 2, v.height = 3, v.width = 4;
  v.volumetric = true;
  v.spacing = {3.0, 2.0, 1.0};
  for (int i = 0; i < 24; ++i) v.voxels.push_back(static_cast<float>(i));
  const AxisDirections lsa{{{-1, 0, 0}, {0, 0, 1}, {0, 1, 0}}};
  EXPECT_EQ(orientation_code(lsa), "LSA");
  ASSERT_TRUE(reorient_to_ras(v, lsa));
  EXPECT_EQ(v.orientation, "LSA");
  // RAS+: W' = R (stored columns backwards), H' = A (stored slices), D' = S (stored rows).
  EXPECT_EQ(v.shape_text(), "[1, 3, 2, 4]");
  EXPECT_EQ(v.spacing, (std::array<double, 3>{2.0, 3.0, 1.0}));
  for (int d = 0; d < 3; ++d) {
    for (int h = 0; h < 2; ++h) {
      for (int w = 0; w < 4; ++w) {
        const int stored = (h * 3 + d) * 4 + (3 - w);  // slice h, row d, column 3 - w
        EXPECT_EQ(v.voxels[static_cast<std::size_t>((d * 2 + h) * 4 + w)], stored);
      }
    }
  }
  // /image_meta keeps the stored order: slices, rows, columns.
  EXPECT_EQ(source_order({3, 2, 4}, "LSA"), (std::array<double, 3>{2, 3, 4}));
  EXPECT_EQ(source_order(v.spacing, "LSA"), (std::array<double, 3>{3.0, 2.0, 1.0}));
  // Oblique by 30 degrees: still the closest axes.
  const double c = std::cos(0.5236), s = std::sin(0.5236);
  EXPECT_EQ(orientation_code({{{c, s, 0}, {-s, c, 0}, {0, 0, -1}}}), "RAI");
  // Unusable directions: a zero column, or two axes along one line.
  EXPECT_FALSE(orientation_code({{{1, 0, 0}, {0, 0, 0}, {0, 0, 1}}}));
  EXPECT_FALSE(orientation_code({{{1, 0, 0}, {-1, 0, 0}, {0, 0, 1}}}));
}

TEST(Orientation, ASagittalSingleSliceStaysAsStored) {
  Volume slice;
  slice.height = 2, slice.width = 3;
  slice.voxels = {0, 1, 2, 3, 4, 5};
  // Slice axis along x: reorienting would leave a column of voxels, not a slice.
  EXPECT_FALSE(reorient_to_ras(slice, {{{0, -1, 0}, {0, 0, -1}, {1, 0, 0}}}));
  EXPECT_EQ(slice.voxels, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(slice.orientation, "");
  // An axial slice is flipped within its plane.
  ASSERT_TRUE(reorient_to_ras(slice, {{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}}));
  EXPECT_EQ(slice.orientation, "LPS");
  EXPECT_EQ(slice.voxels, (std::vector<float>{5, 4, 3, 2, 1, 0}));
}

// ---------------------------------------------------------------- NIfTI against nibabel

TEST(Orientation, NiftiInEveryStoredOrientationReadsAsNibabelsCanonical) {
  std::string dir = scratch("orient_nifti");
  make_fixture("nifti-orient", dir);
  const Volume ras = read_nifti(dir + "/imagesTr/ras.nii.gz");
  // sform (lpi, psl), qform only (lps, ail; las with qfac -1), 4D (ila4d), oblique sform.
  for (const char* name : {"ras", "lpi", "lps", "psl", "ail", "las", "oblique", "ila4d"}) {
    const std::string file = std::string(name) == "ila4d"
                                 ? dir + "/ila4d.nii.gz"
                                 : dir + "/imagesTr/" + name + ".nii.gz";
    const Volume v = read_nifti(file);
    const Expected e = expected(dir, name);
    EXPECT_EQ(v.orientation, e.code) << name;
    EXPECT_EQ(v.voxels, e.voxels) << name;
    EXPECT_EQ(v.shape_text(), std::string(name) == "ila4d" ? "[2, 3, 4, 5]" : "[1, 3, 4, 5]");
    for (int a = 0; a < 3; ++a) EXPECT_NEAR(v.spacing[a], e.spacing[a], 1e-6) << name << a;
    // One physical volume, one array, however it was stored: value 1 + x + 10 y + 100 z.
    std::vector<float> first(v.voxels.begin(), v.voxels.begin() + 60);
    EXPECT_EQ(first, ras.voxels) << name;
  }
  EXPECT_EQ(ras.orientation, "RAS");
  EXPECT_EQ(ras.voxels[(2 * 4 + 3) * 5 + 1], 1 + 1 + 30 + 200);
}

TEST(Orientation, ShardsRecordTheStoredOrientationAndHoldOneArray) {
  std::string dir = scratch("orient_pipeline");
  make_fixture("nifti-orient", dir + "/task");
  Config config = nifti_config(dir, dir + "/task");
  ShardResult result = run_shard(config, false);
  const std::vector<float> canonical = expected(dir + "/task", "ras").voxels;
  std::set<std::string> codes;
  std::int64_t samples = 0;
  for (const auto& [split, info] : result.manifest.splits) {
    for (const ShardEntry& entry : info.shards) {
      ShardReader reader(result.shard_dir + "/" + entry.file);
      std::vector<float> image(60);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i, ++samples) {
        reader.read_image(i, image.data());
        EXPECT_EQ(image, canonical) << split << " " << i;
        auto meta = nlohmann::json::parse(reader.data().images.meta[static_cast<std::size_t>(i)]);
        codes.insert(meta["orientation"].get<std::string>());
      }
    }
  }
  EXPECT_EQ(samples, 7);
  EXPECT_EQ(codes, (std::set<std::string>{"RAS", "LPI", "LPS", "PSL", "AIL", "LAS"}));
}

TEST(Orientation, MaskWithoutItsImagesOrientationIsNamed) {
  std::string dir = scratch("orient_bare_mask");
  make_fixture("nifti", dir + "/task", "--bare-mask");
  Config config = nifti_config(dir, dir + "/task");
  std::string message = user_error_of([&] { run_shard(config, false); });
  // Named by its rank: the file name is the case name, the patient key.
  EXPECT_CONTAINS(message, "the mask (labelsTr) of NIfTI case 2 of 6 in " + dir +
                               "/task/imagesTr (cases in name order) has orientation none (no "
                               "sform or qform) but its image has RAS");
  EXPECT_EQ(message.find("case_001"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/manifest.json"));
}

// ---------------------------------------------------------------- DICOM

TEST(Orientation, DicomAxialAndSagittalSeriesOfOnePhantomGiveOneArray) {
  std::string dir = scratch("orient_dicom");
  make_fixture("dicom-orient", dir);
  auto series = scan_dicom(dir, [](const std::string&, const std::string& id) { return id; });
  ASSERT_EQ(series.size(), 2u);
  std::map<std::string, Volume> volumes;
  std::map<std::string, ImageAttributes> attributes;
  for (const DicomSeries& s : series) {
    volumes[s.pseudonym] = load_dicom_series(s, &attributes[s.pseudonym]);
  }
  EXPECT_EQ(volumes["AXIAL"].orientation, "LPS");
  EXPECT_EQ(volumes["SAGITTAL"].orientation, "PIR");
  for (const auto& [name, v] : volumes) {
    // RAS+: x (R, 5 x 0.5 mm) = W, y (A, 4 x 0.7 mm) = H, z (S, 3 x 2 mm) = D.
    EXPECT_EQ(v.shape_text(), "[1, 3, 4, 5]") << name;
    EXPECT_NEAR(v.spacing[0], 2.0, 1e-5) << name;
    EXPECT_NEAR(v.spacing[1], 0.7, 1e-5) << name;
    EXPECT_NEAR(v.spacing[2], 0.5, 1e-5) << name;
    for (int z = 0; z < 3; ++z) {
      for (int y = 0; y < 4; ++y) {
        for (int x = 0; x < 5; ++x) {
          EXPECT_EQ(v.voxels[static_cast<std::size_t>((z * 4 + y) * 5 + x)],
                    1 + x + 10 * y + 100 * z)
              << name << " " << x << " " << y << " " << z;
        }
      }
    }
  }
  EXPECT_EQ(volumes["AXIAL"].voxels, volumes["SAGITTAL"].voxels);
  // /image_meta describes the series as stored: 5 sagittal slices of 3 rows x 4 columns.
  const ImageAttributes& sagittal = attributes["SAGITTAL"];
  EXPECT_EQ(sagittal.orientation, "PIR");
  EXPECT_EQ(sagittal.slices, 5);
  EXPECT_EQ(sagittal.rows, 3);
  EXPECT_EQ(sagittal.columns, 4);
  EXPECT_NEAR(sagittal.spacing[0], 0.5, 1e-5);
  EXPECT_NEAR(sagittal.spacing[1], 2.0, 1e-5);
  EXPECT_NEAR(sagittal.spacing[2], 0.7, 1e-5);
  EXPECT_CONTAINS(sagittal.to_json(), "\"orientation\":\"PIR\"");
}

}  // namespace
}  // namespace galien
