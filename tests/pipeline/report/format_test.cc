// Number, duration and text formatting of the report (report/format.h).
#include "pipeline/report/format.h"

#include <gtest/gtest.h>

namespace ntm {
namespace {

TEST(ReportFormatTest, Numbers) {
  EXPECT_EQ(FormatFixed(1234567.891, 2), "1,234,567.89");
  EXPECT_EQ(FormatFixed(-950.14, 1), "-950.1");
  EXPECT_EQ(FormatFixed(-0.0001, 2), "0.00");
  EXPECT_EQ(FormatCount(2480), "2,480");
  EXPECT_EQ(FormatAdaptive(124000), "124,000");
  EXPECT_EQ(FormatAdaptive(5.5), "5.50");
  EXPECT_EQ(FormatCompact(1000), "1,000");
  EXPECT_EQ(FormatCompact(0.5), "0.5");
  EXPECT_EQ(FormatRatio(1.9077), "1.91\xC3\x97");
  EXPECT_EQ(FormatPercent(0.834), "83.4%");
  EXPECT_EQ(FormatDurationOrDays(80.6), "0:01:21");
  EXPECT_EQ(FormatDurationOrDays(2e6), "23.1 days");
  EXPECT_EQ(DecodePiece("\xE2\x96\x81heart"), "heart");
  EXPECT_EQ(DecodePiece("\xE2\x96\x81"), "\xE2\x96\x81");
  EXPECT_EQ(EscapeHtml("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
  EXPECT_EQ(EscapeMarkdownCell("a|b*c"), "a\\|b\\*c");
}

}  // namespace
}  // namespace ntm
