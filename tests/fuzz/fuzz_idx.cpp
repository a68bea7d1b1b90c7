// IDX reader (datasets/imaging/idx.h), through the normal file path (gzip or plain).
#include "datasets/imaging/idx.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = galien_fuzz::write_scratch("input-idx3-ubyte", data, size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::IdxArray a = galien::read_idx(path);
    // Callers index data by shape: the two must agree.
    unsigned __int128 count = 1;
    for (std::int64_t d : a.shape) count *= static_cast<std::uint64_t>(d);
    GALIEN_FUZZ_INVARIANT(count == a.data.size());
  });
  return 0;
}
