#include "datasets/imaging/png.h"

#include <png.h>

#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace galien {

Volume read_png(const std::string& path, int channels, const std::string& shown) {
  const std::string& name = shown.empty() ? "PNG file " + path : shown;
  if (!std::filesystem::is_regular_file(path)) {
    GALIEN_USER_ERROR(name << " does not exist: it is listed in the labels table "
                                  << "(data.images.labels_csv); add the file or remove its row");
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    GALIEN_USER_ERROR("cannot read " << name << " (" << image.message
                                              << "): copy it again or remove it");
  }
  if (channels == 0) channels = (image.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
  // No alpha flag: libpng composes transparent pixels over black.
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  std::vector<png_byte> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) {
    std::string message = image.message;
    png_image_free(&image);
    GALIEN_USER_ERROR("cannot read " << name << " (" << message
                                              << "): it is damaged or truncated");
  }
  Volume v;
  v.channels = channels;
  v.height = image.height;
  v.width = image.width;
  v.voxels.resize(pixels.size());
  // Interleaved RGBRGB... -> planar [C, H, W].
  std::int64_t plane = v.height * v.width;
  for (std::int64_t p = 0; p < plane; ++p) {
    for (int c = 0; c < channels; ++c) v.voxels[c * plane + p] = pixels[p * channels + c];
  }
  return v;
}

}  // namespace galien
