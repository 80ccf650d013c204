// Section 5 of the report: the amortization gap ELBO(ln-vi) − ELBO(amortized)
// per document, and how much of it semi-amortized refinement closes.
#include <algorithm>
#include <cmath>

#include "pipeline/report/format.h"
#include "pipeline/report/sections.h"

namespace ntm {
namespace {

// "0.5 to 1.0", with as many decimals as the bin width needs.
std::string BinLabel(double lo, double hi) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(hi - lo) + 1e-9)));
  return FormatFixed(lo, decimals) + " to " + FormatFixed(hi, decimals);
}

ReportFigure GapHistogram(const GapFigures& gap, const std::string& label) {
  HistogramChart chart;
  chart.title = "Amortization gap per document, " + label;
  chart.x_label = "ELBO(ln-vi) \xE2\x88\x92 ELBO(amortized), nats";
  chart.y_label = "documents";
  chart.edges = gap.edges;
  chart.counts = gap.counts;
  chart.markers = {{"mean " + FormatFixed(gap.mean_nats, 2), gap.mean_nats},
                   {"median " + FormatFixed(gap.median_nats, 2), gap.median_nats}};
  chart.open_last_bin = gap.last_bin_open;
  ReportTable bins = MakeTable({"Gap (nats)", "Documents"}, {true, true});
  for (size_t i = 0; i < gap.counts.size(); ++i) {
    const bool open = i + 1 >= gap.edges.size();
    bins.rows.push_back({open ? "\xE2\x89\xA5 " + FormatCompact(gap.edges[i])
                              : BinLabel(gap.edges[i], gap.edges[i + 1]),
                         FormatCount(gap.counts[i])});
  }
  return ReportFigure{chart, bins};
}

ReportTable GapTable(const GapFigures& gap) {
  std::vector<std::vector<std::string>> rows = {
      {"Documents", FormatCount(gap.documents)},
      {"Mean gap (nats per document)", FormatFixed(gap.mean_nats, 3)},
      {"Median gap (nats per document)", FormatFixed(gap.median_nats, 3)}};
  rows.push_back({"Mean gap per token (nats)",
                  gap.mean_per_token ? FormatFixed(*gap.mean_per_token, 4) : "\xE2\x80\x94"});
  rows.push_back({"Computed from", gap.source});
  return FigureTable(std::move(rows));
}

ReportFigure ClosedShareFigure(const GapFigures& gap, const std::string& label) {
  BarChart chart;
  chart.title = "Share of the gap closed by refined, " + label;
  chart.value_label = "share of the amortization gap closed";
  chart.series = {"closed"};
  chart.series_colors = {"#009E73"};
  chart.format = ValueFormat::kPercent;
  ReportTable table = MakeTable({"Refinement steps", "Share of the gap closed"}, {true, true});
  for (const auto& [steps, share] : gap.closed_share_by_steps) {
    chart.groups.push_back(std::to_string(steps) + (steps == 1 ? " step" : " steps"));
    chart.values.push_back({share});
    table.rows.push_back({std::to_string(steps), FormatPercent(share)});
  }
  return ReportFigure{chart, table};
}

void AddGap(const ScoresRun& run, bool with_heading, ReportSection& section) {
  const std::string label = ScoresLabel(run);
  if (with_heading) section.blocks.push_back(ReportHeading{label});
  if (!run.gap) {
    section.blocks.push_back(ReportNote{
        label +
        ": no amortization gap, because ln-vi did not run (it needs elbo-ln-vi.npy and "
        "elbo-amortized.npy, or the gap in quality.json). Run `ntm score --methods "
        "amortized,refined,ln-vi ...`; ln-vi optimises every document to convergence and is slow, "
        "so a sample corpus of a few thousand notes is enough."});
    return;
  }
  const GapFigures& gap = *run.gap;
  section.blocks.push_back(GapTable(gap));
  if (!gap.counts.empty()) section.blocks.push_back(GapHistogram(gap, label));
  if (gap.above_last_edge > 0) {
    section.blocks.push_back(
        ReportText{FormatCount(gap.above_last_edge) +
                   " documents with a gap beyond the 99th percentile lie right "
                   "of the last bar (they are in the mean and median)."});
  }
  if (gap.closed_share_by_steps.empty()) {
    section.blocks.push_back(ReportNote{
        label +
        ": the share of the gap closed by refinement needs refined scores; add refined to "
        "`ntm score --methods` (quality.json then reports it after 1, 2, 5, 10 and 20 steps)."});
    return;
  }
  section.blocks.push_back(ClosedShareFigure(gap, label));
}

}  // namespace

ReportSection GapSection(const ReportData& data) {
  ReportSection section{"gap", "Amortization gap", {}};
  section.blocks.push_back(ReportText{
      "The gap of a document is ELBO(ln-vi) − ELBO(amortized) (Cremer et al. 2018): what the "
      "encoder's one-pass posterior loses against optimising that document's posterior to "
      "convergence. The share closed by refined after n steps is Σ (ELBO(refined after n) − "
      "ELBO(amortized)) / Σ gap, summed over all documents."});
  if (data.scores.empty()) {
    section.blocks.push_back(ReportNote{
        "No scores folder was given. Add a SCORES_DIR scored with amortized and ln-vi to see the "
        "amortization gap."});
  }
  for (const auto& run : data.scores) AddGap(run, data.scores.size() > 1, section);
  return section;
}

}  // namespace ntm
