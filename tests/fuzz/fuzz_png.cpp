// PNG reader (datasets/imaging/png.h) through libpng, normal file path; gray, RGB and as stored.
#include "datasets/imaging/png.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int channels[3] = {0, 1, 3};
  const int wanted = channels[data[0] % 3];
  const std::string path = galien_fuzz::write_scratch("image.png", data + 1, size - 1);
  galien_fuzz::expect_user_errors_only([&] {
    galien::Volume v = galien::read_png(path, wanted);
    GALIEN_FUZZ_INVARIANT(v.channels == 1 || v.channels == 3);
    GALIEN_FUZZ_INVARIANT(static_cast<std::int64_t>(v.voxels.size()) == v.size());
  });
  return 0;
}
