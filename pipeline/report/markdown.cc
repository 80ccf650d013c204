#include <variant>

#include "pipeline/report/format.h"
#include "pipeline/report/render.h"

namespace ntm {
namespace {

// Paragraph text with < and > escaped outside `code` spans (so "<method>" is not taken for HTML).
std::string TextMarkdown(const std::string& text) {
  std::string md;
  bool in_code = false;
  for (char c : text) {
    if (c == '`') in_code = !in_code;
    if (!in_code && c == '<') {
      md += "&lt;";
    } else if (!in_code && c == '>') {
      md += "&gt;";
    } else {
      md += c;
    }
  }
  return md;
}

// Appends "| a | b |" and a line break.
void AppendRow(const std::vector<std::string>& cells, std::string& md) {
  md += '|';
  for (const auto& cell : cells) {
    md += ' ';
    md += EscapeMarkdownCell(cell);
    md += " |";
  }
  md += '\n';
}

std::string TableMarkdown(const ReportTable& table) {
  std::string md;
  AppendRow(table.header, md);
  md += '|';
  for (size_t c = 0; c < table.header.size(); ++c) md += table.numeric[c] ? " ---: |" : " :--- |";
  md += '\n';
  for (const auto& row : table.rows) AppendRow(row, md);
  md += '\n';
  return md;
}

std::string FigureMarkdown(const ReportFigure& figure) {
  std::string md = "*Chart: " + FigureTitle(figure) + " (drawn in report.html)*\n\n";
  if (figure.data_table) md += TableMarkdown(*figure.data_table);
  return md;
}

std::string BlockMarkdown(const ReportBlock& block) {
  if (const auto* h = std::get_if<ReportHeading>(&block))
    return "### " + TextMarkdown(h->text) + "\n\n";
  if (const auto* t = std::get_if<ReportText>(&block)) return TextMarkdown(t->text) + "\n\n";
  if (const auto* n = std::get_if<ReportNote>(&block))
    return "> **Note:** " + TextMarkdown(n->text) + "\n\n";
  if (const auto* t = std::get_if<ReportTable>(&block)) return TableMarkdown(*t);
  return FigureMarkdown(std::get<ReportFigure>(block));
}

}  // namespace

std::string RenderMarkdown(const ReportDocument& document) {
  std::string md = "# " + document.title + "\n\n" + document.generated + "\n\n";
  for (size_t i = 0; i < document.sections.size(); ++i) {
    md += std::to_string(i + 1) + ". " + document.sections[i].title + "\n";
  }
  md += "\n";
  for (size_t i = 0; i < document.sections.size(); ++i) {
    const ReportSection& section = document.sections[i];
    md += "## " + std::to_string(i + 1) + ". " + section.title + "\n\n";
    for (const auto& block : section.blocks) md += BlockMarkdown(block);
  }
  return md;
}

}  // namespace ntm
