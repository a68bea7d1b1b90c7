// A 2-D chart for the reports: title, axis labels, 1-2-5 ticks and grid, series drawn as lines,
// steps (Kaplan-Meier) or points, shaded horizontal bands, horizontal reference lines, the y = x
// diagonal, a legend in the emptiest corner and an optional table of values under the x ticks
// (number at risk). Fill in the public fields, then save().
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reports/png_canvas.h"

namespace galien {

// Okabe & Ito's colour-blind-safe palette (blue, vermillion, green, purple, orange, sky blue,
// yellow, black), cycled: series i gets palette_colour(i) unless it sets its own.
Rgb palette_colour(std::size_t index);

enum class SeriesStyle {
  kLine,    // straight segments between consecutive points
  kStep,    // right-continuous steps: flat from x_i to x_{i+1}, then a jump (survival curves)
  kPoints,  // markers only
};
enum class Marker { kDisc, kPlus };

struct Series {
  std::string name;          // legend text; empty: not in the legend
  std::vector<double> x, y;  // same length; a non-finite value is a gap in a line, no marker
  SeriesStyle style = SeriesStyle::kLine;
  std::optional<Rgb> colour;
  double width = 2;  // line width in pixels; marker size for kPoints
  Dash dash;
  bool markers = false;  // a line or step also marks each point (a handful of epochs)
  Marker marker = Marker::kDisc;
};

struct ReferenceLine {  // horizontal, across the plot: a published value
  double y = 0;
  std::string name;
  Rgb colour{0, 0, 0};
  Dash dash;
  double width = 2;
};

struct Band {  // shaded between two y values, behind everything: a tolerance
  double y_low = 0, y_high = 0;
  std::string name;
  Rgb colour{225, 225, 225};
};

struct TableRow {  // text under the x ticks: label at the left, value_at(tick) under each tick
  std::string label;
  Rgb colour{0, 0, 0};
  std::function<std::string(double)> value_at;
};

struct Axis {
  std::string label;
  std::optional<double> min, max;  // fixed ends; unset: from the data, widened to a whole tick
  bool integer_ticks = false;      // folds, epochs
};

// Where a chart put its plot: the frame's pixel edges and the data range inside it. Data
// ranges map to the frame less an inner margin, so points on the range's ends stay visible.
struct PlotArea {
  int left = 0, top = 0, right = 0, bottom = 0;  // frame: pixels [left, right) x [top, bottom)
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  double inner = 8;           // pixels between the frame and the data range
  double px(double x) const;  // continuous pixel coordinates
  double py(double y) const;
};

class Chart {
 public:
  std::string title;
  Axis x_axis, y_axis;
  bool diagonal = false;      // dashed grey y = x (chance for ROC, perfect prediction)
  std::string diagonal_name;  // its legend entry, if any
  std::vector<Series> series;
  std::vector<ReferenceLine> lines;
  std::vector<Band> bands;
  std::vector<std::string> notes;  // legend lines without a swatch: AUC, log-rank p, R^2
  std::string table_title;         // e.g. "number at risk"
  std::vector<TableRow> table;

  Series& add(Series s);

  PlotArea layout(int width, int height) const;
  PngCanvas render(int width, int height) const;
  // PNG, written atomically; UserError naming `path` when it cannot be.
  void save(const std::string& path, int width = 800, int height = 500) const;
};

}  // namespace galien
