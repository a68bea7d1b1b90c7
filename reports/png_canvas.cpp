#include "reports/png_canvas.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/fs.h"
#include "reports/bitmap_font.h"

namespace galien {
namespace {

constexpr int kMaxSide = 16384;
constexpr double kInf = std::numeric_limits<double>::infinity();

bool finite(double a, double b, double c, double d) {
  return std::isfinite(a) && std::isfinite(b) && std::isfinite(c) && std::isfinite(d);
}

// Cohen-Sutherland: cuts the segment to the box in place; false when nothing of it is inside.
// Run before rasterising, so a point far off the chart (1e300) costs nothing. Each cut puts a
// point exactly on a box edge and interpolates the other coordinate from the nearer end's side,
// so a horizontal line from -1e300 to 1e300 keeps its y exactly.
bool clip_segment(double& x0, double& y0, double& x1, double& y1, double bx0, double by0,
                  double bx1, double by1) {
  auto code = [&](double x, double y) {
    return (x < bx0 ? 1 : 0) | (x > bx1 ? 2 : 0) | (y < by0 ? 4 : 0) | (y > by1 ? 8 : 0);
  };
  for (int cuts = 0; cuts < 8; ++cuts) {
    const int c0 = code(x0, y0), c1 = code(x1, y1);
    if ((c0 | c1) == 0) return true;
    if (c0 & c1) return false;
    const int c = c0 ? c0 : c1;
    double x, y;
    if (c & 1) {
      x = bx0;
      y = y0 + (y1 - y0) * ((bx0 - x0) / (x1 - x0));
    } else if (c & 2) {
      x = bx1;
      y = y0 + (y1 - y0) * ((bx1 - x0) / (x1 - x0));
    } else if (c & 4) {
      y = by0;
      x = x0 + (x1 - x0) * ((by0 - y0) / (y1 - y0));
    } else {
      y = by1;
      x = x0 + (x1 - x0) * ((by1 - y0) / (y1 - y0));
    }
    if (!std::isfinite(x) || !std::isfinite(y)) return false;
    (c == c0 ? x0 : x1) = x;
    (c == c0 ? y0 : y1) = y;
  }
  return false;
}

}  // namespace

PngCanvas::PngCanvas(int width, int height) : width_(width), height_(height) {
  GALIEN_CHECK(width >= 1 && height >= 1 && width <= kMaxSide && height <= kMaxSide,
               "canvas size " << width << "x" << height);
  rgb_.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3, 255);
  reset_clip();
}

Rgb PngCanvas::pixel(int x, int y) const {
  GALIEN_CHECK(x >= 0 && y >= 0 && x < width_ && y < height_,
               "pixel (" << x << ", " << y << ") outside " << width_ << "x" << height_);
  const std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void PngCanvas::set_clip(int x0, int y0, int x1, int y1) {
  clip_x0_ = std::clamp(x0, 0, width_);
  clip_y0_ = std::clamp(y0, 0, height_);
  clip_x1_ = std::clamp(x1, clip_x0_, width_);
  clip_y1_ = std::clamp(y1, clip_y0_, height_);
}

void PngCanvas::reset_clip() { set_clip(0, 0, width_, height_); }

void PngCanvas::set_pixel(int x, int y, Rgb colour) {
  if (x < clip_x0_ || x >= clip_x1_ || y < clip_y0_ || y >= clip_y1_) return;
  std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
  p[0] = colour.r;
  p[1] = colour.g;
  p[2] = colour.b;
}

void PngCanvas::fill_rect(int x0, int y0, int x1, int y1, Rgb colour) {
  x0 = std::max(x0, clip_x0_);
  y0 = std::max(y0, clip_y0_);
  x1 = std::min(x1, clip_x1_);
  y1 = std::min(y1, clip_y1_);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) set_pixel(x, y, colour);
}

void PngCanvas::outline_rect(int x0, int y0, int x1, int y1, Rgb colour) {
  if (x1 <= x0 || y1 <= y0) return;
  fill_rect(x0, y0, x1, y0 + 1, colour);
  fill_rect(x0, y1 - 1, x1, y1, colour);
  fill_rect(x0, y0, x0 + 1, y1, colour);
  fill_rect(x1 - 1, y0, x1, y1, colour);
}

void PngCanvas::paint_span(int y, double x_low, double x_high, Rgb colour) {
  // Pixel i is painted when its centre i + 0.5 lies in [x_low, x_high]; clamp first so a huge
  // bound cannot overflow the int conversion.
  x_low = std::max(x_low, clip_x0_ - 1.0);
  x_high = std::min(x_high, clip_x1_ + 1.0);
  if (x_low > x_high) return;
  const int first = static_cast<int>(std::ceil(x_low - 0.5));
  const int last = static_cast<int>(std::floor(x_high - 0.5));
  for (int x = first; x <= last; ++x) set_pixel(x, y, colour);
}

// Row by row, the pixels whose centre is within `radius` of the segment: the union of the two
// end discs and the band along the segment; each is an interval of x on a row, and since the
// capsule is convex their union is one interval.
void PngCanvas::draw_capsule(double x0, double y0, double x1, double y1, double radius,
                             Rgb colour) {
  const double dx = x1 - x0, dy = y1 - y0;
  const double length = std::hypot(dx, dy);
  const int row_first =
      std::max(clip_y0_, static_cast<int>(std::floor(std::min(y0, y1) - radius - 1)));
  const int row_last =
      std::min(clip_y1_ - 1, static_cast<int>(std::ceil(std::max(y0, y1) + radius + 1)));
  for (int row = row_first; row <= row_last; ++row) {
    const double yc = row + 0.5;
    double low = kInf, high = -kInf;
    for (const auto& [ex, ey] : {std::pair{x0, y0}, std::pair{x1, y1}}) {
      const double v = yc - ey;
      if (std::abs(v) <= radius) {
        const double h = std::sqrt(radius * radius - v * v);
        low = std::min(low, ex - h);
        high = std::max(high, ex + h);
      }
    }
    if (length > 0) {
      // With u = x - x0: |cross| = |dx (yc - y0) - dy u| <= radius * length (distance to the
      // line) and 0 <= dot = dx u + dy (yc - y0) <= length^2 (between the ends).
      double a = -kInf, b = kInf;
      const double cross0 = dx * (yc - y0), dot0 = dy * (yc - y0), reach = radius * length;
      if (dy == 0) {
        if (std::abs(cross0) > reach) a = kInf;
      } else {
        const double u1 = (cross0 - reach) / dy, u2 = (cross0 + reach) / dy;
        a = std::max(a, std::min(u1, u2));
        b = std::min(b, std::max(u1, u2));
      }
      if (dx == 0) {
        if (dot0 < 0 || dot0 > length * length) a = kInf;
      } else {
        const double u1 = -dot0 / dx, u2 = (length * length - dot0) / dx;
        a = std::max(a, std::min(u1, u2));
        b = std::min(b, std::max(u1, u2));
      }
      if (a <= b) {
        low = std::min(low, x0 + a);
        high = std::max(high, x0 + b);
      }
    }
    if (low <= high) paint_span(row, low, high, colour);
  }
}

void PngCanvas::draw_dashed(double x0, double y0, double x1, double y1, double radius, Rgb colour,
                            Dash dash, double& phase) {
  if (!finite(x0, y0, x1, y1)) return;
  const double length = std::hypot(x1 - x0, y1 - y0);
  const double margin = radius + 2;
  double cx0 = x0, cy0 = y0, cx1 = x1, cy1 = y1;
  const bool visible = clip_segment(cx0, cy0, cx1, cy1, clip_x0_ - margin, clip_y0_ - margin,
                                    clip_x1_ + margin, clip_y1_ + margin);
  const bool solid = dash.on <= 0 || dash.off <= 0;
  if (solid) {
    if (visible) draw_capsule(cx0, cy0, cx1, cy1, radius, colour);
    return;
  }
  // Dashes shorter than a pixel would only cost time: at least 1 pixel each.
  const double on = std::max(dash.on, 1.0), period = on + std::max(dash.off, 1.0);
  const double visible_length = std::hypot(cx1 - cx0, cy1 - cy0);
  if (visible && visible_length > 0) {
    // Walk the visible part only, in its own coordinates (s from 0), so a segment reaching far
    // off the chart neither loops for long nor loses precision; the pattern still starts at x0.
    double p = std::fmod(phase + std::hypot(cx0 - x0, cy0 - y0), period);
    const double ux = (cx1 - cx0) / visible_length, uy = (cy1 - cy0) / visible_length;
    for (double s = 0; s < visible_length;) {
      const double piece = std::min(p < on ? on - p : period - p, visible_length - s);
      if (p < on)
        draw_capsule(cx0 + s * ux, cy0 + s * uy, cx0 + (s + piece) * ux, cy0 + (s + piece) * uy,
                     radius, colour);
      s += piece;
      p += piece;
      if (p >= period) p -= period;
    }
  }
  phase = std::fmod(phase + length, period);
  if (!std::isfinite(phase)) phase = 0;  // a segment too long for a double's hypot
}

void PngCanvas::draw_line(double x0, double y0, double x1, double y1, Rgb colour, double width,
                          Dash dash) {
  GALIEN_CHECK(width > 0 && width <= 100, "line width " << width);
  double phase = 0;
  draw_dashed(x0, y0, x1, y1, width / 2, colour, dash, phase);
}

void PngCanvas::draw_polyline(const std::vector<double>& xs, const std::vector<double>& ys,
                              Rgb colour, double width, Dash dash) {
  GALIEN_CHECK(xs.size() == ys.size(), "polyline: " << xs.size() << " x, " << ys.size() << " y");
  GALIEN_CHECK(width > 0 && width <= 100, "line width " << width);
  double phase = 0;
  for (std::size_t i = 1; i < xs.size(); ++i) {
    if (!finite(xs[i - 1], ys[i - 1], xs[i], ys[i])) {
      phase = 0;  // a gap: the next piece starts a fresh dash
      continue;
    }
    draw_dashed(xs[i - 1], ys[i - 1], xs[i], ys[i], width / 2, colour, dash, phase);
  }
}

void PngCanvas::fill_circle(double cx, double cy, double radius, Rgb colour) {
  if (!std::isfinite(cx) || !std::isfinite(cy) || !(radius > 0)) return;
  double phase = 0;
  draw_dashed(cx, cy, cx, cy, radius, colour, Dash{}, phase);  // a zero-length capsule
}

int PngCanvas::text_width(const std::string& text, int scale) {
  if (text.empty()) return 0;
  return static_cast<int>(text.size()) * font::kAdvance * scale - scale;
}

int PngCanvas::text_height(int scale) { return font::kGlyphHeight * scale; }

int PngCanvas::draw_text(int x, int y, const std::string& text, Rgb colour, int scale) {
  GALIEN_CHECK(scale >= 1 && scale <= 8, "text scale " << scale);
  for (std::size_t k = 0; k < text.size(); ++k) {
    const int gx = x + static_cast<int>(k) * font::kAdvance * scale;
    for (int row = 0; row < font::kGlyphHeight; ++row)
      for (int col = 0; col < font::kGlyphWidth; ++col)
        if (font::ink(text[k], col, row))
          fill_rect(gx + col * scale, y + row * scale, gx + (col + 1) * scale,
                    y + (row + 1) * scale, colour);
  }
  return text_width(text, scale);
}

void PngCanvas::draw_text_up(int x, int y, const std::string& text, Rgb colour, int scale) {
  GALIEN_CHECK(scale >= 1 && scale <= 8, "text scale " << scale);
  // Horizontal text position (u, v) goes to (x + v, y + W - 1 - u): turned counter-clockwise.
  const int w = text_width(text, scale);
  for (std::size_t k = 0; k < text.size(); ++k) {
    const int gu = static_cast<int>(k) * font::kAdvance * scale;
    for (int row = 0; row < font::kGlyphHeight; ++row)
      for (int col = 0; col < font::kGlyphWidth; ++col)
        if (font::ink(text[k], col, row)) {
          const int u = gu + col * scale, v = row * scale;
          fill_rect(x + v, y + w - u - scale, x + v + scale, y + w - u, colour);
        }
  }
}

namespace {

// libpng's simplified API reports failure in image.message instead of longjmp-ing through C++.
bool encode(const std::vector<std::uint8_t>& rgb, int width, int height, std::string& out,
            std::string& error) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, rgb.data(), 0, nullptr)) {
    error = image.message;
    return false;
  }
  out.assign(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, rgb.data(), 0, nullptr)) {
    error = image.message;
    return false;
  }
  out.resize(size);
  return true;
}

}  // namespace

std::string PngCanvas::encode_png() const {
  std::string bytes, error;
  GALIEN_CHECK(encode(rgb_, width_, height_, bytes, error), "PNG encoding failed: " << error);
  return bytes;
}

void PngCanvas::save_png(const std::string& path) const {
  std::string bytes, error;
  if (!encode(rgb_, width_, height_, bytes, error))
    GALIEN_USER_ERROR("cannot encode the picture " << path << " as PNG: " << error);
  write_file_atomic(path, bytes);
}

}  // namespace galien
