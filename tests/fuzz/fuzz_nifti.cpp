// NIfTI-1 reader (datasets/imaging/nifti.h), through the normal file path (.nii or .nii.gz).
#include "datasets/imaging/nifti.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = galien_fuzz::write_scratch("case.nii", data, size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::Volume v = galien::read_nifti(path);
    GALIEN_FUZZ_INVARIANT(v.channels >= 1 && v.depth >= 1 && v.height >= 1 && v.width >= 1);
    GALIEN_FUZZ_INVARIANT(static_cast<std::int64_t>(v.voxels.size()) == v.size());
  });
  return 0;
}
