#include <variant>

#include "pipeline/report/format.h"
#include "pipeline/report/render.h"

namespace ntm {
namespace {

// Nothing may be loaded from elsewhere: the page is opened from shared drives
// on machines without (or with monitored) network access.
constexpr char kHead[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";

constexpr char kStyle[] = R"(<style>
:root { --fg: #1d2430; --muted: #5b6472; --line: #d9dee6; --head: #f0f2f5; }
body { margin: 0; background: #eef0f3; color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 40px 64px; background: #fff; }
h1 { font-size: 28px; margin: 4px 0; }
h2 { font-size: 21px; margin: 40px 0 12px; padding-top: 16px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 26px 0 8px; }
p { margin: 8px 0 12px; max-width: 80ch; }
.meta { color: var(--muted); margin-top: 0; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 22px; }
nav a { color: #0b5c95; text-decoration: none; }
.table-wrap { overflow-x: auto; margin: 8px 0 20px; }
table { border-collapse: collapse; font-size: 14px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
  white-space: nowrap; }
td.wrap { white-space: normal; min-width: 28em; }
th { background: var(--head); font-weight: 600; white-space: normal; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) td { background: #fafbfc; }
.note { background: #fff6e0; border-left: 4px solid #E69F00; padding: 8px 14px; margin: 12px 0; max-width: 90ch; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em;
  background: var(--head); padding: 1px 4px; border-radius: 3px; }
figure { margin: 14px 0 26px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { width: 100%; max-width: 760px; height: auto; display: block; }
svg text { fill: #333; font-family: inherit; }
svg .tick, svg .legend { fill: #4a5260; }
svg .axis-label { fill: #333; font-weight: 600; }
svg .value { fill: #333; font-size: 11px; }
svg .grid { stroke: #e4e7ec; }
svg .axis { stroke: #6b7280; }
svg .marker { stroke: #D55E00; stroke-width: 2; stroke-dasharray: 5 3; }
svg .marker.alt { stroke: #222; }
svg .marker-label { font-size: 11px; font-weight: 600; fill: #B34700; }
svg .marker-label.alt { fill: #222; }
</style>
)";

// Escaped text with `command` spans shown as code.
std::string InlineHtml(const std::string& text) {
  std::string html;
  bool in_code = false;
  for (char c : EscapeHtml(text)) {
    if (c == '`') {
      html += in_code ? "</code>" : "<code>";
      in_code = !in_code;
    } else {
      html += c;
    }
  }
  return in_code ? html + "</code>" : html;
}

// Long text (topic terms) may wrap; everything else stays on one line.
std::string Cell(const std::string& tag, const std::string& text, bool numeric) {
  constexpr size_t kWrapChars = 48;
  const char* cls = numeric ? " class=\"num\"" : text.size() > kWrapChars ? " class=\"wrap\"" : "";
  return "<" + tag + cls + ">" + InlineHtml(text) + "</" + tag + ">";
}

std::string TableHtml(const ReportTable& table) {
  std::string html = "<div class=\"table-wrap\"><table>\n<thead><tr>";
  for (size_t c = 0; c < table.header.size(); ++c)
    html += Cell("th", table.header[c], table.numeric[c]);
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    html += "<tr>";
    for (size_t c = 0; c < row.size(); ++c) {
      html += Cell("td", row[c], c < table.numeric.size() && table.numeric[c]);
    }
    html += "</tr>\n";
  }
  return html + "</tbody></table></div>\n";
}

std::string FigureHtml(const ReportFigure& figure) {
  const std::string svg =
      std::visit([](const auto& chart) { return RenderSvg(chart); }, figure.chart);
  return "<figure>\n<figcaption>" + EscapeHtml(FigureTitle(figure)) + "</figcaption>\n" + svg +
         "\n</figure>\n";
}

std::string BlockHtml(const ReportBlock& block) {
  if (const auto* h = std::get_if<ReportHeading>(&block))
    return "<h3>" + InlineHtml(h->text) + "</h3>\n";
  if (const auto* t = std::get_if<ReportText>(&block))
    return "<p>" + InlineHtml(t->text) + "</p>\n";
  if (const auto* n = std::get_if<ReportNote>(&block)) {
    return "<p class=\"note\"><strong>Note:</strong> " + InlineHtml(n->text) + "</p>\n";
  }
  if (const auto* t = std::get_if<ReportTable>(&block)) return TableHtml(*t);
  return FigureHtml(std::get<ReportFigure>(block));
}

std::string Contents(const ReportDocument& document) {
  std::string html = "<nav aria-label=\"Sections\"><ol>\n";
  for (const auto& section : document.sections) {
    html += "<li><a href=\"#" + section.id + "\">" + EscapeHtml(section.title) + "</a></li>\n";
  }
  return html + "</ol></nav>\n";
}

}  // namespace

std::string RenderHtml(const ReportDocument& document) {
  std::string html = kHead;
  html +=
      "<title>" + EscapeHtml(document.title) + "</title>\n" + kStyle + "</head>\n<body>\n<main>\n";
  html += "<header>\n<h1>" + EscapeHtml(document.title) + "</h1>\n<p class=\"meta\">" +
          EscapeHtml(document.generated) + "</p>\n" + Contents(document) + "</header>\n";
  for (size_t i = 0; i < document.sections.size(); ++i) {
    const ReportSection& section = document.sections[i];
    html += "<section id=\"" + section.id + "\">\n<h2>" + std::to_string(i + 1) + ". " +
            EscapeHtml(section.title) + "</h2>\n";
    for (const auto& block : section.blocks) html += BlockHtml(block);
    html += "</section>\n";
  }
  return html + "</main>\n</body>\n</html>\n";
}

}  // namespace ntm
