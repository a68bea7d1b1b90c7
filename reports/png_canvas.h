// An RGB raster to draw report charts on, saved as PNG through libpng. Coordinates are
// continuous: pixel (i, j) covers [i, i+1) x [j, j+1), row 0 at the top, so a chart can map data
// to fractional positions and the tests can predict which pixels a shape paints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace galien {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb& o) const { return !(*this == o); }
};

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};

// A dash pattern in pixels along the line: `on` painted, `off` skipped. on == 0: solid.
struct Dash {
  double on = 0;
  double off = 0;
};

class PngCanvas {
 public:
  PngCanvas(int width, int height);  // white; 1..16384 pixels a side

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb pixel(int x, int y) const;

  // Only pixels inside the clip rectangle [x0, x1) x [y0, y1) (default: the whole canvas) are
  // painted, so a chart's series cannot spill over its axes and labels.
  void set_clip(int x0, int y0, int x1, int y1);
  void reset_clip();

  void set_pixel(int x, int y, Rgb colour);
  void fill_rect(int x0, int y0, int x1, int y1, Rgb colour);     // [x0, x1) x [y0, y1)
  void outline_rect(int x0, int y0, int x1, int y1, Rgb colour);  // 1 pixel, inside that box

  // Paints every pixel whose centre lies within width/2 of the segment (round caps): a thick
  // line whose joints in a polyline are round. Non-finite coordinates draw nothing.
  void draw_line(double x0, double y0, double x1, double y1, Rgb colour, double width = 1,
                 Dash dash = {});
  // Segments through consecutive points; the dash pattern runs on across joints, and a
  // non-finite coordinate breaks the line there (a metric missing at one epoch).
  void draw_polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb colour,
                     double width = 1, Dash dash = {});
  void fill_circle(double cx, double cy, double radius, Rgb colour);

  // Text in the built-in 5 x 8 font (reports/bitmap_font.h), each font pixel drawn as a
  // scale x scale block. (x, y) is the top-left corner; returns the width drawn.
  int draw_text(int x, int y, const std::string& text, Rgb colour, int scale = 1);
  // The same text turned 90 degrees counter-clockwise (reads bottom to top, as a y-axis label);
  // (x, y) is the top-left corner of its text_height x text_width box.
  void draw_text_up(int x, int y, const std::string& text, Rgb colour, int scale = 1);
  static int text_width(const std::string& text, int scale = 1);
  static int text_height(int scale = 1);

  // The PNG file's bytes (8-bit RGB).
  std::string encode_png() const;
  // Written atomically (core/fs.h): a reader sees the old picture or the new one. UserError
  // naming `path` when it cannot be written.
  void save_png(const std::string& path) const;

 private:
  void paint_span(int y, double x_low, double x_high, Rgb colour);  // centres in [low, high]
  void draw_capsule(double x0, double y0, double x1, double y1, double radius, Rgb colour);
  // Draws the segment through the dash pattern, starting `phase` pixels into it, and leaves in
  // `phase` where the pattern stands at the segment's end (for the next segment of a polyline).
  void draw_dashed(double x0, double y0, double x1, double y1, double radius, Rgb colour, Dash dash,
                   double& phase);

  int width_;
  int height_;
  int clip_x0_, clip_y0_, clip_x1_, clip_y1_;
  std::vector<std::uint8_t> rgb_;  // row-major, 3 bytes a pixel
};

}  // namespace galien
