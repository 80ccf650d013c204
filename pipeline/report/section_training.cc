// Sections 1 and 2 of the report: the corpus and the training run.
#include <algorithm>
#include <numeric>

#include "pipeline/report/format.h"
#include "pipeline/report/sections.h"

namespace ntm {
namespace {

constexpr size_t kMaxEpochRows = 30;  // longer runs show the epoch chart only

std::string Humanize(std::string reason) {
  std::replace(reason.begin(), reason.end(), '_', ' ');
  return reason;
}

std::string ShareOf(int64_t part, int64_t whole) {
  return whole > 0 ? FormatPercent(static_cast<double>(part) / static_cast<double>(whole)) : "n/a";
}

ReportTable CorpusCounts(const CorpusRun& c) {
  const double per_doc =
      c.documents_written > 0 ? static_cast<double>(c.tokens) / c.documents_written : 0.0;
  return FigureTable({{"Documents read", FormatCount(c.documents_read)},
                      {"Documents written", FormatCount(c.documents_written)},
                      {"Tokens", FormatCount(c.tokens)},
                      {"Tokens per document (mean)", FormatFixed(per_doc, 1)},
                      {"Vocabulary size", FormatCount(c.vocab_size)},
                      {"Input files", FormatCount(c.input_files)},
                      {"Input bytes", FormatCount(c.input_bytes)},
                      {"Shards", FormatCount(c.shards)}});
}

ReportTable RejectTable(const CorpusRun& c) {
  ReportTable table =
      MakeTable({"Outcome", "Reason", "Documents", "Share of read"}, {false, false, true, true});
  for (const auto& [reason, n] : c.rejected) {
    table.rows.push_back(
        {"rejected", Humanize(reason), FormatCount(n), ShareOf(n, c.documents_read)});
  }
  for (const auto& [cause, n] : c.malformed_by_cause) {
    if (n > 0) {
      table.rows.push_back({"rejected", "malformed: " + Humanize(cause), FormatCount(n),
                            ShareOf(n, c.documents_read)});
    }
  }
  for (const auto& [reason, n] : c.changed) {
    table.rows.push_back(
        {"changed", Humanize(reason), FormatCount(n), ShareOf(n, c.documents_read)});
  }
  return table;
}

ReportTable PruningTable(const CorpusRun& c) {
  ReportTable table = MakeTable({"Vocabulary pruning", "Terms"}, {false, true});
  for (const auto& [what, n] : c.vocabulary_pruning)
    table.rows.push_back({Humanize(what), FormatCount(n)});
  return table;
}

void AddCorpus(const CorpusRun& c, bool with_heading, ReportSection& section) {
  if (with_heading) section.blocks.push_back(ReportHeading{c.name});
  section.blocks.push_back(CorpusCounts(c));
  ReportTable rejects = RejectTable(c);
  if (rejects.rows.empty()) {
    section.blocks.push_back(ReportText{"manifest.json lists no rejected or changed documents."});
  } else {
    section.blocks.push_back(std::move(rejects));
  }
  if (!c.vocabulary_pruning.empty()) section.blocks.push_back(PruningTable(c));
}

ChartSeries Curve(const std::string& label, const std::vector<CurvePoint>& points,
                  const std::string& color) {
  ChartSeries series{label, {}, {}, color};
  for (const auto& p : points) {
    series.x.push_back(static_cast<double>(p.step));
    series.y.push_back(p.value);
  }
  return series;
}

ReportFigure ElboFigure(const ModelRun& m) {
  LineChart chart{"ELBO per token by training step (" + m.name + ")", "step", "ELBO per token", {}};
  if (!m.elbo_per_token.empty())
    chart.series.push_back(Curve("training", m.elbo_per_token, "#0072B2"));
  if (!m.validation_elbo_per_token.empty()) {
    chart.series.push_back(Curve("validation", m.validation_elbo_per_token, "#D55E00"));
  }
  return ReportFigure{chart, std::nullopt};
}

double MeanValue(const std::vector<CurvePoint>& points) {
  double total = 0;
  for (const auto& p : points) total += p.value;
  return points.empty() ? 0.0 : total / static_cast<double>(points.size());
}

std::vector<std::vector<std::string>> TrainingFigures(const ModelRun& m) {
  std::vector<std::vector<std::string>> rows;
  if (!m.elbo_per_token.empty()) {
    rows.push_back({"Last logged step", FormatCount(m.elbo_per_token.back().step)});
    rows.push_back(
        {"Final training ELBO per token", FormatFixed(m.elbo_per_token.back().value, 3)});
  }
  if (!m.validation_elbo_per_token.empty()) {
    const auto best =
        std::max_element(m.validation_elbo_per_token.begin(), m.validation_elbo_per_token.end(),
                         [](const auto& a, const auto& b) { return a.value < b.value; });
    rows.push_back({"Best validation ELBO per token", FormatFixed(best->value, 3)});
    rows.push_back({"Step of best validation ELBO", FormatCount(best->step)});
  }
  if (!m.documents_per_second.empty()) {
    rows.push_back({"Documents/s (mean over logged steps)",
                    FormatAdaptive(MeanValue(m.documents_per_second))});
  }
  return rows;
}

void AddEpochFigures(const ModelRun& m, std::vector<std::vector<std::string>>& rows) {
  if (m.epochs.empty()) return;
  double seconds = 0;
  int64_t documents = 0;
  for (const auto& e : m.epochs) {
    seconds += e.seconds;
    documents += e.documents;
  }
  rows.push_back({"Epochs", FormatCount(static_cast<int64_t>(m.epochs.size()))});
  if (!m.stop_reason.empty()) {
    rows.push_back(
        {"Training stopped", "after step " + FormatCount(m.stop_step) + ": " + m.stop_reason});
  }
  rows.push_back({"Time per epoch (mean)", FormatSeconds(seconds / m.epochs.size())});
  rows.push_back({"Training time (sum of epochs)",
                  seconds < 60 ? FormatSeconds(seconds) : FormatDurationOrDays(seconds)});
  if (seconds > 0)
    rows.push_back({"Documents/s (over all epochs)", FormatAdaptive(documents / seconds)});
}

ReportTable EpochTable(const ModelRun& m) {
  ReportTable table = MakeTable({"Epoch", "Step", "Seconds", "Documents", "Documents/s"},
                                {true, true, true, true, true});
  for (const auto& e : m.epochs) {
    table.rows.push_back({FormatCount(e.epoch), FormatCount(e.step), FormatAdaptive(e.seconds),
                          FormatCount(e.documents),
                          e.seconds > 0 ? FormatAdaptive(e.documents / e.seconds) : "n/a"});
  }
  return table;
}

ReportFigure EpochFigure(const ModelRun& m) {
  ChartSeries series{"seconds per epoch", {}, {}, "#009E73"};
  for (const auto& e : m.epochs) {
    series.x.push_back(static_cast<double>(e.epoch));
    series.y.push_back(e.seconds);
  }
  return ReportFigure{LineChart{"Time per epoch (" + m.name + ")", "epoch", "seconds", {series}},
                      std::nullopt};
}

// One model's curves and figures; `compared`: one of several, whose figures
// the side-by-side table above already shows.
void AddModel(const ModelRun& m, bool compared, ReportSection& section) {
  if (compared) section.blocks.push_back(ReportHeading{m.name});
  if (!m.has_train_log) {
    section.blocks.push_back(ReportNote{m.name +
                                        " has no train_log.jsonl: `ntm train` writes it "
                                        "beside model.bin; pass the folder that training wrote."});
    return;
  }
  if (!m.elbo_per_token.empty() || !m.validation_elbo_per_token.empty()) {
    section.blocks.push_back(ElboFigure(m));
  }
  if (!compared) {
    auto rows = TrainingFigures(m);
    AddEpochFigures(m, rows);
    section.blocks.push_back(FigureTable(std::move(rows)));
  }
  if (m.epochs.size() > 1) section.blocks.push_back(EpochFigure(m));
  if (!m.epochs.empty() && m.epochs.size() <= kMaxEpochRows)
    section.blocks.push_back(EpochTable(m));
}

// Each model's figures (TrainingFigures and AddEpochFigures), one column per
// model, rows by figure in the order they first appear.
ReportTable ModelFiguresSideBySide(const std::vector<ModelRun>& models) {
  std::vector<std::string> header = {"Figure"};
  std::vector<bool> numeric = {false};
  std::vector<std::vector<std::vector<std::string>>> columns;
  std::vector<std::string> labels;
  for (const auto& m : models) {
    header.push_back(m.name);
    numeric.push_back(true);
    auto rows = TrainingFigures(m);
    AddEpochFigures(m, rows);
    for (const auto& row : rows) {
      if (std::find(labels.begin(), labels.end(), row[0]) == labels.end()) labels.push_back(row[0]);
    }
    columns.push_back(std::move(rows));
  }
  ReportTable table = MakeTable(header, numeric);
  for (const auto& label : labels) {
    std::vector<std::string> row = {label};
    for (const auto& rows : columns) {
      const auto it =
          std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r[0] == label; });
      row.push_back(it == rows.end() ? "\xE2\x80\x94" : (*it)[1]);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

// Two or more models: their validation curves on one chart, their figures side by side.
void AddModelComparison(const std::vector<ModelRun>& models, ReportSection& section) {
  LineChart chart{
      "Validation ELBO per token by training step, all models", "step", "ELBO per token", {}};
  for (size_t i = 0; i < models.size(); ++i) {
    if (models[i].validation_elbo_per_token.empty()) continue;
    chart.series.push_back(
        Curve(models[i].name, models[i].validation_elbo_per_token, PaletteColor(i)));
  }
  section.blocks.push_back(ReportHeading{"All models"});
  if (chart.series.size() > 1) section.blocks.push_back(ReportFigure{chart, std::nullopt});
  section.blocks.push_back(ModelFiguresSideBySide(models));
}

}  // namespace

ReportSection CorpusSection(const ReportData& data) {
  ReportSection section{"corpus", "Corpus", {}};
  if (data.corpora.empty()) {
    section.blocks.push_back(ReportNote{
        "No corpus folder was given. Add the CORPUS_DIR written by `ntm tokenize` (the folder with "
        "manifest.json) to `ntm report` to see document, token and reject counts."});
  }
  for (const auto& c : data.corpora) AddCorpus(c, data.corpora.size() > 1, section);
  return section;
}

ReportSection TrainingSection(const ReportData& data) {
  ReportSection section{"training", "Training", {}};
  if (data.models.empty()) {
    section.blocks.push_back(ReportNote{
        "No model folder was given. Add the MODEL_DIR written by `ntm train` (the folder with "
        "model.bin and train_log.jsonl) to `ntm report` to see the training curves."});
  }
  if (data.models.size() > 1) AddModelComparison(data.models, section);
  for (const auto& m : data.models) AddModel(m, data.models.size() > 1, section);
  return section;
}

}  // namespace ntm
