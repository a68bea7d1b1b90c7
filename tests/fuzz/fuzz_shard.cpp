// Shard reader (datasets/shard.h) on an HDF5 file image in memory (H5LTopen_file_image): what
// every rank does with a shard copied from another site, and what follows a decryption.
#include <vector>

#include "datasets/shard.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A private, writable copy: the reader opens the image in place and HDF5 takes a void*.
  std::vector<std::uint8_t> image(data, data + size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::ShardData s = galien::read_shard_image(image.data(), image.size(), "fuzz.h5");
    const auto n = static_cast<std::size_t>(s.num_samples());
    GALIEN_FUZZ_INVARIANT(s.pseudonyms.size() == n);
    GALIEN_FUZZ_INVARIANT(s.features.size() == n * static_cast<std::size_t>(s.num_features));
    GALIEN_FUZZ_INVARIANT(s.time.empty() || s.time.size() == n);
    GALIEN_FUZZ_INVARIANT(s.event.size() == s.time.size());
    GALIEN_FUZZ_INVARIANT(s.target.empty() || s.target.size() == n);
    GALIEN_FUZZ_INVARIANT(s.labels_multi.size() ==
                          n * static_cast<std::size_t>(s.num_labels_multi));
    GALIEN_FUZZ_INVARIANT(s.images.meta.empty() || s.images.meta.size() == n);
    // 1.3 /extent: validated as read, so every extent lies within the stored image.
    GALIEN_FUZZ_INVARIANT(s.images.extents.empty() ||
                          (!s.images.shape.empty() && s.images.extents.size() == n * 3));
    for (std::size_t i = 0; i < n && !s.images.extents.empty(); ++i) {
      const auto extent = s.images.extent(static_cast<std::int64_t>(i));
      galien::ShardImages full;  // no extents: the stored size
      full.shape = s.images.shape;
      const auto stored = full.extent(0);
      for (std::size_t a = 0; a < 3; ++a) {
        GALIEN_FUZZ_INVARIANT(extent[a] >= 1 && extent[a] <= stored[a]);
      }
    }
  });
  return 0;
}
