// Report charts (reports/): the font, the canvas, ticks, charts, the ROC / Kaplan-Meier /
// log-rank computations against hand-computed and textbook values, metrics.jsonl reading, and
// the pictures of plots.h decoded back with libpng and checked pixel by pixel.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "reports/bitmap_font.h"
#include "reports/chart.h"
#include "reports/curves.h"
#include "reports/gamma.h"
#include "reports/metrics_log.h"
#include "reports/plots.h"
#include "reports/png_canvas.h"
#include "reports/ticks.h"
#include "tests/support/test_support.h"
#include "trainers/observability/metrics.h"

namespace galien {
namespace {

using test::user_error_of;

const Rgb kRed{220, 20, 20};

std::string tmp_dir() {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/reports";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string write_text(const std::string& name, const std::string& text) {
  std::string path = tmp_dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// A PNG decoded by libpng itself, not by the code under test.
struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  Rgb at(int x, int y) const {
    const std::uint8_t* p = &rgb[(static_cast<std::size_t>(y) * width + x) * 3];
    return {p[0], p[1], p[2]};
  }
  int count(Rgb c) const {
    int n = 0;
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) n += at(x, y) == c;
    return n;
  }
  // Rows of column x painted `c`.
  std::vector<int> rows_of(int x, Rgb c) const {
    std::vector<int> rows;
    for (int y = 0; y < height; ++y)
      if (at(x, y) == c) rows.push_back(y);
    return rows;
  }
};

Image decode(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    ADD_FAILURE() << "libpng cannot read " << path << ": " << image.message;
    return {};
  }
  image.format = PNG_FORMAT_RGB;
  Image out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgb.data(), 0, nullptr))
    ADD_FAILURE() << "libpng cannot decode " << path << ": " << image.message;
  return out;
}

int row_of(double y) { return static_cast<int>(std::floor(y)); }

// ---------------------------------------------------------------------------------------------
// Font

TEST(ReportFont, GlyphsAreTheDrawnOnes) {
  // 'I' row 0 is ".###.", 'g' has its descender in row 7 (".###.").
  EXPECT_FALSE(font::ink('I', 0, 0));
  EXPECT_TRUE(font::ink('I', 1, 0));
  EXPECT_TRUE(font::ink('I', 3, 0));
  EXPECT_FALSE(font::ink('I', 4, 0));
  EXPECT_TRUE(font::ink('g', 1, 7));
  EXPECT_FALSE(font::ink('g', 0, 7));
  EXPECT_FALSE(font::ink('A', 0, 7));  // capitals stop at the baseline
  EXPECT_FALSE(font::ink('A', 5, 0));  // outside the glyph
}

TEST(ReportFont, EveryPrintableCharacterHasItsOwnGlyph) {
  std::set<std::vector<bool>> seen;
  for (int c = 32; c <= 126; ++c) {
    std::vector<bool> bits;
    for (int row = 0; row < font::kGlyphHeight; ++row)
      for (int col = 0; col < font::kGlyphWidth; ++col)
        bits.push_back(font::ink(static_cast<char>(c), col, row));
    const bool blank = std::none_of(bits.begin(), bits.end(), [](bool b) { return b; });
    EXPECT_EQ(blank, c == ' ') << "character " << static_cast<char>(c);
    EXPECT_TRUE(seen.insert(bits).second)
        << "character " << static_cast<char>(c) << " looks like another";
  }
}

TEST(ReportFont, UnprintableCharactersDrawAsQuestionMark) {
  for (int row = 0; row < font::kGlyphHeight; ++row)
    for (int col = 0; col < font::kGlyphWidth; ++col) {
      EXPECT_EQ(font::ink('\t', col, row), font::ink('?', col, row));
      EXPECT_EQ(font::ink('\xc3', col, row), font::ink('?', col, row));
    }
}

// ---------------------------------------------------------------------------------------------
// Canvas

TEST(ReportCanvas, OnePixelLineOnItsRowWithRoundCaps) {
  PngCanvas c(40, 20);
  c.draw_line(5, 10.5, 35, 10.5, kRed, 1);
  // Centres within 0.5 of the segment: row 10, columns 4 (centre 4.5, at the cap) to 35.
  EXPECT_EQ(c.pixel(4, 10), kRed);
  EXPECT_EQ(c.pixel(20, 10), kRed);
  EXPECT_EQ(c.pixel(35, 10), kRed);
  EXPECT_EQ(c.pixel(3, 10), kWhite);
  EXPECT_EQ(c.pixel(36, 10), kWhite);
  EXPECT_EQ(c.pixel(20, 9), kWhite);
  EXPECT_EQ(c.pixel(20, 11), kWhite);
}

TEST(ReportCanvas, ThickLineCoversItsWidth) {
  PngCanvas c(40, 20);
  c.draw_line(0, 10.5, 40, 10.5, kRed, 3);
  for (int y : {9, 10, 11}) EXPECT_EQ(c.pixel(20, y), kRed) << y;
  for (int y : {8, 12}) EXPECT_EQ(c.pixel(20, y), kWhite) << y;
}

TEST(ReportCanvas, SteepAndShallowLinesHaveNoGaps) {
  PngCanvas c(60, 30);
  c.draw_line(0.5, 0.5, 59.5, 29.5, kRed, 1);
  for (int x = 1; x < 59; ++x) {
    int painted = 0;
    for (int y = 0; y < 30; ++y)
      if (c.pixel(x, y) == kRed) {
        ++painted;
        const double line_y = 0.5 + (x + 0.5 - 0.5) * 29.0 / 59.0;
        EXPECT_LE(std::abs(y + 0.5 - line_y), 1.2) << x << "," << y;
      }
    EXPECT_GE(painted, 1) << "gap at column " << x;
  }
  PngCanvas steep(30, 60);
  steep.draw_line(0.5, 0.5, 29.5, 59.5, kRed, 1);
  for (int y = 1; y < 59; ++y) {
    int painted = 0;
    for (int x = 0; x < 30; ++x) painted += steep.pixel(x, y) == kRed;
    EXPECT_GE(painted, 1) << "gap at row " << y;
  }
}

TEST(ReportCanvas, ClipRectangleStopsPaint) {
  PngCanvas c(40, 20);
  c.set_clip(10, 0, 20, 20);
  c.draw_line(0, 5.5, 40, 5.5, kRed, 1);
  c.fill_rect(0, 10, 40, 12, kRed);
  for (int y : {5, 10, 11}) {
    EXPECT_EQ(c.pixel(9, y), kWhite);
    EXPECT_EQ(c.pixel(10, y), kRed);
    EXPECT_EQ(c.pixel(19, y), kRed);
    EXPECT_EQ(c.pixel(20, y), kWhite);
  }
}

TEST(ReportCanvas, FarAwayEndsAreClippedAndNonFiniteDrawsNothing) {
  PngCanvas c(40, 20);
  c.draw_line(-1e300, 5.5, 1e300, 5.5, kRed, 1);  // would take forever unclipped
  for (int x = 0; x < 40; ++x) EXPECT_EQ(c.pixel(x, 5), kRed) << x;
  PngCanvas blank(40, 20);
  blank.draw_line(0, 5, std::nan(""), 10, kRed, 3);
  blank.draw_line(0, 5, INFINITY, 10, kRed, 3);
  blank.fill_circle(NAN, 3, 4, kRed);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x) ASSERT_EQ(blank.pixel(x, y), kWhite);
}

TEST(ReportCanvas, DashPatternAndPolylineGaps) {
  PngCanvas c(40, 10);
  c.draw_line(0, 5.5, 40, 5.5, kRed, 1, Dash{4, 4});
  // Dashes on [0, 4], [8, 12], [16, 20]..., each with a half-pixel cap.
  for (int x : {0, 2, 4, 7, 10, 12, 15, 20}) EXPECT_EQ(c.pixel(x, 5), kRed) << x;
  for (int x : {5, 6, 13, 14, 21, 22}) EXPECT_EQ(c.pixel(x, 5), kWhite) << x;

  PngCanvas p(40, 10);
  p.draw_polyline({0, 10, 20, 30, 40}, {2.5, 2.5, NAN, 2.5, 2.5}, kRed, 1);
  EXPECT_EQ(p.pixel(5, 2), kRed);
  EXPECT_EQ(p.pixel(15, 2), kWhite);  // no segment touches the missing point
  EXPECT_EQ(p.pixel(25, 2), kWhite);
  EXPECT_EQ(p.pixel(35, 2), kRed);
}

TEST(ReportCanvas, TextAtScaleTwoAndTurnedUp) {
  PngCanvas c(40, 40);
  // 'I' row 0 is ".###.": at scale 2, columns 1-3 become x 4..9 in rows 3-4.
  EXPECT_EQ(c.draw_text(2, 3, "I", kBlack, 2), 10);
  for (int x = 4; x <= 9; ++x) {
    EXPECT_EQ(c.pixel(x, 3), kBlack) << x;
    EXPECT_EQ(c.pixel(x, 4), kBlack) << x;
  }
  EXPECT_EQ(c.pixel(3, 3), kWhite);
  EXPECT_EQ(c.pixel(10, 3), kWhite);
  EXPECT_EQ(PngCanvas::text_width("abc", 1), 17);
  EXPECT_EQ(PngCanvas::text_height(2), 16);

  // 'L' (stem in column 0, bar in row 6) turned counter-clockwise in a 8 x 5 box at (20, 20):
  // the stem becomes the bottom row of the box, the bar its right column (6), read upwards.
  PngCanvas up(40, 40);
  up.draw_text_up(20, 20, "L", kBlack, 1);
  for (int x = 20; x <= 26; ++x) EXPECT_EQ(up.pixel(x, 24), kBlack) << x;
  for (int y = 20; y <= 24; ++y) EXPECT_EQ(up.pixel(26, y), kBlack) << y;
  EXPECT_EQ(up.pixel(23, 20), kWhite);
  EXPECT_EQ(up.pixel(20, 25), kWhite);
}

TEST(ReportCanvas, SavedPngDecodesToTheSamePixels) {
  PngCanvas c(37, 23);
  c.fill_rect(3, 4, 10, 9, kRed);
  c.draw_line(0, 20.5, 37, 20.5, Rgb{1, 2, 3}, 1);
  const std::string path = tmp_dir() + "/canvas.png";
  c.save_png(path);
  const Image img = decode(path);
  ASSERT_EQ(img.width, 37);
  ASSERT_EQ(img.height, 23);
  for (int y = 0; y < 23; ++y)
    for (int x = 0; x < 37; ++x) ASSERT_EQ(img.at(x, y), c.pixel(x, y)) << x << "," << y;
  EXPECT_EQ(img.count(kRed), 7 * 5);
  // No temporary file is left beside it.
  for (const auto& entry : std::filesystem::directory_iterator(tmp_dir()))
    EXPECT_EQ(entry.path().filename().string().find(".canvas.png.tmp"), std::string::npos);
}

TEST(ReportCanvas, UnwritablePathIsNamed) {
  PngCanvas c(4, 4);
  const std::string message = user_error_of([&] { c.save_png("/nonexistent-galien-dir/roc.png"); });
  EXPECT_CONTAINS(message, "/nonexistent-galien-dir/");
  EXPECT_CONTAINS(message, "roc.png");
}

// ---------------------------------------------------------------------------------------------
// Ticks

TEST(ReportTicks, OneTwoFiveSteps) {
  EXPECT_DOUBLE_EQ(nice_step(1, 5), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(10, 5), 2);
  EXPECT_DOUBLE_EQ(nice_step(0.7, 5), 0.1);  // 0.14 is nearer 0.1 than 0.2 on a log scale
  EXPECT_DOUBLE_EQ(nice_step(3.3, 5), 0.5);  // 0.66
  EXPECT_DOUBLE_EQ(nice_step(400, 4), 100);
  EXPECT_DOUBLE_EQ(nice_step(2, 5, true), 1);  // folds: never 0.5
}

TEST(ReportTicks, FixedAndWidenedRanges) {
  AxisTicks fixed = nice_ticks(0, 1, 5, false);
  EXPECT_EQ(fixed.labels, (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_DOUBLE_EQ(fixed.low, 0);
  EXPECT_DOUBLE_EQ(fixed.high, 1);

  AxisTicks widened = nice_ticks(0.13, 0.87, 5, true);
  EXPECT_DOUBLE_EQ(widened.low, 0);
  EXPECT_DOUBLE_EQ(widened.high, 1);
  EXPECT_EQ(widened.values.size(), 6u);

  AxisTicks negative = nice_ticks(-3, 7, 5, true);
  EXPECT_EQ(negative.labels, (std::vector<std::string>{"-4", "-2", "0", "2", "4", "6", "8"}));

  AxisTicks inside = nice_ticks(0.5, 5.5, 5, false, true);  // folds 1..5
  EXPECT_EQ(inside.labels, (std::vector<std::string>{"1", "2", "3", "4", "5"}));

  AxisTicks single = nice_ticks(3, 3, 5, true);  // one value: opened around it
  EXPECT_LT(single.low, 3);
  EXPECT_GT(single.high, 3);
}

TEST(ReportTicks, LabelsShowTheStepsDecimals) {
  EXPECT_EQ(format_tick(0.30000000000000004, 0.1), "0.3");
  EXPECT_EQ(format_tick(-1e-17, 0.1), "0.0");
  EXPECT_EQ(format_tick(0.975, 0.005), "0.975");
  EXPECT_EQ(format_tick(150, 50), "150");
  EXPECT_EQ(format_tick(2500000, 500000), "2.5e+06");
  EXPECT_EQ(format_tick(3e-5, 1e-5), "3e-05");
}

// ---------------------------------------------------------------------------------------------
// Chart

// Rows of the grid lines in column x (the grid colour is light grey).
std::vector<int> grid_rows(const Image& img, int x) { return img.rows_of(x, Rgb{232, 232, 232}); }

TEST(ReportChart, HorizontalLineLandsOnThePredictedRow) {
  Chart chart;
  chart.title = "a line at 0.25";
  chart.x_axis = {"x", 0.0, 10.0};
  chart.y_axis = {"y", 0.0, 1.0};
  chart.add({"y = 0.25", {0, 10}, {0.25, 0.25}, SeriesStyle::kLine, kRed, 2});
  const std::string path = tmp_dir() + "/chart-line.png";
  chart.save(path, 400, 300);
  const Image img = decode(path);
  ASSERT_EQ(img.width, 400);
  ASSERT_EQ(img.height, 300);
  const PlotArea a = chart.layout(400, 300);

  // From the picture alone: the grid rows of the ticks from 1 (top) down to 0 (bottom) are
  // equally spaced, and 0.25 lies a quarter of the way up from the 0 row to the 1 row.
  const std::vector<int> grid = grid_rows(img, a.left + 2);
  ASSERT_GE(grid.size(), 3u);
  const double row_0 = grid.back(), row_1 = grid.front();
  const double predicted = row_0 + 0.25 * (row_1 - row_0);
  const int column = static_cast<int>(a.px(5));
  const std::vector<int> red = img.rows_of(column, kRed);
  ASSERT_EQ(red.size(), 2u);  // width 2
  EXPECT_LE(std::abs((red[0] + red[1]) / 2.0 - predicted), 1.0);
  EXPECT_EQ(red[0], row_of(a.py(0.25) - 0.5));  // and the layout says the same
  EXPECT_EQ(red[1], row_of(a.py(0.25) + 0.5));
  // Clipped to the frame: nothing red left of it.
  for (int x = 0; x < a.left; ++x) EXPECT_NE(img.at(x, red[0]), kRed) << x;
}

TEST(ReportChart, StepHoldsItsValueUntilTheNextX) {
  Chart chart;
  chart.x_axis = {"t", 0.0, 10.0};
  chart.y_axis = {"S", 0.0, 1.0};
  chart.add({"", {0, 5, 10}, {1.0, 0.5, 0.5}, SeriesStyle::kStep, kRed, 2});
  const PngCanvas c = chart.render(400, 300);
  const PlotArea a = chart.layout(400, 300);
  const int early = static_cast<int>(a.px(2.5)), late = static_cast<int>(a.px(7.5));
  EXPECT_EQ(c.pixel(early, row_of(a.py(1.0))), kRed);
  EXPECT_NE(c.pixel(early, row_of(a.py(0.75))), kRed);  // a line would pass here
  EXPECT_NE(c.pixel(early, row_of(a.py(0.5))), kRed);
  EXPECT_EQ(c.pixel(late, row_of(a.py(0.5))), kRed);
  EXPECT_NE(c.pixel(late, row_of(a.py(1.0))), kRed);
  EXPECT_EQ(c.pixel(static_cast<int>(a.px(5)), row_of(a.py(0.75))), kRed);  // the jump
}

TEST(ReportChart, PointsBandsAndReferenceLines) {
  Chart chart;
  chart.x_axis = {"x", 0.0, 10.0};
  chart.y_axis = {"y", 0.0, 1.0};
  const Rgb band{200, 230, 200}, line{10, 10, 120};
  chart.bands.push_back({0.6, 0.8, "band", band});
  chart.lines.push_back({0.3, "line", line});
  chart.add({"dots", {5}, {0.5}, SeriesStyle::kPoints, kRed, 8});
  const PngCanvas c = chart.render(500, 400);
  const PlotArea a = chart.layout(500, 400);
  const int x = static_cast<int>(a.px(5));
  EXPECT_EQ(c.pixel(x, row_of(a.py(0.5))), kRed);
  EXPECT_EQ(c.pixel(x + 3, row_of(a.py(0.5))), kRed);  // a disc 8 pixels across
  EXPECT_NE(c.pixel(x + 6, row_of(a.py(0.5))), kRed);
  EXPECT_EQ(c.pixel(x, row_of(a.py(0.7))), band);
  EXPECT_NE(c.pixel(x, row_of(a.py(0.55))), band);
  EXPECT_EQ(c.pixel(x, row_of(a.py(0.3))), line);
  EXPECT_EQ(c.pixel(a.left + 1, row_of(a.py(0.3))), line);  // across the whole plot
}

TEST(ReportChart, LegendGoesToTheEmptiestCorner) {
  const Rgb border{170, 170, 170};
  for (double level : {0.97, 0.03}) {  // through the top corners, then the bottom ones
    Chart chart;
    chart.x_axis = {"x", 0.0, 1.0};
    chart.y_axis = {"y", 0.0, 1.0};
    chart.add({"a long series name", {0, 1}, {level, level}, SeriesStyle::kLine, kRed, 2});
    const PngCanvas c = chart.render(500, 400);
    const PlotArea a = chart.layout(500, 400);
    const int middle = (a.top + a.bottom) / 2;
    int above = 0, below = 0;
    for (int y = a.top; y < a.bottom; ++y)
      for (int x = a.left; x < a.right; ++x)
        if (c.pixel(x, y) == border) (y < middle ? above : below) += 1;
    if (level > 0.5) {
      EXPECT_EQ(above, 0) << "legend over the data";
      EXPECT_GT(below, 0);
    } else {
      EXPECT_GT(above, 0);
      EXPECT_EQ(below, 0) << "legend over the data";
    }
  }
}

TEST(ReportChart, MissingValuesLeaveGaps) {
  Chart chart;
  chart.x_axis = {"x", 0.0, 10.0};
  chart.y_axis = {"y", 0.0, 1.0};
  chart.add({"", {0, 5, 10}, {0.5, NAN, 0.5}, SeriesStyle::kLine, kRed, 2});
  const PngCanvas c = chart.render(400, 300);
  const PlotArea a = chart.layout(400, 300);
  EXPECT_NE(c.pixel(static_cast<int>(a.px(2.5)), row_of(a.py(0.5))), kRed);
  EXPECT_NE(c.pixel(static_cast<int>(a.px(7.5)), row_of(a.py(0.5))), kRed);
}

TEST(ReportChart, TooSmallIsRefused) {
  Chart chart;
  chart.title = "t";
  EXPECT_THROW(chart.render(60, 40), InternalError);
}

// ---------------------------------------------------------------------------------------------
// ROC

TEST(ReportRoc, HandComputedCurveWithATie) {
  // Positives 0.9, 0.8, 0.7; negatives 0.7, 0.4, 0.2. Mann-Whitney: 3 + 3 + (1/2 + 2) = 8.5 of
  // 9 pairs. The tie at 0.7 is one diagonal step from (0, 2/3) to (1/3, 1).
  const RocCurve roc = roc_curve({0.9, 0.8, 0.7, 0.7, 0.4, 0.2}, {1, 1, 0, 1, 0, 0});
  const std::vector<double> fpr{0, 0, 0, 1.0 / 3, 2.0 / 3, 1}, tpr{0, 1.0 / 3, 2.0 / 3, 1, 1, 1};
  ASSERT_EQ(roc.fpr.size(), fpr.size());
  for (std::size_t i = 0; i < fpr.size(); ++i) {
    EXPECT_DOUBLE_EQ(roc.fpr[i], fpr[i]) << i;
    EXPECT_DOUBLE_EQ(roc.tpr[i], tpr[i]) << i;
  }
  EXPECT_EQ(roc.threshold, (std::vector<double>{INFINITY, 0.9, 0.8, 0.7, 0.4, 0.2}));
  EXPECT_DOUBLE_EQ(roc.auc, 8.5 / 9);
  EXPECT_EQ(roc.positives, 3);
  EXPECT_EQ(roc.negatives, 3);
}

TEST(ReportRoc, AucEqualsTheTrainersMannWhitneyAuc) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> scores;
    std::vector<int> labels;
    std::vector<std::int64_t> labels64;
    for (int i = 0; i < 400; ++i) {
      const int y = u(rng) < 0.3;
      // Two decimals: many ties, within and across classes.
      scores.push_back(std::round((u(rng) + 0.3 * y) * 100) / 100);
      labels.push_back(y);
      labels64.push_back(y);
    }
    EXPECT_NEAR(roc_curve(scores, labels).auc, auc_roc(scores, labels64), 1e-12) << trial;
  }
}

TEST(ReportRoc, OneClassIsUndefinedAndBadInputIsNamed) {
  const RocCurve one = roc_curve({0.1, 0.2}, {1, 1});
  EXPECT_TRUE(std::isnan(one.auc));
  EXPECT_TRUE(one.fpr.empty());
  EXPECT_CONTAINS(user_error_of([] { roc_curve({0.1, NAN, 0.3}, {0, 1, 0}); }), "score 1");
  EXPECT_CONTAINS(user_error_of([] { roc_curve({0.1, 0.2}, {0, 2}); }), "label 1 is 2");
}

// ---------------------------------------------------------------------------------------------
// Kaplan-Meier

TEST(ReportKaplanMeier, EventsComeBeforeCensoringsAtTheSameTime) {
  // t:  1  2  2  2  3  4  4  5;  event: 1 1 0 1 0 1 1 0.
  // t=1: 8 at risk, 1 event: 7/8. t=2: 7 at risk (the one censored at 2 included), 2 events:
  // 7/8 * 5/7 = 5/8. Then 4 left; censored at 3: 3 at risk at t=4, 2 events: 5/8 * 1/3 = 5/24.
  const KaplanMeier km = kaplan_meier({1, 2, 2, 2, 3, 4, 4, 5}, {1, 1, 0, 1, 0, 1, 1, 0});
  EXPECT_EQ(km.time, (std::vector<double>{0, 1, 2, 4}));
  const std::vector<double> s{1, 7.0 / 8, 5.0 / 8, 5.0 / 24};
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_DOUBLE_EQ(km.survival[i], s[i]) << i;
  EXPECT_EQ(km.at_risk, (std::vector<std::int64_t>{8, 8, 7, 3}));
  EXPECT_EQ(km.events, (std::vector<std::int64_t>{0, 1, 2, 2}));
  EXPECT_EQ(km.censor_time, (std::vector<double>{2, 3, 5}));
  EXPECT_DOUBLE_EQ(km.censor_survival[0], 5.0 / 8);
  EXPECT_DOUBLE_EQ(km.censor_survival[2], 5.0 / 24);
  EXPECT_EQ(km.subjects, 8);
  EXPECT_EQ(km.total_events, 5);
  EXPECT_DOUBLE_EQ(km.last_time, 5);
}

// Freireich et al. (1963) remission times in weeks, the textbook example of Kaplan-Meier and
// the log-rank test (Gehan 1965; Kleinbaum & Klein, Survival Analysis, ch. 2).
const std::vector<double> kMpTime{6,  6,  6,  6,  7,  9,  10, 10, 11, 13, 16,
                                  17, 19, 20, 22, 23, 25, 32, 32, 34, 35};
const std::vector<int> kMpEvent{1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
const std::vector<double> kPlaceboTime{1, 1, 2,  2,  3,  4,  4,  5,  5,  8, 8,
                                       8, 8, 11, 11, 12, 12, 15, 17, 22, 23};

TEST(ReportKaplanMeier, TextbookLeukaemiaSixMpGroup) {
  const KaplanMeier km = kaplan_meier(kMpTime, kMpEvent);
  // Published S(t): 6 -> 0.857, 7 -> 0.807, 10 -> 0.753, 13 -> 0.690, 16 -> 0.627,
  // 22 -> 0.538, 23 -> 0.448; exactly 18/21, *16/17, *14/15, *11/12, *10/11, *6/7, *5/6.
  EXPECT_EQ(km.time, (std::vector<double>{0, 6, 7, 10, 13, 16, 22, 23}));
  double s = 1;
  const double factors[] = {1,         18.0 / 21, 16.0 / 17, 14.0 / 15,
                            11.0 / 12, 10.0 / 11, 6.0 / 7,   5.0 / 6};
  const double published[] = {1, 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448};
  for (std::size_t i = 0; i < km.time.size(); ++i) {
    s *= factors[i];
    EXPECT_NEAR(km.survival[i], s, 1e-12) << km.time[i];
    EXPECT_NEAR(km.survival[i], published[i], 0.0005) << km.time[i];
  }
  EXPECT_EQ(km.at_risk_at(0), 21);
  EXPECT_EQ(km.at_risk_at(6), 21);
  EXPECT_EQ(km.at_risk_at(7), 17);
  EXPECT_EQ(km.at_risk_at(10), 15);
  EXPECT_EQ(km.at_risk_at(36), 0);
  EXPECT_DOUBLE_EQ(km.survival_at(5.9), 1);
  EXPECT_DOUBLE_EQ(km.survival_at(6.5), 18.0 / 21);
  EXPECT_DOUBLE_EQ(km.survival_at(100), km.survival.back());
}

TEST(ReportKaplanMeier, BadInputIsNamed) {
  EXPECT_CONTAINS(user_error_of([] { kaplan_meier({1, -2}, {1, 1}); }), "survival time 1 is -2");
  EXPECT_CONTAINS(user_error_of([] { kaplan_meier({1, NAN}, {1, 1}); }), "survival time 1");
  EXPECT_CONTAINS(user_error_of([] { kaplan_meier({1, 2}, {1, 3}); }), "event indicator 1 is 3");
}

// ---------------------------------------------------------------------------------------------
// Log-rank and the chi-square tail

TEST(ReportLogRank, HandComputedTwoGroups) {
  // A: 1 (event), 3 (event), 4 (censored); B: 2, 5, 6 (events).
  // t=1: 6 at risk, 3 in A: E_A 1/2, V 1*(5/5)*(1/2)(1/2) = 1/4. t=2: 5, 2 in A: E 2/5,
  // V (4/4)(2/5)(3/5) = 6/25. t=3: 4, 2 in A: E 1/2, V 1/4. t=5, 6: none of A at risk.
  // O_A = 2, E_A = 7/5, V = 37/50: chi-square (3/5)^2 / (37/50) = 18/37.
  const LogRank lr = log_rank_test({1, 3, 4, 2, 5, 6}, {1, 1, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1}, 2);
  EXPECT_DOUBLE_EQ(lr.observed[0], 2);
  EXPECT_DOUBLE_EQ(lr.expected[0], 1.4);
  EXPECT_DOUBLE_EQ(lr.observed[1], 3);
  EXPECT_DOUBLE_EQ(lr.expected[1], 3.6);
  EXPECT_EQ(lr.degrees_of_freedom, 1);
  EXPECT_NEAR(lr.chi_square, 18.0 / 37, 1e-14);
  EXPECT_NEAR(lr.p_value, std::erfc(std::sqrt(9.0 / 37)), 1e-14);
}

TEST(ReportLogRank, TextbookLeukaemiaSixMpAgainstPlacebo) {
  std::vector<double> time = kMpTime;
  time.insert(time.end(), kPlaceboTime.begin(), kPlaceboTime.end());
  std::vector<int> event = kMpEvent, group(21, 0);
  event.insert(event.end(), 21, 1);
  group.insert(group.end(), 21, 1);
  const LogRank lr = log_rank_test(time, event, group, 2);
  // Kleinbaum & Klein: O - E = 9 - 19.25 = -10.25, Var = 6.257, log-rank = 16.79; R's survdiff
  // prints Chisq = 16.8 on 1 df, p = 4e-05. Exact values from fractions.
  EXPECT_DOUBLE_EQ(lr.observed[0], 9);
  EXPECT_NEAR(lr.expected[0], 19.25050094803113, 1e-10);
  EXPECT_NEAR(lr.expected[1], 10.74949905196887, 1e-10);
  EXPECT_NEAR(lr.chi_square, 16.792940989216532, 1e-9);
  EXPECT_NEAR(lr.chi_square, 16.79, 0.005);
  EXPECT_NEAR(lr.p_value, 4.16880910933455e-05, 1e-12);
}

TEST(ReportLogRank, ThreeGroupsTwoDegreesOfFreedom) {
  const std::vector<double> time{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2, 4, 4, 6, 8};
  const std::vector<int> event{1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1};
  const std::vector<int> group{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 1, 2, 0, 2};
  const LogRank lr = log_rank_test(time, event, group, 3);
  // (O - E)' V^-1 (O - E) computed in exact fractions (any two groups give the same value).
  EXPECT_EQ(lr.degrees_of_freedom, 2);
  EXPECT_NEAR(lr.chi_square, 1109407534803258409.0 / 67378630830902959.0, 1e-9);
  EXPECT_NEAR(lr.p_value, std::exp(-lr.chi_square / 2), 1e-15);  // df 2: e^(-x/2)
  EXPECT_DOUBLE_EQ(lr.observed[0] + lr.observed[1] + lr.observed[2], 12);
  EXPECT_NEAR(lr.expected[0] + lr.expected[1] + lr.expected[2], 12, 1e-12);
  // Renaming the groups changes nothing.
  std::vector<int> renamed;
  for (int g : group) renamed.push_back((g + 1) % 3);
  EXPECT_NEAR(log_rank_test(time, event, renamed, 3).chi_square, lr.chi_square, 1e-9);
}

TEST(ReportLogRank, UndefinedWithoutEventsOrWithOneGroup) {
  const LogRank no_events = log_rank_test({1, 2, 3, 4}, {0, 0, 0, 0}, {0, 0, 1, 1}, 2);
  EXPECT_TRUE(std::isnan(no_events.chi_square));
  EXPECT_TRUE(std::isnan(no_events.p_value));
  const LogRank one_group = log_rank_test({1, 2, 3}, {1, 1, 1}, {1, 1, 1}, 3);
  EXPECT_EQ(one_group.degrees_of_freedom, 0);
  EXPECT_TRUE(std::isnan(one_group.p_value));
  // An empty group does not count as a degree of freedom.
  const LogRank two_of_three =
      log_rank_test({1, 3, 4, 2, 5, 6}, {1, 1, 0, 1, 1, 1}, {0, 0, 0, 2, 2, 2}, 3);
  EXPECT_EQ(two_of_three.degrees_of_freedom, 1);
  EXPECT_NEAR(two_of_three.chi_square, 18.0 / 37, 1e-14);
}

TEST(ReportGamma, ChiSquareTailMatchesClosedForms) {
  for (double x : {0.01, 0.5, 1.0, 3.841458820694124, 10.0, 40.0, 120.0}) {
    const double y = x / 2;
    EXPECT_NEAR(chi_square_p_value(x, 1) / std::erfc(std::sqrt(y)), 1, 1e-12) << x;
    EXPECT_NEAR(chi_square_p_value(x, 2) / std::exp(-y), 1, 1e-12) << x;
    const double df3 = std::erfc(std::sqrt(y)) + 2 * std::sqrt(y / M_PI) * std::exp(-y);
    EXPECT_NEAR(chi_square_p_value(x, 3) / df3, 1, 1e-12) << x;
    EXPECT_NEAR(chi_square_p_value(x, 4) / (std::exp(-y) * (1 + y)), 1, 1e-12) << x;
    EXPECT_NEAR(regularized_gamma_p(2.5, y) + regularized_gamma_q(2.5, y), 1, 1e-14) << x;
  }
  EXPECT_NEAR(chi_square_p_value(3.841458820694124, 1), 0.05, 1e-12);  // the 5% critical values
  EXPECT_NEAR(chi_square_p_value(18.307038053275146, 10), 0.05, 1e-10);
  EXPECT_DOUBLE_EQ(chi_square_p_value(0, 3), 1);
  EXPECT_TRUE(std::isnan(chi_square_p_value(NAN, 1)));
  EXPECT_TRUE(std::isnan(chi_square_p_value(1, 0)));
}

// ---------------------------------------------------------------------------------------------
// Risk groups

TEST(ReportRiskGroups, EqualGroupsLowToHigh) {
  const std::vector<double> risk{0.5, 0.1, 0.9, 0.3, 0.7, 0.2};
  const std::vector<double> time{5, 9, 1, 4, 2, 8};
  const std::vector<int> event{1, 0, 1, 1, 1, 0};
  const RiskGroups rg = risk_group_curves(risk, time, event, 3);
  EXPECT_EQ(rg.group, (std::vector<int>{1, 0, 2, 1, 2, 0}));
  EXPECT_EQ(rg.risk_low, (std::vector<double>{0.1, 0.3, 0.7}));
  EXPECT_EQ(rg.risk_high, (std::vector<double>{0.2, 0.5, 0.9}));
  ASSERT_EQ(rg.curves.size(), 3u);
  // Group 2 (risks 0.9, 0.7): events at 1 and 2.
  EXPECT_EQ(rg.curves[2].time, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(rg.curves[2].survival, (std::vector<double>{1, 0.5, 0}));
  EXPECT_EQ(rg.curves[0].total_events, 0);
  const LogRank direct = log_rank_test(time, event, rg.group, 3);
  EXPECT_DOUBLE_EQ(rg.log_rank.chi_square, direct.chi_square);
  EXPECT_EQ(rg.log_rank.degrees_of_freedom, 2);
}

TEST(ReportRiskGroups, TiesStayTogetherWhateverTheOrder) {
  // Sorted ranks 0..5; the three 2s hold ranks 1-3, middle rank 2: group floor(2.5 * 2 / 6) = 0.
  std::vector<double> risk{2, 4, 2, 1, 3, 2};
  std::vector<double> time{1, 2, 3, 4, 5, 6};
  std::vector<int> event{1, 1, 1, 1, 1, 1};
  const RiskGroups rg = risk_group_curves(risk, time, event, 2);
  EXPECT_EQ(rg.group, (std::vector<int>{0, 1, 0, 0, 1, 0}));
  // Reversed input: every patient keeps its group.
  std::reverse(risk.begin(), risk.end());
  std::reverse(time.begin(), time.end());
  const RiskGroups reversed = risk_group_curves(risk, time, event, 2);
  std::vector<int> expected = rg.group;
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(reversed.group, expected);
}

TEST(ReportRiskGroups, BadInputIsNamed) {
  EXPECT_CONTAINS(user_error_of([] {
                    risk_group_curves({1, 2}, {1, 2}, {1, 1}, 1);
                  }),
                  "1 risk groups");
  EXPECT_CONTAINS(user_error_of([] {
                    risk_group_curves({1, NAN}, {1, 2}, {1, 1}, 2);
                  }),
                  "predicted risk 1");
}

// ---------------------------------------------------------------------------------------------
// metrics.jsonl

TEST(ReportMetricsLog, ColumnsNullsAndResumedEpochs) {
  // Epoch 2 appears twice: the run was resumed from the checkpoint of epoch 1.
  const std::string path =
      write_text("metrics-resumed.jsonl",
                 "{\"epoch\":1,\"train/loss\":0.9,\"val/auc\":null}\n"
                 "{\"epoch\":2,\"train/loss\":0.8,\"val/auc\":0.6}\n"
                 "\n"
                 "{\"epoch\":2,\"train/loss\":0.5,\"val/auc\":0.7,\"val/f1\":0.4}\n");
  const MetricsLog log = read_metrics_log(path);
  EXPECT_EQ(log.epoch, (std::vector<double>{1, 2}));
  EXPECT_EQ(log.values.at("train/loss"), (std::vector<double>{0.9, 0.5}));
  EXPECT_TRUE(std::isnan(log.values.at("val/auc")[0]));
  EXPECT_DOUBLE_EQ(log.values.at("val/auc")[1], 0.7);
  EXPECT_TRUE(std::isnan(log.values.at("val/f1")[0]));
  EXPECT_EQ(log.values.count("epoch"), 0u);
}

TEST(ReportMetricsLog, BadLinesAreNamedByFileAndLine) {
  const std::string broken = write_text("metrics-broken.jsonl",
                                        "{\"epoch\":1,\"train/loss\":0.9}\n"
                                        "{\"epoch\":2,\"train/loss\":0.8}\n"
                                        "{\"epoch\":3,\"train/lo\n");
  EXPECT_CONTAINS(user_error_of([&] { read_metrics_log(broken); }), broken + ":3:");
  const std::string array = write_text("metrics-array.jsonl", "{\"epoch\":1}\n[1, 2]\n");
  EXPECT_CONTAINS(user_error_of([&] { read_metrics_log(array); }), array + ":2: a JSON array");
  const std::string text = write_text("metrics-text.jsonl", "{\"epoch\":1,\"val/auc\":\"high\"}\n");
  const std::string message = user_error_of([&] { read_metrics_log(text); });
  EXPECT_CONTAINS(message, text + ":1:");
  EXPECT_CONTAINS(message, "\"val/auc\" is a JSON string");
  const std::string no_epoch = write_text("metrics-no-epoch.jsonl", "{\"step\":10}\n");
  EXPECT_CONTAINS(user_error_of([&] { read_metrics_log(no_epoch); }), no_epoch + ":1: no numeric");
  const std::string empty = write_text("metrics-empty.jsonl", "\n");
  EXPECT_CONTAINS(user_error_of([&] { read_metrics_log(empty); }), empty + " holds no epoch");
  EXPECT_CONTAINS(user_error_of([&] { read_metrics_log(tmp_dir() + "/absent.jsonl"); }),
                  "absent.jsonl");
  // Through plot_learning_curves as the reproduce command calls it.
  EXPECT_CONTAINS(user_error_of([&] { plot_learning_curves(broken, tmp_dir() + "/x.png", "x"); }),
                  broken + ":3:");
}

// ---------------------------------------------------------------------------------------------
// The pictures

TEST(ReportPlots, LearningCurvesLossAndValidationMetrics) {
  // train/loss constant at 0.5, the top of the loss axis; learning_rate is in [0, 1] but not a
  // validation metric, val/loss is a loss: the metrics chart has exactly val/accuracy, val/auc.
  std::string lines;
  for (int e = 1; e <= 5; ++e)
    lines += "{\"epoch\":" + std::to_string(e) +
             ",\"train/loss\":0.5,\"val/loss\":" + std::to_string(0.2 + 0.05 * (e - 1)) +
             ",\"val/accuracy\":0." + std::to_string(e + 4) +
             ",\"val/auc\":0.9,\"learning_rate\":0.001,\"time_s\":" + std::to_string(10 * e) +
             "}\n";
  const std::string log = write_text("metrics-ok.jsonl", lines);
  const std::string png = tmp_dir() + "/learning.png";
  std::filesystem::remove(tmp_dir() + "/learning-metrics.png");
  const auto written = plot_learning_curves(log, png, "WDBC MLP");
  ASSERT_EQ(written, (std::vector<std::string>{png, tmp_dir() + "/learning-metrics.png"}));

  const Image losses = decode(png);
  EXPECT_EQ(losses.width, kWideWidth);
  EXPECT_EQ(losses.height, kWideHeight);
  const PlotArea a = loss_chart(read_metrics_log(log), "WDBC MLP").layout(kWideWidth, kWideHeight);
  // Rows of the first series (train/loss, blue) mid-chart include the top grid row (0.5).
  const std::vector<int> grid = grid_rows(losses, a.left + 2);
  ASSERT_FALSE(grid.empty());
  const std::vector<int> blue = losses.rows_of(static_cast<int>(a.px(2.5)), palette_colour(0));
  ASSERT_FALSE(blue.empty());
  EXPECT_LE(std::abs(blue.front() - grid.front()), 1);
  EXPECT_EQ(blue.front(), row_of(a.py(0.5) - 0.5));
  EXPECT_GT(losses.count(palette_colour(1)), 100);  // val/loss
  EXPECT_EQ(losses.count(palette_colour(2)), 0);

  const Image metrics = decode(written[1]);
  EXPECT_EQ(metrics.width, kWideWidth);
  EXPECT_GT(metrics.count(palette_colour(0)), 100);  // val/accuracy
  EXPECT_GT(metrics.count(palette_colour(1)), 100);  // val/auc
  EXPECT_EQ(metrics.count(palette_colour(2)), 0);    // nothing else
}

TEST(ReportPlots, LearningCurvesWithoutValidationWriteOnePicture) {
  const std::string log =
      write_text("metrics-train-only.jsonl",
                 "{\"epoch\":1,\"train/loss\":0.7}\n{\"epoch\":2,\"train/loss\":0.6}\n");
  const auto written = plot_learning_curves(log, tmp_dir() + "/train-only.png", "t");
  EXPECT_EQ(written.size(), 1u);
  const std::string no_loss =
      write_text("metrics-no-loss.jsonl", "{\"epoch\":1,\"val/auc\":0.7}\n");
  EXPECT_CONTAINS(user_error_of([&] { plot_learning_curves(no_loss, tmp_dir() + "/n.png", "t"); }),
                  no_loss + " has no loss");
}

TEST(ReportPlots, RocOfAPerfectClassifierHugsTheTopLeft) {
  const std::vector<double> scores{0.9, 0.8, 0.7, 0.3, 0.2, 0.1};
  const std::vector<int> labels{1, 1, 1, 0, 0, 0};
  const std::string png = tmp_dir() + "/roc.png";
  plot_roc(scores, labels, png, "perfect");
  const Image img = decode(png);
  ASSERT_EQ(img.width, kSquareWidth);
  ASSERT_EQ(img.height, kSquareHeight);
  const PlotArea a = roc_chart(scores, labels, "perfect").layout(kSquareWidth, kSquareHeight);
  // Points (0, 0), (0, 1/3), (0, 2/3), (0, 1), then (1/3, 1) ... (1, 1).
  EXPECT_EQ(img.at(static_cast<int>(a.px(0.5)), row_of(a.py(1))), palette_colour(0));
  EXPECT_EQ(img.at(static_cast<int>(a.px(0)), row_of(a.py(0.5))), palette_colour(0));
  EXPECT_NE(img.at(static_cast<int>(a.px(0.5)), row_of(a.py(0.75))), palette_colour(0));
  EXPECT_CONTAINS(user_error_of([&] { plot_roc({0.1, NAN}, {0, 1}, png, "x"); }), png);
}

TEST(ReportPlots, RiskGroupsDrawOneSurvivalCurvePerGroup) {
  // Low risk: four patients censored at 10 (S stays 1). High risk: events at 2, 4, 6, 8.
  const std::vector<double> risk{0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9};
  const std::vector<double> time{10, 10, 10, 10, 2, 4, 6, 8};
  const std::vector<int> event{0, 0, 0, 0, 1, 1, 1, 1};
  const std::string png = tmp_dir() + "/km.png";
  plot_risk_groups(risk, time, event, 2, png, "risk groups", "months");
  const Image img = decode(png);
  ASSERT_EQ(img.width, kSurvivalWidth);
  ASSERT_EQ(img.height, kSurvivalHeight);
  const Chart chart = risk_group_chart(risk, time, event, 2, "risk groups", "months");
  const PlotArea a = chart.layout(kSurvivalWidth, kSurvivalHeight);
  EXPECT_DOUBLE_EQ(a.x_min, 0);
  EXPECT_EQ(img.at(static_cast<int>(a.px(9)), row_of(a.py(1))), palette_colour(0));
  EXPECT_EQ(img.at(static_cast<int>(a.px(3)), row_of(a.py(0.75))), palette_colour(1));
  EXPECT_NE(img.at(static_cast<int>(a.px(5)), row_of(a.py(0.75))), palette_colour(1));
  EXPECT_EQ(img.at(static_cast<int>(a.px(5)), row_of(a.py(0.5))), palette_colour(1));
  // The legend names the log-rank test; the number-at-risk table has one row per group.
  ASSERT_FALSE(chart.notes.empty());
  EXPECT_CONTAINS(chart.notes.back(), "log-rank chi2 = ");
  ASSERT_EQ(chart.table.size(), 2u);
  EXPECT_EQ(chart.table[0].value_at(0), "4");
  EXPECT_EQ(chart.table[1].value_at(5), "2");  // events at 6 and 8 still to come
  EXPECT_EQ(chart.table[1].value_at(9), "0");
}

TEST(ReportPlots, PredictedVersusActualPointsAndRSquared) {
  const std::vector<double> actual{1, 2, 3, 4, 5};
  const std::vector<double> predicted{1.5, 2, 2.5, 4, 5.5};
  const std::string png = tmp_dir() + "/pva.png";
  plot_predicted_vs_actual(predicted, actual, png, "regression");
  const Image img = decode(png);
  ASSERT_EQ(img.width, kSquareWidth);
  const Chart chart = predicted_vs_actual_chart(predicted, actual, "regression");
  const PlotArea a = chart.layout(kSquareWidth, kSquareHeight);
  EXPECT_DOUBLE_EQ(a.x_min, a.y_min);  // one range for both axes
  EXPECT_DOUBLE_EQ(a.x_max, a.y_max);
  EXPECT_EQ(img.at(static_cast<int>(a.px(3)), row_of(a.py(2.5))), palette_colour(0));
  EXPECT_NE(img.at(static_cast<int>(a.px(3)), row_of(a.py(3.5))), palette_colour(0));
  // SS_res = 0.25 + 0 + 0.25 + 0 + 0.25 = 0.75, SS_tot = 10: R^2 = 0.925.
  ASSERT_FALSE(chart.notes.empty());
  EXPECT_EQ(chart.notes.back(), "R^2 = 0.925");
  EXPECT_CONTAINS(user_error_of([&] {
                    plot_predicted_vs_actual({1, NAN}, {1, 2}, png, "x");
                  }),
                  "pva.png");
}

TEST(ReportPlots, FoldMetricWithPublishedValueAndTolerance) {
  const std::vector<double> folds{0.94, 0.97, 0.95, 0.98, 0.96};
  const std::string png = tmp_dir() + "/folds.png";
  plot_fold_metric(folds, 0.975, 0.01, "accuracy", png);
  const Image img = decode(png);
  ASSERT_EQ(img.width, kWideWidth);
  ASSERT_EQ(img.height, kWideHeight);
  const PlotArea a =
      fold_metric_chart(folds, 0.975, 0.01, "accuracy").layout(kWideWidth, kWideHeight);
  const int between = static_cast<int>(a.px(3.5));          // between folds 3 and 4: no point there
  EXPECT_EQ(img.at(between, row_of(a.py(0.975))), kBlack);  // published
  EXPECT_EQ(img.at(between, row_of(a.py(0.982))), (Rgb{214, 228, 243}));  // inside the band
  EXPECT_NE(img.at(between, row_of(a.py(0.99))), (Rgb{214, 228, 243}));   // outside it
  EXPECT_EQ(img.at(static_cast<int>(a.px(4)), row_of(a.py(0.98))), palette_colour(1));  // fold 4
  EXPECT_CONTAINS(user_error_of([&] { plot_fold_metric({}, 0.9, 0.01, "auc", png); }), "folds.png");
  EXPECT_CONTAINS(user_error_of([&] { plot_fold_metric({0.9}, 0.9, -1, "auc", png); }),
                  "tolerance -1");
}

}  // namespace
}  // namespace galien
