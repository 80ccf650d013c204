// The report as a renderer-neutral document: sections of headings, text,
// notes, tables and charts, with every figure already formatted. report.html
// and report.md render the same document, so they always show the same numbers.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "pipeline/report/data.h"
#include "pipeline/report/svg.h"

namespace ntm {

// A table of formatted cells.
struct ReportTable {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column: right-aligned figures
  std::vector<std::vector<std::string>> rows;
};

// A sub-heading inside a section (e.g. one scores folder).
struct ReportHeading {
  std::string text;
};

// A paragraph of plain text.
struct ReportText {
  std::string text;
};

// Something missing or worth a caveat, and how to get it.
struct ReportNote {
  std::string text;
};

// A chart with its title, and (for report.md) a table of its data when no
// other table of the section shows it.
struct ReportFigure {
  std::variant<LineChart, BarChart, HistogramChart> chart;
  std::optional<ReportTable> data_table;
};

// One element of a section.
using ReportBlock = std::variant<ReportHeading, ReportText, ReportNote, ReportTable, ReportFigure>;

// A numbered section of the report.
struct ReportSection {
  std::string id;  // anchor, e.g. "throughput"
  std::string title;
  std::vector<ReportBlock> blocks;
};

// The whole report.
struct ReportDocument {
  std::string title;
  std::string generated;  // "generated 2026-11-26T06:40:01Z by ntm 0.1.0"
  std::vector<ReportSection> sections;
};

// Builds the eight sections (corpus, training, throughput, quality, gap,
// topics, scaling, environment) from what was read.
ReportDocument BuildReportDocument(const ReportData& data, const std::string& generated);
// The title of a chart, whatever its kind.
std::string FigureTitle(const ReportFigure& figure);
// Every note of the document as (section id, text), for report.json.
std::vector<std::pair<std::string, std::string>> CollectNotes(const ReportDocument& document);

}  // namespace ntm
