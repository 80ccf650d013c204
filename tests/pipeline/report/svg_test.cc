// The SVG charts (report/svg.h).
#include "pipeline/report/svg.h"

#include <gtest/gtest.h>

#include <string>
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
}  // namespace
}  // namespace ntm
