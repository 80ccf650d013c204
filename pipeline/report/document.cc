#include "pipeline/report/document.h"

#include "pipeline/report/sections.h"

namespace ntm {

ReportTable FigureTable(std::vector<std::vector<std::string>> rows) {
  ReportTable table = MakeTable({"Figure", "Value"}, {false, true});
  table.rows = std::move(rows);
  return table;
}

ReportTable MakeTable(std::vector<std::string> header, std::vector<bool> numeric) {
  ReportTable table;
  table.header = std::move(header);
  table.numeric = std::move(numeric);
  table.numeric.resize(table.header.size(), false);
  return table;
}

ReportDocument BuildReportDocument(const ReportData& data, const std::string& generated) {
  ReportDocument document;
  document.title = "ntm run report";
  document.generated = generated;
  document.sections = {CorpusSection(data),  TrainingSection(data),   ThroughputSection(data),
                       QualitySection(data), GapSection(data),        TopicsSection(data),
                       ScalingSection(data), EnvironmentSection(data)};
  return document;
}

std::string FigureTitle(const ReportFigure& figure) {
  return std::visit([](const auto& chart) { return chart.title; }, figure.chart);
}

std::vector<std::pair<std::string, std::string>> CollectNotes(const ReportDocument& document) {
  std::vector<std::pair<std::string, std::string>> notes;
  for (const auto& section : document.sections) {
    for (const auto& block : section.blocks) {
      if (const auto* note = std::get_if<ReportNote>(&block))
        notes.emplace_back(section.id, note->text);
    }
  }
  return notes;
}

}  // namespace ntm
