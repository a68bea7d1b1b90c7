// NIfTI-1 reader (datasets/imaging/nifti.h), through the normal file path (.nii or .nii.gz),
// and the way back (source_grid.h): whatever the header, the volume put back in the file's own
// axis order has the file's dims, and the affine is 16 numbers.
#include "datasets/imaging/nifti.h"
#include "datasets/imaging/orientation.h"
#include "datasets/imaging/source_grid.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = galien_fuzz::write_scratch("case.nii", data, size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::NiftiGeometry geometry;
    galien::Volume v = galien::read_nifti(path, "", &geometry);
    GALIEN_FUZZ_INVARIANT(v.channels >= 1 && v.depth >= 1 && v.height >= 1 && v.width >= 1);
    GALIEN_FUZZ_INVARIANT(static_cast<std::int64_t>(v.voxels.size()) == v.size());
    GALIEN_FUZZ_INVARIANT(geometry.affine.size() == 16);
    galien::ImageAttributes a;  // as nifti_source.cpp fills them
    a.orientation = v.orientation;
    a.spacing = galien::source_order(v.spacing, v.orientation);
    a.source_shape = geometry.shape;
    const galien::Volume back = galien::to_source_grid(v, a, galien::DataConfig{});
    GALIEN_FUZZ_INVARIANT(back.width == geometry.shape[0] && back.height == geometry.shape[1] &&
                          back.depth == geometry.shape[2] && back.channels == v.channels);
  });
  return 0;
}
