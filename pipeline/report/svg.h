// Inline SVG charts for report.html: line charts, grouped horizontal bar charts
// (linear or log axis) and histograms. Each renders to one self-contained
// <svg> element (no scripts, no external fonts or images) that scales with
// the page; the title is left to the caller's <figcaption>.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ntm {

// How numbers beside bars are printed.
enum class ValueFormat { kAdaptive, kPercent, kRatio, kFixed3 };

// One line of a line chart; x and y have the same length.
struct ChartSeries {
  std::string label;
  std::vector<double> x;
  std::vector<double> y;
  std::string color;    // CSS color; empty: the palette's next color
  bool dashed = false;  // e.g. an "ideal" reference line
};

// y against x for one or more series.
struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
};

// Horizontal bars: one row per group, one bar per series within a row.
struct BarChart {
  std::string title;
  std::string value_label;                  // the axis title
  std::vector<std::string> series;          // legend entries (may be one)
  std::vector<std::string> series_colors;   // CSS color per series; empty: palette
  std::vector<std::string> group_colors;    // with one series: a color per row (e.g. per method)
  std::vector<std::string> groups;          // row labels
  std::vector<std::vector<double>> values;  // [group][series]; NaN: no bar
  bool log_scale = false;                   // decades; values must be > 0
  ValueFormat format = ValueFormat::kAdaptive;
};

// Counts over bins with vertical marker lines (mean, median).
struct HistogramChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<double> edges;  // counts.size() + 1, or counts.size() with open_last_bin
  std::vector<int64_t> counts;
  bool open_last_bin = false;  // the last bin has no upper edge (">= edges.back()")
  std::vector<std::pair<std::string, double>> markers;  // label, x position
};

// The chart as an <svg> element.
std::string RenderSvg(const LineChart& chart);
// The chart as an <svg> element.
std::string RenderSvg(const BarChart& chart);
// The chart as an <svg> element.
std::string RenderSvg(const HistogramChart& chart);

// The color a method is drawn in across every chart (colorblind-safe palette).
std::string MethodColor(const std::string& method);
// The i-th color of the palette.
std::string PaletteColor(size_t i);
// A value formatted as `format` says (used for bar labels and tables alike).
std::string FormatValue(double value, ValueFormat format);

}  // namespace ntm
