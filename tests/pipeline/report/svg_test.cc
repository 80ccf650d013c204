// The SVG charts (report/svg.h).
#include "pipeline/report/svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace ntm {
namespace {

std::vector<double> RectHeights(const std::string& svg) {
  std::vector<double> heights;
  for (size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1)) {
    const size_t h = svg.find("height=\"", at);
    heights.push_back(std::stod(svg.substr(h + 8)));
  }
  return heights;
}

TEST(ReportSvgTest, HistogramBinWithFewDocumentsStaysVisible) {
  HistogramChart chart;
  chart.edges = {0, 10, 20, 30};
  chart.counts = {5000, 0, 1};
  const std::vector<double> heights = RectHeights(RenderSvg(chart));
  ASSERT_EQ(heights.size(), 2u);  // no bar for the empty bin
  EXPECT_GT(heights[0], 100.0);
  EXPECT_GE(heights[1], 2.0);  // 1/5000 of the plot would be 0.04 px
}

// The lower marker's label goes left of its line unless it would run into the
// y axis; then it goes right, one row lower than the other marker's.
TEST(ReportSvgTest, MarkerLabelsStayClearOfTheAxis) {
  HistogramChart chart;
  chart.edges = {0, 10, 20, 30, 40, 50, 60};
  chart.counts = {900, 500, 100, 20, 5, 1};
  chart.markers = {{"mean 7.08", 7.08}, {"median 4.28", 4.28}};
  std::string svg = RenderSvg(chart);
  const auto label = [&](const std::string& text) {
    const size_t end = svg.find(">" + text + "<");
    return svg.substr(svg.rfind("<text", end), end - svg.rfind("<text", end));
  };
  EXPECT_NE(label("median 4.28").find("text-anchor=\"start\""), std::string::npos);
  EXPECT_NE(label("median 4.28").find("y=\"56\""), std::string::npos);
  EXPECT_NE(label("mean 7.08").find("y=\"42\""), std::string::npos);
  chart.markers = {{"mean 37.1", 37.1}, {"median 24.3", 24.3}};  // room on the left
  svg = RenderSvg(chart);
  EXPECT_NE(label("median 24.3").find("text-anchor=\"end\""), std::string::npos);
  EXPECT_NE(label("median 24.3").find("y=\"42\""), std::string::npos);
}

// (x, y) of every <text> in `svg` whose content is `text`.
std::vector<std::pair<double, double>> TextPositions(const std::string& svg,
                                                     const std::string& text) {
  std::vector<std::pair<double, double>> at;
  for (size_t end = svg.find(">" + text + "<"); end != std::string::npos;
       end = svg.find(">" + text + "<", end + 1)) {
    const size_t start = svg.rfind("<text", end);
    const size_t x = svg.find(" x=\"", start), y = svg.find(" y=\"", start);
    at.emplace_back(std::stod(svg.substr(x + 4)), std::stod(svg.substr(y + 4)));
  }
  return at;
}

// Every point is drawn and labelled inside the chart, on a log x axis; two
// points at the same place (refined after 20 steps and as configured, when
// refine_steps is 20) get labels that do not sit on each other.
TEST(ReportSvgTest, ScatterLabelsEveryPointInsideTheChart) {
  ScatterChart chart{"frontier", "cost, µs (log scale)", "perplexity", {}, true, {0, 1, 2}};
  chart.points = {{"amortized", 12, 1500, ""},
                  {"refined 20", 480, 1420, ""},
                  {"refined final", 480, 1420, ""},
                  {"ln-vi", 52000, 1415, ""},
                  {"no cost", 0, 1400, ""}};  // not drawable on a log axis: left out
  const std::string svg = RenderSvg(chart);
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1))
    ++circles;
  EXPECT_EQ(circles, 4u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_TRUE(TextPositions(svg, "no cost").empty());
  for (const char* label : {"amortized", "refined 20", "refined final", "ln-vi"}) {
    const auto at = TextPositions(svg, label);
    ASSERT_EQ(at.size(), 1u) << label;
    EXPECT_GE(at[0].first, 0.0) << label;
    EXPECT_LE(at[0].first + 6.2 * std::string(label).size(), 760.0 + 1e-9) << label;
    EXPECT_GE(at[0].second, 10.0) << label;
    EXPECT_LE(at[0].second, 320.0) << label;
  }
  const auto a = TextPositions(svg, "refined 20")[0], b = TextPositions(svg, "refined final")[0];
  EXPECT_TRUE(a.second != b.second || std::abs(a.first - b.first) > 80) << "labels overlap";
  // Ticks are decades from 10 µs to 100,000 µs.
  EXPECT_FALSE(TextPositions(svg, "10").empty());
  EXPECT_FALSE(TextPositions(svg, "100,000").empty());
}

}  // namespace
}  // namespace ntm
