#include "reports/chart.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "reports/ticks.h"

namespace galien {
namespace {

constexpr int kMargin = 12;  // canvas edge to anything drawn
constexpr int kTickLength = 5;
constexpr int kTickGap = 4;     // tick mark to its label
constexpr int kLabelScale = 1;  // axis labels, ticks, legend
constexpr int kRowHeight = 14;  // legend and table rows
constexpr int kLegendPad = 8;
constexpr int kSwatch = 24;
// Table label to the plot's left edge: room for half of a 5-digit value centred on a tick at
// the left end of the axis.
constexpr int kTableGap = 28;
constexpr Rgb kInk{40, 40, 40};  // text and frame
constexpr Rgb kGrid{232, 232, 232};
constexpr Rgb kDiagonal{130, 130, 130};
constexpr Rgb kLegendBorder{170, 170, 170};

struct Layout {
  PlotArea area;
  AxisTicks x_ticks, y_ticks;
  int title_scale = 2;
};

struct Range {
  double low = 0, high = 1;
  bool any = false;
  void add(double v) {
    if (!std::isfinite(v)) return;
    low = any ? std::min(low, v) : v;
    high = any ? std::max(high, v) : v;
    any = true;
  }
};

// The axis range and its ticks: fixed ends stay where they are, free ends come from the data,
// widened to a whole step.
AxisTicks axis_ticks(const Axis& axis, Range data, int target) {
  if (axis.min && axis.max) {
    GALIEN_CHECK(*axis.min < *axis.max,
                 "axis '" << axis.label << "' range [" << *axis.min << ", " << *axis.max << "]");
  }
  double low = axis.min ? *axis.min : data.any ? data.low : 0;
  double high = axis.max ? *axis.max : data.any ? data.high : 1;
  if (axis.min && !axis.max && high <= low) high = low + 1;
  if (axis.max && !axis.min && low >= high) low = high - 1;
  AxisTicks t = nice_ticks(low, high, target, !(axis.min && axis.max), axis.integer_ticks);
  if (axis.min) t.low = *axis.min;
  if (axis.max) t.high = *axis.max;
  const double slack = t.step * 1e-6;
  AxisTicks kept = t;
  kept.values.clear();
  kept.labels.clear();
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    if (t.values[i] < t.low - slack || t.values[i] > t.high + slack) continue;
    kept.values.push_back(t.values[i]);
    kept.labels.push_back(t.labels[i]);
  }
  return kept;
}

int widest(const std::vector<std::string>& texts, int scale) {
  int w = 0;
  for (const auto& t : texts) w = std::max(w, PngCanvas::text_width(t, scale));
  return w;
}

int bottom_margin(const Chart& chart) {
  int m = kTickLength + kTickGap + PngCanvas::text_height(kLabelScale) + kMargin;
  if (!chart.x_axis.label.empty()) m += 10 + PngCanvas::text_height(kLabelScale);
  if (!chart.table.empty())
    m += 12 +
         kRowHeight * static_cast<int>(chart.table.size() + (chart.table_title.empty() ? 0 : 1));
  return m;
}

Layout compute_layout(const Chart& chart, int width, int height) {
  Layout l;
  l.title_scale = PngCanvas::text_width(chart.title, 2) <= width - 2 * kMargin ? 2 : 1;
  PlotArea& a = l.area;
  a.top = kMargin + (chart.title.empty() ? 0 : PngCanvas::text_height(l.title_scale) + 12);
  a.bottom = height - bottom_margin(chart);
  GALIEN_CHECK(a.bottom - a.top >= 40, "chart " << width << "x" << height << " is too small");

  Range xs, ys;
  for (const auto& s : chart.series) {
    for (double v : s.x) xs.add(v);
    for (double v : s.y) ys.add(v);
  }
  for (const auto& line : chart.lines) ys.add(line.y);
  for (const auto& band : chart.bands) {
    ys.add(band.y_low);
    ys.add(band.y_high);
  }
  l.y_ticks = axis_ticks(chart.y_axis, ys, std::clamp((a.bottom - a.top) / 60, 3, 10));

  a.left = kMargin + widest(l.y_ticks.labels, kLabelScale) + kTickGap + kTickLength + 1;
  if (!chart.y_axis.label.empty()) a.left += PngCanvas::text_height(kLabelScale) + 10;
  for (const auto& row : chart.table)
    a.left = std::max(a.left, kMargin + PngCanvas::text_width(row.label, kLabelScale) + kTableGap);
  a.right = width - 2 * kMargin;
  GALIEN_CHECK(a.right - a.left >= 40, "chart " << width << "x" << height << " is too small");
  l.x_ticks = axis_ticks(chart.x_axis, xs, std::clamp((a.right - a.left) / 90, 3, 10));

  a.x_min = l.x_ticks.low;
  a.x_max = l.x_ticks.high;
  a.y_min = l.y_ticks.low;
  a.y_max = l.y_ticks.high;
  return l;
}

// Canvas pixel column or row of a continuous coordinate.
int pixel_of(double v) { return static_cast<int>(std::floor(v)); }

void draw_marker(PngCanvas& c, double x, double y, double size, Marker marker, Rgb colour) {
  if (marker == Marker::kDisc) {
    c.fill_circle(x, y, size / 2, colour);
  } else {
    const double half = size / 2, thick = std::max(1.5, size / 4);
    c.draw_line(x - half, y, x + half, y, colour, thick);
    c.draw_line(x, y - half, x, y + half, colour, thick);
  }
}

void draw_series(PngCanvas& c, const PlotArea& a, const Series& s, Rgb colour) {
  GALIEN_CHECK(s.x.size() == s.y.size(),
               "series '" << s.name << "': " << s.x.size() << " x, " << s.y.size() << " y");
  const double nan = std::nan("");
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    const bool ok = std::isfinite(s.x[i]) && std::isfinite(s.y[i]);
    xs.push_back(ok ? a.px(s.x[i]) : nan);
    ys.push_back(ok ? a.py(s.y[i]) : nan);
    // A step holds its value until the next x, then jumps.
    if (s.style == SeriesStyle::kStep && ok && i + 1 < s.x.size() && std::isfinite(s.x[i + 1])) {
      xs.push_back(a.px(s.x[i + 1]));
      ys.push_back(a.py(s.y[i]));
    }
  }
  if (s.style != SeriesStyle::kPoints) c.draw_polyline(xs, ys, colour, s.width, s.dash);
  if (s.style == SeriesStyle::kPoints || s.markers) {
    const double size = s.style == SeriesStyle::kPoints ? s.width : 2 * s.width + 3;
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
        draw_marker(c, a.px(s.x[i]), a.py(s.y[i]), size, s.marker, colour);
  }
}

Rgb series_colour(const Chart& chart, std::size_t i) {
  return chart.series[i].colour ? *chart.series[i].colour : palette_colour(i);
}

struct LegendEntry {
  enum Kind { kSeries, kLine, kBand, kDiagonal, kNote } kind;
  std::string text;
  Rgb colour;
  const Series* series = nullptr;
  const ReferenceLine* line = nullptr;
};

std::vector<LegendEntry> legend_entries(const Chart& chart) {
  std::vector<LegendEntry> entries;
  for (std::size_t i = 0; i < chart.series.size(); ++i)
    if (!chart.series[i].name.empty())
      entries.push_back(
          {LegendEntry::kSeries, chart.series[i].name, series_colour(chart, i), &chart.series[i]});
  for (const auto& line : chart.lines)
    if (!line.name.empty())
      entries.push_back({LegendEntry::kLine, line.name, line.colour, nullptr, &line});
  for (const auto& band : chart.bands)
    if (!band.name.empty()) entries.push_back({LegendEntry::kBand, band.name, band.colour});
  if (chart.diagonal && !chart.diagonal_name.empty())
    entries.push_back({LegendEntry::kDiagonal, chart.diagonal_name, kDiagonal});
  for (const auto& note : chart.notes) entries.push_back({LegendEntry::kNote, note, kInk});
  return entries;
}

// Pixels of data (not background, grid or band) a box would hide.
long covered(const PngCanvas& c, const Chart& chart, int x0, int y0, int x1, int y1) {
  long n = 0;
  for (int y = std::max(0, y0); y < std::min(c.height(), y1); ++y)
    for (int x = std::max(0, x0); x < std::min(c.width(), x1); ++x) {
      const Rgb p = c.pixel(x, y);
      if (p == kWhite || p == kGrid) continue;
      bool band = false;
      for (const auto& b : chart.bands) band = band || p == b.colour;
      if (!band) ++n;
    }
  return n;
}

void draw_legend(PngCanvas& c, const Chart& chart, const PlotArea& a) {
  const auto entries = legend_entries(chart);
  if (entries.empty()) return;
  int text_w = 0;
  for (const auto& e : entries)
    text_w = std::max(text_w, PngCanvas::text_width(e.text, kLabelScale) +
                                  (e.kind == LegendEntry::kNote ? 0 : kSwatch + 6));
  const int w = 2 * kLegendPad + text_w;
  const int h = 2 * kLegendPad + static_cast<int>(entries.size()) * kRowHeight - 6;
  // Corners in order of preference; the one hiding the fewest data pixels wins.
  const int inset = 8;
  const int corners[4][2] = {{a.right - inset - w, a.top + inset},
                             {a.left + inset, a.top + inset},
                             {a.right - inset - w, a.bottom - inset - h},
                             {a.left + inset, a.bottom - inset - h}};
  int best = 0;
  long best_cover = -1;
  for (int k = 0; k < 4; ++k) {
    const long cover =
        covered(c, chart, corners[k][0], corners[k][1], corners[k][0] + w, corners[k][1] + h);
    if (best_cover < 0 || cover < best_cover) {
      best = k;
      best_cover = cover;
    }
  }
  const int x0 = corners[best][0], y0 = corners[best][1];
  c.fill_rect(x0, y0, x0 + w, y0 + h, kWhite);
  c.outline_rect(x0, y0, x0 + w, y0 + h, kLegendBorder);
  int y = y0 + kLegendPad;
  for (const auto& e : entries) {
    const double mid = y + PngCanvas::text_height(kLabelScale) / 2.0 - 0.5;
    const int sx = x0 + kLegendPad;
    int tx = sx + kSwatch + 6;
    switch (e.kind) {
      case LegendEntry::kSeries: {
        const Series& s = *e.series;
        if (s.style != SeriesStyle::kPoints)
          c.draw_line(sx, mid, sx + kSwatch, mid, e.colour, std::min(s.width, 3.0), s.dash);
        if (s.style == SeriesStyle::kPoints || s.markers)
          draw_marker(c, sx + kSwatch / 2.0, mid,
                      s.style == SeriesStyle::kPoints ? std::min(s.width, 9.0)
                                                      : 2 * std::min(s.width, 3.0) + 3,
                      s.marker, e.colour);
        break;
      }
      case LegendEntry::kLine:
        c.draw_line(sx, mid, sx + kSwatch, mid, e.colour, std::min(e.line->width, 3.0),
                    e.line->dash);
        break;
      case LegendEntry::kBand:
        c.fill_rect(sx, y - 1, sx + kSwatch, y + PngCanvas::text_height(kLabelScale) + 1, e.colour);
        break;
      case LegendEntry::kDiagonal:
        c.draw_line(sx, mid, sx + kSwatch, mid, e.colour, 1.5, Dash{6, 4});
        break;
      case LegendEntry::kNote:
        tx = sx;
        break;
    }
    c.draw_text(tx, y, e.text, kInk, kLabelScale);
    y += kRowHeight;
  }
}

}  // namespace

Rgb palette_colour(std::size_t index) {
  static const Rgb kPalette[] = {{0, 114, 178}, {213, 94, 0},   {0, 158, 115},  {204, 121, 167},
                                 {230, 159, 0}, {86, 180, 233}, {240, 228, 66}, {0, 0, 0}};
  return kPalette[index % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

double PlotArea::px(double x) const {
  return left + inner + (x - x_min) / (x_max - x_min) * (right - left - 2 * inner);
}

double PlotArea::py(double y) const {
  return bottom - inner - (y - y_min) / (y_max - y_min) * (bottom - top - 2 * inner);
}

Series& Chart::add(Series s) {
  series.push_back(std::move(s));
  return series.back();
}

PlotArea Chart::layout(int width, int height) const {
  return compute_layout(*this, width, height).area;
}

PngCanvas Chart::render(int width, int height) const {
  const Layout l = compute_layout(*this, width, height);
  const PlotArea& a = l.area;
  PngCanvas c(width, height);

  // Behind the data: bands, then the grid.
  c.set_clip(a.left, a.top, a.right, a.bottom);
  for (const auto& band : bands) {
    const double y0 = a.py(std::max(band.y_low, band.y_high)),
                 y1 = a.py(std::min(band.y_low, band.y_high));
    c.fill_rect(a.left, pixel_of(y0 + 0.5), a.right, pixel_of(y1 + 0.5), band.colour);
  }
  for (double v : l.x_ticks.values)
    c.fill_rect(pixel_of(a.px(v)), a.top, pixel_of(a.px(v)) + 1, a.bottom, kGrid);
  for (double v : l.y_ticks.values)
    c.fill_rect(a.left, pixel_of(a.py(v)), a.right, pixel_of(a.py(v)) + 1, kGrid);

  // The data, clipped to the frame.
  if (diagonal) {
    const double lo = std::min(a.x_min, a.y_min), hi = std::max(a.x_max, a.y_max);
    c.draw_line(a.px(lo), a.py(lo), a.px(hi), a.py(hi), kDiagonal, 1.5, Dash{6, 4});
  }
  for (const auto& line : lines)
    c.draw_line(a.left, a.py(line.y), a.right, a.py(line.y), line.colour, line.width, line.dash);
  for (std::size_t i = 0; i < series.size(); ++i)
    draw_series(c, a, series[i], series_colour(*this, i));
  c.reset_clip();

  // Frame, ticks and their labels.
  c.outline_rect(a.left - 1, a.top - 1, a.right + 1, a.bottom + 1, kInk);
  const int th = PngCanvas::text_height(kLabelScale);
  for (std::size_t i = 0; i < l.x_ticks.values.size(); ++i) {
    const double x = a.px(l.x_ticks.values[i]);
    c.fill_rect(pixel_of(x), a.bottom + 1, pixel_of(x) + 1, a.bottom + 1 + kTickLength, kInk);
    const int w = PngCanvas::text_width(l.x_ticks.labels[i], kLabelScale);
    c.draw_text(pixel_of(x + 0.5 - w / 2.0), a.bottom + 1 + kTickLength + kTickGap,
                l.x_ticks.labels[i], kInk, kLabelScale);
  }
  for (std::size_t i = 0; i < l.y_ticks.values.size(); ++i) {
    const double y = a.py(l.y_ticks.values[i]);
    c.fill_rect(a.left - 1 - kTickLength, pixel_of(y), a.left - 1, pixel_of(y) + 1, kInk);
    const int w = PngCanvas::text_width(l.y_ticks.labels[i], kLabelScale);
    c.draw_text(a.left - 1 - kTickLength - kTickGap - w, pixel_of(y + 0.5 - (th - 1) / 2.0),
                l.y_ticks.labels[i], kInk, kLabelScale);
  }

  // Labels and title.
  int below = a.bottom + 1 + kTickLength + kTickGap + th;
  if (!x_axis.label.empty()) {
    below += 10;
    const int w = PngCanvas::text_width(x_axis.label, kLabelScale);
    c.draw_text((a.left + a.right - w) / 2, below, x_axis.label, kInk, kLabelScale);
    below += th;
  }
  if (!y_axis.label.empty()) {
    const int w = PngCanvas::text_width(y_axis.label, kLabelScale);
    c.draw_text_up(kMargin, (a.top + a.bottom - w) / 2, y_axis.label, kInk, kLabelScale);
  }
  if (!title.empty()) {
    const int w = PngCanvas::text_width(title, l.title_scale);
    c.draw_text(std::max(kMargin, (width - w) / 2), kMargin, title, kInk, l.title_scale);
  }

  draw_legend(c, *this, a);

  // The table under the x axis: one row per entry, a value under each x tick.
  if (!table.empty()) {
    int y = below + 12;
    if (!table_title.empty()) {
      c.draw_text(kMargin, y, table_title, kInk, kLabelScale);
      y += kRowHeight;
    }
    for (const auto& row : table) {
      c.draw_text(a.left - kTableGap - PngCanvas::text_width(row.label, kLabelScale), y, row.label,
                  row.colour, kLabelScale);
      for (double v : l.x_ticks.values) {
        const std::string text = row.value_at ? row.value_at(v) : "";
        const int w = PngCanvas::text_width(text, kLabelScale);
        c.draw_text(pixel_of(a.px(v) + 0.5 - w / 2.0), y, text, row.colour, kLabelScale);
      }
      y += kRowHeight;
    }
  }
  return c;
}

void Chart::save(const std::string& path, int width, int height) const {
  render(width, height).save_png(path);
}

}  // namespace galien
