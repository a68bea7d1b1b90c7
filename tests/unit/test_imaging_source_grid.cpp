// Predictions back in the source geometry (docs/imaging.md, "Predictions in the source
// geometry"): NIfTI cases stored in non-RAS orientations (LPS through the sform, ASL through
// the qform only with qfac -1), anisotropic spacing and odd sizes are read, fitted to a layout,
// and their fitted masks mapped back with to_source_grid and written with write_nifti; the
// written file must have the source's dims and affine and hold the source's labels (exactly
// when the fit did not resample). The source files are written here by a minimal header
// writer of the test's own, not by write_nifti; nibabel reads the result in the last test.
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/config/config.h"
#include "datasets/imaging/dicom.h"
#include "datasets/imaging/gz_file.h"
#include "datasets/imaging/image_source.h"
#include "datasets/imaging/image_transform.h"
#include "datasets/imaging/nifti.h"
#include "datasets/imaging/nifti_writer.h"
#include "datasets/imaging/orientation.h"
#include "datasets/imaging/resample.h"
#include "datasets/imaging/source_grid.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard_pipeline.h"
#include "imaging_test_util.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using imaging_test::scratch;
using imaging_test::user_error_of;
using Dims = std::array<std::int64_t, 3>;  // i, j, k as stored

// ---------------------------------------------------------------- the test's source files

// How a source file states its geometry: an sform (code 1, no qform), or a qform only.
struct Form {
  bool sform = true;
  std::array<float, 12> srow{};               // rows x, y, z of the sform
  std::array<float, 3> quatern{}, qoffset{};  // qform (b, c, d) and offsets
  float qfac = 1;
};

template <class T>
void put(std::string& h, std::size_t offset, T value) {
  std::memcpy(h.data() + offset, &value, sizeof(T));
}

std::string nifti_bytes(const Dims& dims, const std::array<float, 3>& pixdim, const Form& form,
                        std::int16_t datatype, const std::string& voxels) {
  std::string h(352, '\0');
  put<std::int32_t>(h, 0, 348);
  const std::int16_t dim[8] = {3,
                               static_cast<std::int16_t>(dims[0]),
                               static_cast<std::int16_t>(dims[1]),
                               static_cast<std::int16_t>(dims[2]),
                               1,
                               1,
                               1,
                               1};
  for (int i = 0; i < 8; ++i) put<std::int16_t>(h, 40 + 2 * i, dim[i]);
  put<std::int16_t>(h, 70, datatype);
  put<std::int16_t>(h, 72, datatype == 2 ? 8 : 16);
  const float pd[8] = {form.qfac, pixdim[0], pixdim[1], pixdim[2], 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) put<float>(h, 76 + 4 * i, pd[i]);
  put<float>(h, 108, 352.0f);
  h[123] = 2;
  put<std::int16_t>(h, 252, form.sform ? 0 : 1);  // qform_code
  put<std::int16_t>(h, 254, form.sform ? 1 : 0);  // sform_code
  for (int i = 0; i < 3; ++i) {
    put<float>(h, 256 + 4 * i, form.quatern[i]);
    put<float>(h, 268 + 4 * i, form.qoffset[i]);
  }
  for (int i = 0; i < 12; ++i) put<float>(h, 280 + 4 * i, form.srow[i]);
  std::memcpy(h.data() + 344, "n+1", 4);
  return h + voxels;
}

struct SourceCase {
  std::string name;
  Dims dims;
  std::array<float, 3> pixdim;
  Form form;
  std::string code;            // what read_nifti must find
  std::vector<double> affine;  // nibabel's img.affine, worked out by hand
  std::vector<std::uint8_t> mask;
};

// Label of stored voxel (i, j, k): two overlapping boxes on a background border, so labels
// survive a crop of the border and a nearest-neighbour round trip changes only box faces.
std::uint8_t box_label(const Dims& d, std::int64_t i, std::int64_t j, std::int64_t k) {
  auto inside = [](std::int64_t x, std::int64_t n, double from, double to) {
    return x >= static_cast<std::int64_t>(from * n) && x < static_cast<std::int64_t>(to * n);
  };
  if (inside(i, d[0], 0.4, 0.75) && inside(j, d[1], 0.35, 0.6) && inside(k, d[2], 0.3, 0.65))
    return 2;
  if (inside(i, d[0], 0.15, 0.8) && inside(j, d[1], 0.15, 0.8) && inside(k, d[2], 0.2, 0.8))
    return 1;
  return 0;
}

// Writes imagesTr/NAME.nii.gz (int16) and labelsTr/NAME.nii (uint8) under `root`; the mask
// with `mask_form` when given (a label tool's header), else the image's.
void write_case(const std::string& root, SourceCase& c, const Form* mask_form = nullptr) {
  fs::create_directories(root + "/imagesTr");
  fs::create_directories(root + "/labelsTr");
  std::string image, mask;
  c.mask.clear();
  for (std::int64_t k = 0; k < c.dims[2]; ++k) {
    for (std::int64_t j = 0; j < c.dims[1]; ++j) {
      for (std::int64_t i = 0; i < c.dims[0]; ++i) {
        const auto value = static_cast<std::int16_t>((3 * i + 5 * j + 7 * k) % 200);
        image.append(reinterpret_cast<const char*>(&value), sizeof value);
        c.mask.push_back(box_label(c.dims, i, j, k));
        mask.push_back(static_cast<char>(c.mask.back()));
      }
    }
  }
  std::ofstream(root + "/imagesTr/" + c.name + ".nii.gz", std::ios::binary)
      << gzip_compress(nifti_bytes(c.dims, c.pixdim, c.form, 4, image));
  std::ofstream(root + "/labelsTr/" + c.name + ".nii", std::ios::binary)
      << nifti_bytes(c.dims, c.pixdim, mask_form ? *mask_form : c.form, 2, mask);
}

double f32(double x) { return static_cast<double>(static_cast<float>(x)); }

// LPS through the sform: i towards L (0.7 mm), j towards P (0.7 mm), k towards S (3 mm).
SourceCase lps_case(const std::string& name, const Dims& dims) {
  SourceCase c{name, dims, {0.7f, 0.7f, 3.0f}, {}, "LPS", {}, {}};
  c.form.srow = {-0.7f, 0, 0, 90.5f, 0, -0.7f, 0, 110.25f, 0, 0, 3.0f, -40.0f};
  c.affine = {f32(-0.7), 0, 0, 90.5, 0, f32(-0.7), 0, 110.25, 0, 0, 3, -40, 0, 0, 0, 1};
  return c;
}

// ASL through the qform only: quaternion (0.5, 0.5, 0.5, 0.5), the rotation
// [[0, 0, 1], [1, 0, 0], [0, 1, 0]], and qfac -1 reversing k: i towards A (0.7 mm), j towards S
// (3 mm), k towards L (0.7 mm).
SourceCase asl_case(const std::string& name, const Dims& dims) {
  SourceCase c{name, dims, {0.7f, 3.0f, 0.7f}, {}, "ASL", {}, {}};
  c.form.sform = false;
  c.form.quatern = {0.5f, 0.5f, 0.5f};
  c.form.qoffset = {12.5f, -30.0f, 8.0f};
  c.form.qfac = -1;
  c.affine = {0, 0, f32(-0.7), 12.5, f32(0.7), 0, 0, -30, 0, 3, 0, 8, 0, 0, 0, 1};
  return c;
}

void expect_affine(const std::vector<double>& actual, const std::vector<double>& expected,
                   const std::string& what) {
  ASSERT_EQ(actual.size(), 16u) << what;
  for (std::size_t i = 0; i < 16; ++i)
    EXPECT_NEAR(actual[i], expected[i], 1e-6) << what << " " << i;
}

// The voxels of a written NIfTI file, as stored (no reorientation), as uint8 labels.
std::vector<std::uint8_t> stored_labels(const std::string& path) {
  const std::string bytes = read_maybe_gzip(path);
  float offset;
  std::memcpy(&offset, bytes.data() + 108, sizeof offset);
  return std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                                   bytes.end());
}

Config nifti_config(const std::string& root) {
  Config config;
  config.data.image_format = "nifti";
  config.data.image_path = root;
  return config;
}

// One case through the ingest: NiftiSource, ImageTransform, /image_meta's JSON; returns the
// fitted mask (RAS+, stored grid) and the parsed attributes.
struct Fitted {
  Volume mask;
  ImageAttributes attributes;
};

Fitted ingest(const Config& config, const std::string& key_file) {
  Pseudonymizer pseudonymize(load_key_file(key_file));
  std::unique_ptr<ImageSource> source = open_nifti_source(config.data, pseudonymize);
  LoadedImage loaded = source->load(0);
  ImageTransform transform(config.data);
  ImageLayout layout = transform.layout(loaded.image);
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(std::accumulate(
      layout.shape.begin(), layout.shape.end(), std::int64_t{1}, std::multiplies<>())));
  std::vector<std::uint8_t> mask(pixels.size() / static_cast<std::size_t>(layout.shape[0]));
  loaded.attributes.grid_spacing =
      transform.apply(loaded.image, &*loaded.mask, layout, "case", pixels.data(), mask.data())
          .spacing;
  Fitted f;
  f.attributes = parse_image_attributes(loaded.attributes.to_json());
  f.mask.depth = layout.shape[1];
  f.mask.height = layout.shape[2];
  f.mask.width = layout.shape[3];
  f.mask.voxels.assign(mask.begin(), mask.end());
  return f;
}

std::string key_in(const std::string& dir) {
  const std::string key = dir + "/key.bin";
  if (!fs::exists(key)) generate_key_file(key);
  return key;
}

// ---------------------------------------------------------------- attributes

TEST(SourceGrid, NiftiAttributesRecordTheFileGridAndAffine) {
  const std::string dir = scratch("source_grid_attributes");
  for (SourceCase c : {lps_case("a", {13, 11, 7}), asl_case("a", {11, 7, 13})}) {
    fs::remove_all(dir + "/task");
    write_case(dir + "/task", c);
    NiftiGeometry g;
    const Volume v = read_nifti(dir + "/task/imagesTr/a.nii.gz", "", &g);
    EXPECT_EQ(v.orientation, c.code);
    EXPECT_EQ(v.shape_text(), "[1, 7, 11, 13]") << c.code;  // RAS+: D = S, H = A, W = R
    EXPECT_EQ(g.shape, c.dims);
    expect_affine(g.affine, c.affine, c.code);
    EXPECT_EQ(g.xform_code, 1);
    const Fitted f = ingest(nifti_config(dir + "/task"), key_in(dir));
    EXPECT_EQ(f.attributes.source_shape, c.dims);
    expect_affine(f.attributes.affine, c.affine, c.code + " through /image_meta");
    EXPECT_EQ(f.attributes.affine_code, 1);
    EXPECT_EQ(f.attributes.orientation, c.code);
    // Stored grid: RAS+ [D, H, W] = 3, 0.7, 0.7 mm, whatever the file's axis order.
    for (int a = 0; a < 3; ++a) {
      EXPECT_NEAR(f.attributes.grid_spacing[a], a == 0 ? 3.0 : 0.7, 1e-6) << c.code;
    }
  }
}

TEST(SourceGrid, MaskElsewhereInSpaceThanItsImageIsNamed) {
  const std::string dir = scratch("source_grid_mask_place");
  SourceCase c = lps_case("a", {13, 11, 7});
  // The same grid written by another tool: float noise far below a micrometre is accepted.
  Form noise = c.form;
  noise.srow[3] += 2e-5f;
  write_case(dir + "/task", c, &noise);
  EXPECT_NO_THROW(ingest(nifti_config(dir + "/task"), key_in(dir)));
  // Shifted by 2 mm along y: refused, naming the case by rank and the entry.
  Form shifted = c.form;
  shifted.srow[7] += 2.0f;
  fs::remove_all(dir + "/task");
  write_case(dir + "/task", c, &shifted);
  const std::string message =
      user_error_of([&] { ingest(nifti_config(dir + "/task"), key_in(dir)); });
  EXPECT_CONTAINS(message, "the mask (labelsTr) of NIfTI case 1 of 1 in " + dir + "/task/imagesTr");
  EXPECT_CONTAINS(message,
                  "lies elsewhere in space than its image: voxel-to-world affine entry "
                  "[1, 3] is 112.25 there but 110.25 in its image (mm)");
  EXPECT_EQ(message.find("a.nii"), std::string::npos) << "a case's file name is its patient key";
  // nnU-Net layout: channel file 1 with other voxel sizes than channel file 0 (the same axes:
  // a turned file is caught by its orientation code already).
  fs::remove_all(dir + "/task");
  fs::create_directories(dir + "/task/imagesTr");
  Form turned = c.form;
  turned.srow[0] = -0.8f;
  const std::string voxels(13 * 11 * 7 * 2, '\0');
  std::ofstream(dir + "/task/imagesTr/a_0000.nii", std::ios::binary)
      << nifti_bytes(c.dims, c.pixdim, c.form, 4, voxels);
  std::ofstream(dir + "/task/imagesTr/a_0001.nii", std::ios::binary)
      << nifti_bytes(c.dims, c.pixdim, turned, 4, voxels);
  Pseudonymizer pseudonymize(load_key_file(key_in(dir)));
  const auto source = open_nifti_source(nifti_config(dir + "/task").data, pseudonymize);
  const std::string channel = user_error_of([&] { source->load(0); });
  EXPECT_CONTAINS(channel, "channel file 1 of NIfTI case 1 of 1 in " + dir + "/task/imagesTr");
  EXPECT_CONTAINS(channel, "lies elsewhere in space than its channel file 0: voxel-to-world "
                           "affine entry [0, 0] is -0.8 there but -0.7");
}

TEST(SourceGrid, NiftiWithoutSformOrQformGetsNibabelsBaseAffine) {
  // nibabel's get_base_affine docstring: shape (3, 5, 7), zooms (3, 2, 1).
  const std::string dir = scratch("source_grid_base_affine");
  Form none;
  none.sform = true;  // sform_code 1 ...
  std::string bytes = nifti_bytes({3, 5, 7}, {3, 2, 1}, none, 2, std::string(105, '\0'));
  put<std::int16_t>(bytes, 254, 0);  // ... then neither code
  std::ofstream(dir + "/base.nii", std::ios::binary) << bytes;
  NiftiGeometry g;
  const Volume v = read_nifti(dir + "/base.nii", "", &g);
  EXPECT_EQ(v.orientation, "");
  EXPECT_EQ(g.xform_code, 0);
  expect_affine(g.affine, {-3, 0, 0, 3, 0, 2, 0, -4, 0, 0, 1, -3, 0, 0, 0, 1}, "base");
}

TEST(SourceGrid, AttributesRoundTripAndDamageIsNamed) {
  ImageAttributes a;
  a.rows = 11, a.columns = 13, a.slices = 7;
  a.spacing = {3.0, 0.7000000000000001, 0.1 + 0.2};
  a.orientation = "LPS";
  a.source_shape = {13, 11, 7};
  a.affine = {-0.7, 0, 0, 1.0 / 3, 0, -0.7, 0, 2, 0, 0, 3, 1e-17, 0, 0, 0, 1};
  a.affine_code = 2;
  a.grid_spacing = {2.0, 1.0 / 3, 1.0};
  const ImageAttributes b = parse_image_attributes(a.to_json());
  EXPECT_EQ(b.to_json(), a.to_json());
  EXPECT_EQ(b.affine, a.affine);  // bit for bit: shortest round-trip text
  EXPECT_EQ(b.spacing, a.spacing);
  EXPECT_EQ(b.grid_spacing, a.grid_spacing);
  EXPECT_EQ(b.source_shape, a.source_shape);
  EXPECT_EQ(b.affine_code, 2);
  // No meta at all: defaults; a newer galien's extra key: ignored.
  EXPECT_EQ(parse_image_attributes("").to_json(), "{}");
  EXPECT_EQ(parse_image_attributes(R"({"orientation":"LPS","future_key":[1]})").orientation, "LPS");
  const std::string not_json = user_error_of([] { parse_image_attributes("{\"rows\":"); });
  EXPECT_CONTAINS(not_json, "/image_meta entry is not a JSON object");
  const std::string rows = user_error_of(
      [] { parse_image_attributes(R"({"affine":[[1,0,0,0]],"source_shape":[1,1,1]})"); });
  EXPECT_CONTAINS(rows, "'affine' is not 4 rows of 4 numbers");
  EXPECT_CONTAINS(rows, "re-run `galien shard`");
  EXPECT_CONTAINS(user_error_of([] { parse_image_attributes(R"({"source_shape":[4,0,2]})"); }),
                  "'source_shape' holds a size below 1");
  EXPECT_CONTAINS(user_error_of([] { parse_image_attributes(R"({"grid_spacing_mm":[1,"a",1]})"); }),
                  "'grid_spacing_mm' is not a finite number");
  EXPECT_CONTAINS(user_error_of([] { parse_image_attributes(R"({"rows":"11"})"); }),
                  "'rows' is not an integer");
  EXPECT_CONTAINS(
      user_error_of([] {
        parse_image_attributes(R"({"affine":[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]})");
      }),
      "'affine' comes without 'source_shape'");
}

// ---------------------------------------------------------------- the way back

TEST(SourceGrid, RestoringTheOrientationInvertsReorientation) {
  for (const char* code : {"RAS", "LPS", "ASL", "PIR", "SLA", "IRP"}) {
    Volume v;
    v.channels = 2, v.depth = 3, v.height = 4, v.width = 5;
    v.spacing = {1.5, 2.5, 3.5};
    for (int i = 0; i < 120; ++i) v.voxels.push_back(static_cast<float>(i));
    Volume r = v;
    ASSERT_TRUE(reorient_to_ras(r, *directions_of(code))) << code;
    EXPECT_EQ(r.orientation, code);
    ASSERT_TRUE(restore_source_orientation(r, code)) << code;
    EXPECT_EQ(r.voxels, v.voxels) << code;
    EXPECT_EQ(r.shape_text(), v.shape_text()) << code;
    EXPECT_EQ(r.spacing, v.spacing) << code;
    EXPECT_EQ(canonical_order(source_order({3, 4, 5}, code), code),
              (std::array<double, 3>{3, 4, 5}))
        << code;
  }
  for (const char* bad : {"", "LP", "LLS", "RAX", "lps"}) EXPECT_FALSE(directions_of(bad)) << bad;
}

// Maps the fitted mask back, writes it, and checks the written file against the source.
// Returns the fraction of voxels equal to the source's labels.
double round_trip(const SourceCase& c, const Config& config, const std::string& dir) {
  const Fitted f = ingest(config, key_in(dir));
  const Volume back = to_source_grid(f.mask, f.attributes, config.data);
  EXPECT_EQ(back.width, c.dims[0]);
  EXPECT_EQ(back.height, c.dims[1]);
  EXPECT_EQ(back.depth, c.dims[2]);
  const std::string out = dir + "/out/" + c.name + ".nii.gz";
  fs::create_directories(dir + "/out");
  NiftiWriteOptions options;
  options.xform_code = f.attributes.affine_code;
  options.overwrite = true;
  write_nifti(out, back, f.attributes.affine, NiftiType::kUint8, options);
  // The written header: the source's dims and affine (its sform, read as nibabel would).
  NiftiGeometry g;
  const Volume again = read_nifti(out, "", &g);
  EXPECT_EQ(g.shape, c.dims);
  expect_affine(g.affine, c.affine, c.code + " written");
  EXPECT_EQ(g.xform_code, 1);
  EXPECT_EQ(again.orientation, c.code);
  // The written voxels, as stored, against the source mask.
  const std::vector<std::uint8_t> written = stored_labels(out);
  EXPECT_EQ(written.size(), c.mask.size());
  if (written.size() != c.mask.size()) return 0;
  std::size_t equal = 0, far = 0;
  const Dims& d = c.dims;
  for (std::int64_t k = 0; k < d[2]; ++k) {
    for (std::int64_t j = 0; j < d[1]; ++j) {
      for (std::int64_t i = 0; i < d[0]; ++i) {
        const auto at = static_cast<std::size_t>((k * d[1] + j) * d[0] + i);
        if (written[at] == c.mask[at]) {
          ++equal;
          continue;
        }
        // Nearest-neighbour resampling by less than a factor of 2 moves a label by at most one
        // source voxel: a wrong label must be its neighbour's.
        bool near = false;
        for (std::int64_t dk = -1; dk <= 1; ++dk) {
          for (std::int64_t dj = -1; dj <= 1; ++dj) {
            for (std::int64_t di = -1; di <= 1; ++di) {
              const std::int64_t x = i + di, y = j + dj, z = k + dk;
              if (x < 0 || y < 0 || z < 0 || x >= d[0] || y >= d[1] || z >= d[2]) continue;
              near = near ||
                     c.mask[static_cast<std::size_t>((z * d[1] + y) * d[0] + x)] == written[at];
            }
          }
        }
        far += !near;
      }
    }
  }
  EXPECT_EQ(far, 0u) << c.code << ": labels moved by more than one voxel";
  return static_cast<double>(equal) / static_cast<double>(c.mask.size());
}

TEST(SourceGrid, LosslessFitComesBackVoxelForVoxel) {
  const std::string dir = scratch("source_grid_lossless");
  for (SourceCase c : {lps_case("a", {13, 11, 7}), asl_case("a", {11, 7, 13})}) {
    fs::remove_all(dir + "/task");
    write_case(dir + "/task", c);
    Config config = nifti_config(dir + "/task");
    EXPECT_EQ(round_trip(c, config, dir), 1.0) << c.code << ", no fit";
    // Crop/pad only: the source spacing itself, and a shape that pads D and H and crops a
    // background column of W (odd differences: the centring offset rounds).
    config.data.image_spacing = {3.0, 0.7, 0.7};
    config.data.image_shape = {10, 12, 12};
    EXPECT_EQ(round_trip(c, config, dir), 1.0) << c.code << ", crop/pad";
    // data.images.shape equal to the volume: no resampling either.
    config.data.image_spacing.clear();
    config.data.image_shape = {7, 11, 13};
    EXPECT_EQ(round_trip(c, config, dir), 1.0) << c.code << ", shape as stored";
  }
}

TEST(SourceGrid, ResampledFitComesBackOnAlmostEveryVoxel) {
  const std::string dir = scratch("source_grid_resampled");
  for (SourceCase c : {lps_case("a", {97, 89, 23}), asl_case("a", {89, 23, 97})}) {
    fs::remove_all(dir + "/task");
    write_case(dir + "/task", c);
    Config config = nifti_config(dir + "/task");
    // To 2 x 1 x 1 mm (D 23 -> 35 slices, H 89 -> 62, W 97 -> 68), then pad D and W and crop H.
    config.data.image_spacing = {2.0, 1.0, 1.0};
    config.data.image_shape = {36, 60, 70};
    const double spacing = round_trip(c, config, dir);
    EXPECT_GE(spacing, 0.99) << c.code << ", spacing";
    // Resampled to a shape only (D 23 -> 32, H 89 -> 80, W 97 -> 80).
    config.data.image_spacing.clear();
    config.data.image_shape = {32, 80, 80};
    const double shape = round_trip(c, config, dir);
    EXPECT_GE(shape, 0.99) << c.code << ", shape";
    std::printf("[          ] %s: %.4f of voxels back after spacing, %.4f after shape\n",
                c.code.c_str(), spacing, shape);
  }
}

TEST(SourceGrid, TwoDimensionalLayoutsAndSpacingWithoutShape) {
  // An axial slice stored LPS (9 rows x 11 columns of 0.5 mm), fitted to a 2D layout: up to
  // 0.25 mm (2x, nearest: exact on the way back), then padded to 20 x 24.
  Volume source;  // as stored
  source.height = 9, source.width = 11;
  source.spacing = {1.0, 0.5, 0.5};
  for (std::int64_t j = 0; j < 9; ++j) {
    for (std::int64_t i = 0; i < 11; ++i)
      source.voxels.push_back(static_cast<float>((3 * i + j) % 5));
  }
  Volume canonical = source;
  ASSERT_TRUE(reorient_to_ras(canonical, *directions_of("LPS")));
  ImageAttributes a;
  a.rows = 9, a.columns = 11, a.slices = 1;
  a.spacing = source.spacing;
  a.orientation = "LPS";
  DataConfig data;
  data.image_shape = {20, 24};
  data.image_spacing = {0.25, 0.25};
  ImageTransform transform(data);
  const ImageLayout layout = transform.layout(canonical);
  ASSERT_EQ(layout.shape, (std::vector<std::int64_t>{1, 20, 24}));
  std::vector<std::uint8_t> pixels(480), mask(480);
  a.grid_spacing =
      transform.apply(canonical, &canonical, layout, "slice", pixels.data(), mask.data()).spacing;
  EXPECT_EQ(a.grid_spacing, (std::array<double, 3>{1.0, 0.25, 0.25}));
  Volume stored;
  stored.height = 20, stored.width = 24;
  stored.voxels.assign(mask.begin(), mask.end());
  const Volume back = to_source_grid(stored, a, data);
  EXPECT_EQ(back.shape_text(), "[1, 1, 9, 11]");
  EXPECT_EQ(back.voxels, source.voxels);
  EXPECT_EQ(back.spacing, source.spacing);

  // data.images.spacing without a shape (each case keeps its resampled size): no crop/pad to
  // undo. Halving the spacing of every axis is exact both ways with nearest neighbour.
  Volume volume;
  volume.depth = 5, volume.height = 6, volume.width = 7;
  volume.volumetric = true;
  volume.spacing = {3.0, 0.7, 0.7};
  for (int n = 0; n < 210; ++n) volume.voxels.push_back(static_cast<float>(n % 4));
  ImageAttributes b;
  b.source_shape = {7, 6, 5};
  b.spacing = volume.spacing;
  b.orientation = "RAS";
  DataConfig resample_only;
  resample_only.image_spacing = {1.5, 0.35, 0.35};
  const Volume up = resample_to_spacing(volume, {1.5, 0.35, 0.35}, Interpolation::kNearest);
  ASSERT_EQ(up.shape_text(), "[1, 10, 12, 14]");
  EXPECT_EQ(to_source_grid(up, b, resample_only).voxels, volume.voxels);
}

TEST(SourceGrid, MismatchesAreNamed) {
  const std::string dir = scratch("source_grid_mismatch");
  SourceCase c = lps_case("a", {13, 11, 7});
  write_case(dir + "/task", c);
  Config config = nifti_config(dir + "/task");
  config.data.image_spacing = {2.0, 1.0, 1.0};
  config.data.image_shape = {8, 8, 8};
  const Fitted f = ingest(config, key_in(dir));
  Volume wrong = f.mask;
  wrong.depth = 4;
  wrong.voxels.resize(4 * 8 * 8);
  const std::string shape =
      user_error_of([&] { to_source_grid(wrong, f.attributes, config.data); });
  EXPECT_CONTAINS(shape, "the prediction to map back is 4 x 8 x 8 (D x H x W) but 8 x 8 x 8");
  Config other = config;
  other.data.image_spacing = {2.0, 1.5, 1.5};
  EXPECT_CONTAINS(user_error_of([&] { to_source_grid(f.mask, f.attributes, other.data); }),
                  "the shards were made with a stored-grid spacing of [2, 1, 1] mm");
  ImageAttributes damaged = f.attributes;
  damaged.orientation = "LPX";
  EXPECT_CONTAINS(user_error_of([&] { to_source_grid(f.mask, damaged, config.data); }),
                  "'orientation' is 'LPX'");
  EXPECT_CONTAINS(user_error_of([&] { to_source_grid(f.mask, ImageAttributes{}, config.data); }),
                  "/image_meta has no source grid");
}

// ---------------------------------------------------------------- the writer

TEST(SourceGrid, WriterIsAtomicPrivateAndNeverOverwritesUnasked) {
  const std::string dir = scratch("source_grid_writer");
  Volume v;
  v.channels = 1, v.depth = 3, v.height = 4, v.width = 5;
  v.voxels.assign(60, 1.0f);
  const std::vector<double> affine = asl_case("a", {5, 4, 3}).affine;
  const std::string path = dir + "/p.nii.gz";
  write_nifti(path, v, affine, NiftiType::kUint8);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string exists =
      user_error_of([&] { write_nifti(path, v, affine, NiftiType::kUint8); });
  EXPECT_CONTAINS(exists, path + " exists");
  NiftiWriteOptions overwrite;
  overwrite.overwrite = true;
  v.voxels.assign(60, 2.0f);
  write_nifti(path, v, affine, NiftiType::kUint8, overwrite);
  EXPECT_EQ(read_nifti(path).voxels, std::vector<float>(60, 2.0f));
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
  // Labels must be labels; an affine must be one.
  v.voxels[7] = 2.5f;
  EXPECT_CONTAINS(user_error_of([&] { write_nifti(dir + "/q.nii", v, affine, NiftiType::kUint8); }),
                  "voxel 7 holds 2.5, not an integer in 0-255");
  v.voxels[7] = 1.0f;
  std::vector<double> flat = affine;
  flat[2] = flat[6] = flat[10] = 0;  // k axis of length 0
  EXPECT_CONTAINS(user_error_of([&] { write_nifti(dir + "/q.nii", v, flat, NiftiType::kUint8); }),
                  "singular");
  EXPECT_FALSE(fs::exists(dir + "/q.nii"));
}

TEST(SourceGrid, ProbabilitiesAreFloat32With4DChannelsAndAnObliqueQform) {
  const std::string dir = scratch("source_grid_probabilities");
  Volume v;
  v.channels = 3, v.depth = 2, v.height = 3, v.width = 4;
  for (int i = 0; i < 72; ++i) v.voxels.push_back(static_cast<float>(i) / 71.0f);
  // 20 degrees about z, anisotropic, with a reflection (qfac -1).
  const double c = std::cos(0.349), s = std::sin(0.349);
  const std::vector<double> affine = {c * 0.8, -s * 0.9, 0,    -10, s * 0.8, c * 0.9, 0, 20,
                                      0,       0,        -2.5, 5,   0,       0,       0, 1};
  write_nifti(dir + "/p.nii", v, affine, NiftiType::kFloat32);
  const std::string bytes = read_file(dir + "/p.nii");
  std::int16_t datatype, dim0, dim4;
  std::memcpy(&datatype, bytes.data() + 70, 2);
  std::memcpy(&dim0, bytes.data() + 40, 2);
  std::memcpy(&dim4, bytes.data() + 48, 2);
  EXPECT_EQ(datatype, 16);
  EXPECT_EQ(dim0, 4);
  EXPECT_EQ(dim4, 3);
  EXPECT_EQ(bytes.size(), 352u + 72 * 4);
  // The qform alone gives the same affine as the sform: blank the sform and read again.
  std::string qform_only = bytes;
  put<std::int16_t>(qform_only, 254, 0);
  std::ofstream(dir + "/q.nii", std::ios::binary) << qform_only;
  NiftiGeometry from_sform, from_qform;
  const Volume sv = read_nifti(dir + "/p.nii", "", &from_sform);
  const Volume qv = read_nifti(dir + "/q.nii", "", &from_qform);
  expect_affine(from_sform.affine, affine, "sform");
  for (std::size_t i = 0; i < 16; ++i) EXPECT_NEAR(from_qform.affine[i], affine[i], 2e-6) << i;
  EXPECT_EQ(sv.orientation, qv.orientation);
  EXPECT_EQ(sv.voxels, qv.voxels);
}

// ---------------------------------------------------------------- DICOM series

TEST(SourceGrid, DicomSeriesRecordTheirAffine) {
  // One phantom, RAS voxel (x, y, z) of 0.5 x 0.7 x 2 mm at RAS (0.5 x, 0.7 y, 2 z) mm with value
  // 1 + x + 10 y + 100 z, stored as an axial (LPS) and a sagittal (PIR) series.
  const std::string dir = scratch("source_grid_dicom");
  imaging_test::make_fixture("dicom-orient", dir);
  auto series = scan_dicom(dir, [](const std::string&, const std::string& id) { return id; });
  ASSERT_EQ(series.size(), 2u);
  for (const DicomSeries& s : series) {
    ImageAttributes a;
    const Volume canonical = load_dicom_series(s, &a);
    ASSERT_EQ(a.affine.size(), 16u) << s.pseudonym;
    EXPECT_EQ(a.affine_code, 1);
    EXPECT_EQ(a.source_shape, (Dims{a.columns, a.rows, a.slices})) << s.pseudonym;
    // Back to the series' stored order: every stored voxel's world position, through the
    // affine, is where the phantom has that voxel's value.
    const Volume stored = to_source_grid(canonical, a, DataConfig{});
    const Dims& d = a.source_shape;
    ASSERT_EQ(stored.voxels.size(), static_cast<std::size_t>(d[0] * d[1] * d[2]));
    for (std::int64_t k = 0; k < d[2]; ++k) {
      for (std::int64_t j = 0; j < d[1]; ++j) {
        for (std::int64_t i = 0; i < d[0]; ++i) {
          double world[3];
          for (int r = 0; r < 3; ++r) {
            world[r] = a.affine[4 * r] * i + a.affine[4 * r + 1] * j + a.affine[4 * r + 2] * k +
                       a.affine[4 * r + 3];
          }
          const double x = world[0] / 0.5, y = world[1] / 0.7, z = world[2] / 2.0;
          EXPECT_NEAR(x, std::round(x), 1e-4) << s.pseudonym;
          EXPECT_NEAR(y, std::round(y), 1e-4) << s.pseudonym;
          EXPECT_NEAR(z, std::round(z), 1e-4) << s.pseudonym;
          EXPECT_EQ(stored.voxels[static_cast<std::size_t>((k * d[1] + j) * d[0] + i)],
                    1 + std::round(x) + 10 * std::round(y) + 100 * std::round(z))
              << s.pseudonym << " " << i << " " << j << " " << k;
        }
      }
    }
    // Written as NIfTI on the series' grid, it reads (reoriented from the affine) as the same
    // RAS+ array the DICOM reader gave.
    const std::string out = dir + "/" + s.pseudonym + ".nii";
    write_nifti(out, stored, a.affine, NiftiType::kFloat32);
    const Volume again = read_nifti(out);
    EXPECT_EQ(again.orientation, a.orientation);
    EXPECT_EQ(again.voxels, canonical.voxels) << s.pseudonym;
  }
}

// ---------------------------------------------------------------- through the shards

TEST(SourceGrid, ShardedCasesComeBackThroughRankShards) {
  const std::string dir = scratch("source_grid_shards");
  std::vector<SourceCase> cases;
  for (int n = 0; n < 5; ++n) {
    const std::string name = "case_" + std::to_string(n);
    cases.push_back(n % 2 ? asl_case(name, {11, 7, 13}) : lps_case(name, {13, 11, 7}));
    write_case(dir + "/task", cases.back());
  }
  Config config = nifti_config(dir + "/task");
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 1;
  config.data.val_fraction = 0.2;
  config.data.test_fraction = 0.2;
  config.data.image_spacing = {3.0, 0.7, 0.7};
  config.data.image_shape = {9, 12, 14};
  config.privacy.key_file = key_in(dir);
  config.sha256 = std::string(64, 'c');
  ShardResult result = run_shard(config, false);
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::map<std::string, const SourceCase*> by_pseudonym;
  for (const SourceCase& c : cases) by_pseudonym[pseudonymize(c.name)] = &c;
  int seen = 0;
  for (const auto& [split, info] : result.manifest.splits) {
    RankShards rank(result.shard_dir, result.manifest, split, 1, 0);
    const std::vector<SampleRef> samples = rank.all_owned_samples();
    const std::vector<std::string> pseudonyms = rank.pseudonyms(samples);
    std::vector<std::int64_t> labels(samples.size() * 9 * 12 * 14);
    rank.gather_masks(samples, labels.data());
    for (std::size_t s = 0; s < samples.size(); ++s, ++seen) {
      const SourceCase& c = *by_pseudonym.at(pseudonyms[s]);
      const ImageAttributes attributes = parse_image_attributes(rank.image_meta(samples[s]));
      for (int a = 0; a < 3; ++a) {
        EXPECT_NEAR(attributes.grid_spacing[a], a == 0 ? 3.0 : 0.7, 1e-9) << c.name;
      }
      Volume stored;
      stored.depth = 9, stored.height = 12, stored.width = 14;
      stored.voxels.assign(labels.begin() + static_cast<std::ptrdiff_t>(s * 9 * 12 * 14),
                           labels.begin() + static_cast<std::ptrdiff_t>((s + 1) * 9 * 12 * 14));
      const Volume back = to_source_grid(stored, attributes, config.data);
      const std::string out = dir + "/predictions/" + pseudonyms[s] + ".nii.gz";
      fs::create_directories(dir + "/predictions");
      NiftiWriteOptions options;
      options.xform_code = attributes.affine_code;
      write_nifti(out, back, attributes.affine, NiftiType::kUint8, options);
      NiftiGeometry g;
      read_nifti(out, "", &g);
      EXPECT_EQ(g.shape, c.dims) << c.name;
      expect_affine(g.affine, c.affine, c.name);
      EXPECT_EQ(stored_labels(out), c.mask) << c.name << " (" << split << ")";
    }
  }
  EXPECT_EQ(seen, 5);
}

// ---------------------------------------------------------------- nibabel reads it

TEST(SourceGrid, NibabelOverlaysTheWrittenMaskOnTheSource) {
  if (std::system("/usr/bin/python3 -c 'import nibabel' 2>/dev/null") != 0) {
    GTEST_SKIP() << "nibabel is not installed for /usr/bin/python3 (Debian python3-nibabel, "
                    "scripts/install-deps.sh): the written mask was not checked with nibabel";
  }
  const std::string dir = scratch("source_grid_nibabel");
  const std::string script = dir + "/check.py";
  std::ofstream(script) << R"(import sys
import nibabel as nib
import numpy as np
image, mask, written = (nib.load(p) for p in sys.argv[1:4])
exact = sys.argv[4] == "exact"
assert written.shape == image.shape, (written.shape, image.shape)
assert np.allclose(written.affine, image.affine, atol=1e-5), (written.affine, image.affine)
assert nib.aff2axcodes(written.affine) == nib.aff2axcodes(image.affine)
header = written.header
assert np.allclose(header.get_qform(), header.get_sform(), atol=1e-5), "qform != sform"
assert np.allclose(header.get_zooms()[:3], image.header.get_zooms()[:3], atol=1e-5)
assert header.get_data_dtype() == np.uint8
labels, truth = np.asarray(written.dataobj), np.asarray(mask.dataobj)
agree = float(np.mean(labels == truth))
assert agree == 1.0 if exact else agree >= 0.99, agree
print("nibabel:", "".join(nib.aff2axcodes(written.affine)), written.shape, agree)
)";
  for (SourceCase c : {lps_case("a", {97, 89, 23}), asl_case("a", {89, 23, 97})}) {
    for (bool exact : {true, false}) {
      fs::remove_all(dir + "/task");
      write_case(dir + "/task", c);
      Config config = nifti_config(dir + "/task");
      if (!exact) {
        config.data.image_spacing = {2.0, 1.0, 1.0};
        config.data.image_shape = {36, 60, 70};
      }
      round_trip(c, config, dir);
      const std::string command = "/usr/bin/python3 " + script + " " + dir +
                                  "/task/imagesTr/a.nii.gz " + dir + "/task/labelsTr/a.nii " + dir +
                                  "/out/a.nii.gz " + (exact ? "exact" : "resampled");
      EXPECT_EQ(std::system(command.c_str()), 0) << command;
    }
  }
}

}  // namespace
}  // namespace galien
