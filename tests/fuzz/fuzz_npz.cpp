// MedMNIST .npz reader (datasets/imaging/npz.h): zip archive through minizip, then each .npy.
#include "datasets/imaging/npz.h"
#include "tests/fuzz/fuzz_support.h"

namespace {
void check(const galien::NpyArray& a) {
  unsigned __int128 count = 1;
  for (std::int64_t d : a.shape) count *= static_cast<std::uint64_t>(d);
  GALIEN_FUZZ_INVARIANT(count * a.item_size == a.data.size());
  if (a.size() > 0) (void)a.at(a.size() - 1);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Odd first byte: the rest is one .npy file's bytes (parse_npy); even: an .npz archive.
  if (size >= 1 && (data[0] & 1)) {
    std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    galien_fuzz::expect_user_errors_only([&] { check(galien::parse_npy(bytes, "fuzz.npy")); });
    return 0;
  }
  const std::string path =
      galien_fuzz::write_scratch("data.npz", size ? data + 1 : data, size ? size - 1 : 0);
  galien_fuzz::expect_user_errors_only([&] {
    for (const std::string& entry : galien::npz_entries(path)) {
      galien_fuzz::expect_user_errors_only([&] { check(galien::read_npz_array(path, entry)); });
    }
  });
  return 0;
}
