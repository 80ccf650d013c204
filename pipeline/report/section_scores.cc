// Sections 3, 4 and 5 of the report: throughput, quality and the amortization
// gap of each scores folder, side by side when several are given.
#include <algorithm>
#include <cmath>

#include "pipeline/config/method_names.h"
#include "pipeline/report/compute.h"
#include "pipeline/report/format.h"
#include "pipeline/report/sections.h"

namespace ntm {
namespace {

const char kNoScores[] =
    "No scores folder was given. Add the SCORES_DIR written by `ntm score` (the folder with "
    "timings.json) to `ntm report`.";

// "amortized" alone, or "amortized (P=2 · scores-p2)" when several folders are compared.
std::string RowLabel(const std::string& method, const ScoresRun& run, bool several) {
  return several ? method + " (" + ScoresLabel(run) + ")" : method;
}

std::string PerRankRange(const MethodTiming& t) {
  if (t.per_rank_documents_per_second.empty()) return "\xE2\x80\x94";
  const auto [lo, hi] = std::minmax_element(t.per_rank_documents_per_second.begin(),
                                            t.per_rank_documents_per_second.end());
  return FormatAdaptive(*lo) + " \xE2\x80\x93 " + FormatAdaptive(*hi);
}

ReportTable ThroughputTable(const ReportData& data) {
  ReportTable table = MakeTable({"Run", "Method", "Documents", "Wall time", "Documents/s", "Ranks",
                                 "Per rank (mean)", "Per-rank range", "10 M notes take"},
                                {false, false, true, true, true, true, true, true, true});
  for (const auto& run : data.scores) {
    for (const auto& method : run.methods) {
      const auto it = run.timings.find(method);
      if (it == run.timings.end()) continue;
      const MethodTiming& t = it->second;
      const int ranks = t.ranks > 0 ? t.ranks : run.ranks;
      table.rows.push_back(
          {ScoresLabel(run), method, FormatCount(t.documents), FormatSeconds(t.wall_seconds),
           FormatAdaptive(t.documents_per_second), ranks > 0 ? std::to_string(ranks) : "?",
           FormatAdaptive(PerRankDocumentsPerSecond(t, run.ranks)), PerRankRange(t),
           FormatDurationOrDays(ProjectedSeconds(t.documents_per_second))});
    }
  }
  return table;
}

ReportFigure ThroughputFigure(const ReportData& data) {
  BarChart chart;
  chart.title = "Documents per second by method (log scale)";
  chart.value_label = "documents/s (log scale)";
  chart.series = {"all ranks", "per rank (mean)"};
  chart.series_colors = {"#0072B2", "#56B4E9"};
  chart.log_scale = true;
  for (const auto& run : data.scores) {
    for (const auto& method : run.methods) {
      const auto it = run.timings.find(method);
      if (it == run.timings.end()) continue;
      chart.groups.push_back(RowLabel(method, run, data.scores.size() > 1));
      chart.values.push_back(
          {it->second.documents_per_second, PerRankDocumentsPerSecond(it->second, run.ranks)});
    }
  }
  return ReportFigure{chart, std::nullopt};
}

// "On P=2 · scores-p2, amortized scores 200× faster than classical; …".
std::string SpeedupSentence(const ScoresRun& run, double speedup) {
  const auto& a = run.timings.at(kMethodAmortized);
  const auto& c = run.timings.at(kMethodClassical);
  const std::string ranks = run.ranks > 0 ? std::to_string(run.ranks) : "the same number of";
  return ScoresLabel(run) + ": amortized inference scores " + FormatRatio(speedup) +
         " faster than classical VI. Scoring 10 million notes on " + ranks +
         " rank(s) would take " + FormatDurationOrDays(ProjectedSeconds(a.documents_per_second)) +
         " with amortized and " + FormatDurationOrDays(ProjectedSeconds(c.documents_per_second)) +
         " with classical.";
}

std::vector<std::string> SpeedupRow(const ScoresRun& run, double speedup) {
  const double amortized = run.timings.at(kMethodAmortized).documents_per_second;
  const double classical = run.timings.at(kMethodClassical).documents_per_second;
  return {ScoresLabel(run),
          FormatAdaptive(amortized),
          FormatAdaptive(classical),
          FormatRatio(speedup),
          FormatDurationOrDays(ProjectedSeconds(amortized)),
          FormatDurationOrDays(ProjectedSeconds(classical))};
}

// A table of speedups and one sentence about the folder with the most ranks.
void AddSpeedups(const ReportData& data, ReportSection& section) {
  ReportTable table = MakeTable(
      {"Run", "amortized documents/s", "classical documents/s",
       "Speedup of amortized over classical", "10 M notes, amortized", "10 M notes, classical"},
      {false, true, true, true, true, true});
  const ScoresRun* largest = nullptr;
  for (const auto& run : data.scores) {
    const auto speedup = AmortizedSpeedup(run);
    if (!speedup) {
      section.blocks.push_back(
          ReportNote{ScoresLabel(run) +
                     ": the speedup of amortized over classical needs both methods; run "
                     "`ntm score --methods amortized,classical ...`."});
      continue;
    }
    table.rows.push_back(SpeedupRow(run, *speedup));
    if (largest == nullptr || run.ranks > largest->ranks) largest = &run;
  }
  if (largest == nullptr) return;
  section.blocks.push_back(ReportText{SpeedupSentence(*largest, *AmortizedSpeedup(*largest))});
  section.blocks.push_back(std::move(table));
}

std::string WithSource(const std::string& value, const std::string& source) {
  return source.empty() || source == "quality.json" ? value : value + " *";
}

ReportTable QualityTable(const ReportData& data, bool& any_computed) {
  ReportTable table = MakeTable({"Run", "Method", "Completion perplexity", "Completion documents",
                                 "Mean ELBO (nats)", "ELBO per token", "Mean L1 of θ to classical"},
                                {false, false, true, true, true, true, true});
  for (const auto& run : data.scores) {
    for (const auto& method : run.methods) {
      const auto it = run.quality.find(method);
      if (it == run.quality.end()) continue;
      const MethodQuality& q = it->second;
      std::string l1 =
          method == kMethodClassical ? "0 (reference)" : FormatOptional(q.mean_l1_to_classical, 3);
      if (q.mean_l1_to_classical && method != kMethodClassical) l1 = WithSource(l1, q.l1_source);
      any_computed |= (!q.l1_source.empty() && q.l1_source != "quality.json") ||
                      (!q.mean_elbo_source.empty() && q.mean_elbo_source != "quality.json");
      table.rows.push_back(
          {ScoresLabel(run), method, FormatOptional(q.completion_perplexity, 1),
           q.completion_documents ? FormatCount(*q.completion_documents) : "\xE2\x80\x94",
           WithSource(FormatOptional(q.mean_elbo, 1), q.mean_elbo_source),
           FormatOptional(q.elbo_per_token, 3), l1});
    }
  }
  return table;
}

ReportFigure PerplexityFigure(const ReportData& data) {
  BarChart chart;
  chart.title = "Document-completion perplexity by method (lower is better)";
  chart.value_label = "perplexity";
  chart.series = {"perplexity"};
  for (const auto& run : data.scores) {
    for (const auto& method : run.methods) {
      const auto it = run.quality.find(method);
      if (it == run.quality.end() || !it->second.completion_perplexity) continue;
      chart.groups.push_back(RowLabel(method, run, data.scores.size() > 1));
      chart.group_colors.push_back(MethodColor(method));
      chart.values.push_back({*it->second.completion_perplexity});
    }
  }
  return ReportFigure{chart, std::nullopt};
}

void AddQualityNotes(const ReportData& data, ReportSection& section) {
  for (const auto& run : data.scores) {
    if (!run.has_quality_json) {
      section.blocks.push_back(ReportNote{
          ScoresLabel(run) +
          " has no quality.json (written by `ntm score`): perplexity and ELBO per "
          "token are missing; the mean ELBO and L1 shown are computed from the .npy files."});
    }
    if (!run.timings.contains(kMethodClassical) && !run.quality.contains(kMethodClassical)) {
      section.blocks.push_back(
          ReportNote{ScoresLabel(run) +
                     ": the L1 distance of θ to classical needs classical scores; add "
                     "classical to `ntm score --methods`."});
    }
  }
}

}  // namespace

ReportSection ThroughputSection(const ReportData& data) {
  ReportSection section{"throughput", "Throughput of each inference method", {}};
  if (data.scores.empty()) {
    section.blocks.push_back(ReportNote{kNoScores});
    return section;
  }
  section.blocks.push_back(ReportText{
      "Documents scored per second of wall time, over all ranks and per rank. \"10 M notes "
      "take\" is 10,000,000 divided by the all-rank rate: the same ranks, the same kind of "
      "notes."});
  section.blocks.push_back(ThroughputFigure(data));
  section.blocks.push_back(ThroughputTable(data));
  AddSpeedups(data, section);
  return section;
}

ReportSection QualitySection(const ReportData& data) {
  ReportSection section{"quality", "Quality of each inference method", {}};
  if (data.scores.empty()) {
    section.blocks.push_back(ReportNote{kNoScores});
    return section;
  }
  section.blocks.push_back(ReportText{
      "Document-completion perplexity: each method infers θ from half of the tokens of held-out "
      "documents (score.heldout_fraction of them) and the other half is scored with Σ_k θ_k "
      "β_kw; lower is better, and it compares methods of different families. Mean ELBO: nats "
      "per document, higher is better. Mean L1 of θ to classical: Σ|θ − θ_classical| averaged "
      "over documents (0 to 2)."});
  bool any_computed = false;
  ReportTable table = QualityTable(data, any_computed);
  ReportFigure perplexity = PerplexityFigure(data);
  if (!std::get<BarChart>(perplexity.chart).groups.empty()) section.blocks.push_back(perplexity);
  section.blocks.push_back(std::move(table));
  if (any_computed) {
    section.blocks.push_back(
        ReportText{"* computed by the report from theta-<method>.npy (mean over documents of Σ|θ − "
                   "θ_classical|) "
                   "or elbo-<method>.npy, because quality.json does not give it."});
  }
  AddQualityNotes(data, section);
  return section;
}

}  // namespace ntm
