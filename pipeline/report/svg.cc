#include "pipeline/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "pipeline/config/method_names.h"
#include "pipeline/report/compute.h"
#include "pipeline/report/format.h"

namespace ntm {
namespace {

constexpr double kWidth = 760;
constexpr double kFontSize = 12;
constexpr size_t kMaxLinePoints = 1500;  // longer series are thinned: the file stays small

// Okabe–Ito colors, distinguishable with the common color-vision deficiencies.
const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                "#CC79A7", "#56B4E9", "#8C6D1F", "#000000"};

// A coordinate with at most one decimal, so the markup stays short.
std::string Px(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  std::string s = buffer;
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

// One axis: the value range it shows and where its ticks go.
struct Axis {
  double lo = 0;
  double hi = 1;
  bool log = false;
  std::vector<double> ticks;
  double step = 1;                  // linear tick spacing (for tick label digits)
  std::vector<std::string> labels;  // when set, the label of each tick

  // `v` as a share of the axis length (0 at lo, 1 at hi).
  double Fraction(double v) const {
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
  }
};

// `min_step` 1 keeps ticks on whole numbers (ranks, epochs, counts).
Axis LinearAxis(double lo, double hi, int target_ticks, double min_step = 0) {
  if (!(hi > lo)) {
    const double pad = std::max(std::fabs(lo) * 0.1, 1.0);
    lo -= pad;
    hi += pad;
  }
  Axis axis;
  axis.step = std::max(NiceStep((hi - lo) / target_ticks), min_step);
  axis.lo = std::floor(lo / axis.step + 1e-9) * axis.step;
  axis.hi = std::ceil(hi / axis.step - 1e-9) * axis.step;
  for (double t = axis.lo; t <= axis.hi + axis.step * 1e-6; t += axis.step) {
    axis.ticks.push_back(std::fabs(t) < axis.step * 1e-9 ? 0.0 : t);
  }
  return axis;
}

Axis LogAxis(double lo, double hi) {
  Axis axis;
  axis.log = true;
  const double first = std::floor(std::log10(lo));
  const double last = std::max(std::ceil(std::log10(hi)), first + 1);
  axis.lo = std::pow(10.0, first);
  axis.hi = std::pow(10.0, last);
  for (double e = first; e <= last; ++e) axis.ticks.push_back(std::pow(10.0, e));
  return axis;
}

std::string TickLabel(const Axis& axis, double value) {
  if (!axis.labels.empty()) {
    const auto it = std::find(axis.ticks.begin(), axis.ticks.end(), value);
    return it == axis.ticks.end() ? "" : axis.labels[it - axis.ticks.begin()];
  }
  if (axis.log) return value >= 1 ? FormatFixed(value, 0) : FormatAdaptive(value);
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(axis.step) + 1e-9)));
  return FormatFixed(value, decimals);
}

std::string Text(double x, double y, const std::string& text, const std::string& anchor,
                 const std::string& extra = "") {
  return "<text x=\"" + Px(x) + "\" y=\"" + Px(y) + "\" text-anchor=\"" + anchor + "\"" + extra +
         ">" + EscapeHtml(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const std::string& cls) {
  return "<line class=\"" + cls + "\" x1=\"" + Px(x1) + "\" y1=\"" + Px(y1) + "\" x2=\"" + Px(x2) +
         "\" y2=\"" + Px(y2) + "\"/>";
}

std::string Rect(double x, double y, double w, double h, const std::string& fill) {
  return "<rect x=\"" + Px(x) + "\" y=\"" + Px(y) + "\" width=\"" + Px(std::max(w, 0.0)) +
         "\" height=\"" + Px(std::max(h, 0.0)) + "\" fill=\"" + fill + "\"/>";
}

std::string OpenSvg(double height, const std::string& label) {
  return "<svg class=\"chart\" viewBox=\"0 0 " + Px(kWidth) + " " + Px(height) +
         "\" role=\"img\" aria-label=\"" + EscapeHtml(label) + "\" font-size=\"" + Px(kFontSize) +
         "\">";
}

// Legend entries in a row from the right edge of the top margin.
std::string Legend(const std::vector<std::pair<std::string, std::string>>& entries, double right) {
  std::string svg;
  double x = right;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const double width = 7.0 * static_cast<double>(it->first.size()) + 26;
    x -= width;
    svg += Rect(x, 8, 12, 12, it->second);
    svg += Text(x + 16, 18, it->first, "start", " class=\"legend\"");
  }
  return svg;
}

// Plot area of a chart in SVG units.
struct Frame {
  double left, top, right, bottom;
  double X(const Axis& a, double v) const { return left + a.Fraction(v) * (right - left); }
  double Y(const Axis& a, double v) const { return bottom - a.Fraction(v) * (bottom - top); }
};

std::string VerticalAxisWithGrid(const Frame& f, const Axis& axis, const std::string& label) {
  std::string svg;
  for (double t : axis.ticks) {
    svg += Line(f.left, f.Y(axis, t), f.right, f.Y(axis, t), "grid");
    svg += Text(f.left - 6, f.Y(axis, t) + 4, TickLabel(axis, t), "end", " class=\"tick\"");
  }
  const double mid = (f.top + f.bottom) / 2;
  svg += Text(14, mid, label, "middle",
              " class=\"axis-label\" transform=\"rotate(-90 14 " + Px(mid) + ")\"");
  return svg;
}

std::string HorizontalAxisWithGrid(const Frame& f, const Axis& axis, const std::string& label,
                                   bool grid) {
  std::string svg = Line(f.left, f.bottom, f.right, f.bottom, "axis");
  for (double t : axis.ticks) {
    if (grid) svg += Line(f.X(axis, t), f.top, f.X(axis, t), f.bottom, "grid");
    svg += Line(f.X(axis, t), f.bottom, f.X(axis, t), f.bottom + 4, "axis");
    svg += Text(f.X(axis, t), f.bottom + 17, TickLabel(axis, t), "middle", " class=\"tick\"");
  }
  svg += Text((f.left + f.right) / 2, f.bottom + 34, label, "middle", " class=\"axis-label\"");
  return svg;
}

std::pair<double, double> Range(const std::vector<double>& values) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return {lo, hi};
}

std::string SeriesColor(const ChartSeries& s, size_t i) {
  return s.color.empty() ? PaletteColor(i) : s.color;
}

std::string Polyline(const Frame& f, const Axis& x, const Axis& y, const ChartSeries& s,
                     const std::string& color) {
  const size_t n = std::min(s.x.size(), s.y.size());
  const size_t stride = std::max<size_t>(1, (n + kMaxLinePoints - 1) / kMaxLinePoints);
  std::string points;
  for (size_t i = 0; i < n; i = (i + 1 < n && i + stride >= n) ? n - 1 : i + stride) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
    points += Px(f.X(x, s.x[i])) + "," + Px(f.Y(y, s.y[i])) + " ";
  }
  std::string svg = "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" +
                    (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"" + points + "\"/>";
  if (n > 40) return svg;
  for (size_t i = 0; i < n; ++i) {
    svg += "<circle cx=\"" + Px(f.X(x, s.x[i])) + "\" cy=\"" + Px(f.Y(y, s.y[i])) +
           "\" r=\"3\" fill=\"" + color + "\"/>";
  }
  return svg;
}

}  // namespace

std::string PaletteColor(size_t i) { return kPalette[i % std::size(kPalette)]; }

std::string MethodColor(const std::string& method) {
  // Each method's palette entry; any other name gets the fifth colour.
  static constexpr std::pair<const char*, size_t> kMethodPalette[] = {
      {kMethodAmortized, 0}, {kMethodRefined, 2}, {kMethodClassical, 1}, {kMethodLnVi, 3}};
  for (const auto& [name, index] : kMethodPalette) {
    if (method == name) return kPalette[index];
  }
  return kPalette[4];
}

std::string FormatValue(double value, ValueFormat format) {
  switch (format) {
    case ValueFormat::kPercent:
      return FormatPercent(value);
    case ValueFormat::kRatio:
      return FormatRatio(value);
    case ValueFormat::kFixed3:
      return FormatFixed(value, 3);
    case ValueFormat::kAdaptive:
      break;
  }
  return FormatAdaptive(value);
}

std::string RenderSvg(const LineChart& chart) {
  std::vector<double> xs, ys;
  for (const auto& s : chart.series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
  }
  const auto [x_lo, x_hi] = Range(xs);
  const auto [y_lo, y_hi] = Range(ys);
  const bool whole_x =
      std::all_of(xs.begin(), xs.end(), [](double v) { return v == std::floor(v); });
  const Axis x = LinearAxis(x_lo, x_hi, 8, whole_x ? 1 : 0);
  const Axis y = LinearAxis(y_lo, y_hi, 5);
  const double height = 300;
  const Frame f{72, 30, kWidth - 20, height - 46};
  std::string svg = OpenSvg(height, chart.title);
  svg += VerticalAxisWithGrid(f, y, chart.y_label);
  svg += HorizontalAxisWithGrid(f, x, chart.x_label, false);
  std::vector<std::pair<std::string, std::string>> legend;
  for (size_t i = 0; i < chart.series.size(); ++i) {
    svg += Polyline(f, x, y, chart.series[i], SeriesColor(chart.series[i], i));
    legend.emplace_back(chart.series[i].label, SeriesColor(chart.series[i], i));
  }
  return svg + Legend(legend, f.right) + "</svg>";
}

namespace {

double BarLabelWidth(const BarChart& chart) {
  size_t longest = 0;
  for (const auto& g : chart.groups) longest = std::max(longest, g.size());
  return std::clamp(6.6 * static_cast<double>(longest) + 16, 70.0, 320.0);
}

Axis BarAxis(const BarChart& chart) {
  std::vector<double> all;
  for (const auto& row : chart.values) all.insert(all.end(), row.begin(), row.end());
  auto [lo, hi] = Range(all);
  if (!std::isfinite(lo)) lo = hi = 1;
  if (chart.log_scale) return LogAxis(std::max(lo, 1e-12), std::max(hi, 1e-12));
  Axis axis = LinearAxis(std::min(lo, 0.0), std::max(hi, 0.0), 6);
  if (chart.format == ValueFormat::kPercent) {
    for (double t : axis.ticks) axis.labels.push_back(FormatCompact(t * 100) + "%");
  }
  return axis;
}

std::string BarColor(const BarChart& chart, size_t g, size_t s) {
  if (chart.series.size() == 1 && g < chart.group_colors.size()) return chart.group_colors[g];
  return s < chart.series_colors.size() ? chart.series_colors[s] : PaletteColor(s);
}

// The bars of one group, starting at vertical position `y`.
std::string BarRow(const BarChart& chart, size_t g, const Frame& f, const Axis& axis, double y) {
  constexpr double kBar = 16, kGap = 3;
  const double base = f.X(axis, axis.log ? axis.lo : std::clamp(0.0, axis.lo, axis.hi));
  const double row_height = chart.series.size() * (kBar + kGap);
  std::string svg =
      Text(f.left - 8, y + row_height / 2 + 2, chart.groups[g], "end", " class=\"bar-label\"");
  for (size_t s = 0; s < chart.series.size() && s < chart.values[g].size(); ++s) {
    const double v = chart.values[g][s];
    if (!std::isfinite(v) || (axis.log && v <= 0)) continue;
    const double end = f.X(axis, v);
    svg += Rect(std::min(base, end), y, std::fabs(end - base), kBar, BarColor(chart, g, s));
    svg += Text(std::max(base, end) + 4, y + kBar - 4, FormatValue(v, chart.format), "start",
                " class=\"value\"");
    y += kBar + kGap;
  }
  return svg;
}

}  // namespace

std::string RenderSvg(const BarChart& chart) {
  constexpr double kGroupGap = 12, kRow = 19;
  const double rows_height =
      static_cast<double>(chart.groups.size()) * (chart.series.size() * kRow + kGroupGap);
  const double height = 34 + rows_height + 46;
  const Frame f{BarLabelWidth(chart), 34, kWidth - 76, 34 + rows_height};
  const Axis axis = BarAxis(chart);
  std::string svg = OpenSvg(height, chart.title);
  svg += HorizontalAxisWithGrid(f, axis, chart.value_label, true);
  double y = f.top + kGroupGap / 2;
  for (size_t g = 0; g < chart.groups.size(); ++g) {
    svg += BarRow(chart, g, f, axis, y);
    y += chart.series.size() * kRow + kGroupGap;
  }
  if (!axis.log)
    svg += Line(f.X(axis, std::clamp(0.0, axis.lo, axis.hi)), f.top,
                f.X(axis, std::clamp(0.0, axis.lo, axis.hi)), f.bottom, "axis");
  std::vector<std::pair<std::string, std::string>> legend;
  for (size_t s = 0; s < chart.series.size(); ++s)
    legend.emplace_back(chart.series[s], BarColor(chart, 0, s));
  if (chart.series.size() > 1) svg += Legend(legend, f.right);
  return svg + "</svg>";
}

namespace {

// Dashed vertical lines, labelled on the side away from the other markers.
std::string Markers(const HistogramChart& chart, const Frame& f, const Axis& x,
                    const std::function<double(double)>& to_axis) {
  double lowest = std::numeric_limits<double>::infinity(), highest = -lowest;
  for (const auto& marker : chart.markers) {
    lowest = std::min(lowest, marker.second);
    highest = std::max(highest, marker.second);
  }
  std::string svg;
  for (size_t m = 0; m < chart.markers.size(); ++m) {
    const auto& [label, value] = chart.markers[m];
    if (!std::isfinite(value)) continue;
    const double mx = f.X(x, to_axis(value));
    // 11 px bold labels: about 6.5 px per character. A label that would reach
    // the y axis goes right of its line, one row lower.
    const bool fits_left = mx - 4 - 6.5 * static_cast<double>(label.size()) >= f.left;
    const bool distinct = lowest < highest;
    const bool is_lowest = distinct && value == lowest;
    const bool left = is_lowest && fits_left;
    const double row = distinct ? (is_lowest && !fits_left ? 1.0 : 0.0) : static_cast<double>(m);
    const double y = f.top + 12 + 14.0 * row;
    svg += Line(mx, f.top, mx, f.bottom, m == 0 ? "marker" : "marker alt");
    svg += Text(left ? mx - 4 : mx + 4, y, label, left ? "end" : "start",
                m == 0 ? " class=\"marker-label\"" : " class=\"marker-label alt\"");
  }
  return svg;
}

}  // namespace

namespace {

// True when every bin has the same width (then the x axis shows values).
bool UniformBins(const HistogramChart& chart) {
  if (chart.open_last_bin || chart.edges.size() < 2) return false;
  if (chart.edges.size() != chart.counts.size() + 1) return false;
  const double width = chart.edges[1] - chart.edges[0];
  for (size_t i = 1; i + 1 < chart.edges.size(); ++i) {
    if (std::fabs(chart.edges[i + 1] - chart.edges[i] - width) > 1e-6 * std::fabs(width))
      return false;
  }
  return true;
}

// Where `v` falls on an axis of bin indices (bin i spans [i, i + 1]).
double BinPosition(const HistogramChart& chart, double v) {
  const size_t bins = chart.counts.size();
  for (size_t i = 0; i < bins; ++i) {
    const bool open = i + 1 >= chart.edges.size();
    if (open) return static_cast<double>(i) + 0.5;
    if (v < chart.edges[i + 1]) {
      const double share = (v - chart.edges[i]) / (chart.edges[i + 1] - chart.edges[i]);
      return static_cast<double>(i) + std::clamp(share, 0.0, 1.0);
    }
  }
  return static_cast<double>(bins);
}

// Unequal bins (e.g. 0, 0.1, 0.2, 0.5, 1, 2, 5, …) drawn equally wide, edges labelled.
Axis BinIndexAxis(const HistogramChart& chart) {
  Axis axis;
  axis.lo = 0;
  axis.hi = static_cast<double>(std::max<size_t>(chart.counts.size(), 1));
  const size_t every = chart.counts.size() > 20 ? 2 : 1;
  for (size_t i = 0; i <= chart.counts.size(); i += every) {
    axis.ticks.push_back(static_cast<double>(i));
    axis.labels.push_back(i < chart.edges.size() ? FormatCompact(chart.edges[i]) : "");
  }
  return axis;
}

// The chart without empty bins at either end.
HistogramChart TrimEmptyBins(const HistogramChart& chart) {
  size_t first = 0, last = chart.counts.size();
  while (first < last && chart.counts[first] == 0) ++first;
  while (last > first && chart.counts[last - 1] == 0) --last;
  if (first == last) return chart;
  HistogramChart trimmed = chart;
  trimmed.counts.assign(chart.counts.begin() + first, chart.counts.begin() + last);
  const size_t edge_end = std::min(chart.edges.size(), last + 1);
  trimmed.edges.assign(chart.edges.begin() + first, chart.edges.begin() + edge_end);
  trimmed.open_last_bin = chart.open_last_bin && last == chart.counts.size();
  return trimmed;
}

}  // namespace

std::string RenderSvg(const HistogramChart& full_chart) {
  const bool uniform = UniformBins(full_chart);
  const HistogramChart chart = uniform ? full_chart : TrimEmptyBins(full_chart);
  const double height = 280;
  const Frame f{72, 30, kWidth - 20, height - 46};
  const auto [x_lo, x_hi] = Range(chart.edges);
  const Axis x = uniform ? LinearAxis(x_lo, x_hi, 8) : BinIndexAxis(chart);
  auto to_axis = [&](double v) { return uniform ? v : BinPosition(chart, v); };
  int64_t most = 1;
  for (int64_t c : chart.counts) most = std::max(most, c);
  const Axis y = LinearAxis(0, static_cast<double>(most), 5, 1);
  std::string svg = OpenSvg(height, chart.title);
  svg += VerticalAxisWithGrid(f, y, chart.y_label);
  for (size_t i = 0; i < chart.counts.size(); ++i) {
    const double left = f.X(x, uniform ? chart.edges[i] : static_cast<double>(i));
    const double right = f.X(x, uniform ? chart.edges[i + 1] : static_cast<double>(i + 1));
    if (chart.counts[i] == 0) continue;
    // A bin with a few documents beside one with hundreds stays visible.
    constexpr double kMinBarHeight = 2.0;
    const double top =
        std::min(f.Y(y, static_cast<double>(chart.counts[i])), f.bottom - kMinBarHeight);
    svg += Rect(left + 0.5, top, right - left - 1, f.bottom - top, PaletteColor(0));
  }
  const std::string x_label = uniform ? chart.x_label : chart.x_label + " (bins of unequal width)";
  svg += HorizontalAxisWithGrid(f, x, x_label, false);
  svg += Markers(chart, f, x, to_axis);
  return svg + "</svg>";
}

}  // namespace ntm
