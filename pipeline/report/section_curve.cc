// Part of section 5 of the report: refined's curve (what each step count
// closes of the gap, costs and scores) and the frontier of cost per document
// against completion perplexity and mean ELBO across every method.
#include <cmath>
#include <functional>

#include "pipeline/config/method_names.h"
#include "pipeline/report/format.h"
#include "pipeline/report/sections.h"

namespace ntm {
namespace {

constexpr double kMicroseconds = 1e6;
const char* const kDash = "\xE2\x80\x94";

std::string StepsLabel(const RefinementPoint& p) {
  return p.steps ? std::to_string(*p.steps) : std::string("final");
}

std::string Optional(const std::optional<double>& v, const std::function<std::string(double)>& f) {
  return v ? f(*v) : std::string(kDash);
}

ReportTable CurveTable(const ScoresRun& run) {
  ReportTable table = MakeTable({"Refinement steps", "Share of the gap closed", "µs per document",
                                 "Mean steps taken", "Completion perplexity", "Mean ELBO (nats)"},
                                {true, true, true, true, true, true});
  for (const RefinementPoint& p : run.refinement_curve) {
    table.rows.push_back(
        {StepsLabel(p), Optional(p.closed_share, FormatPercent),
         Optional(p.seconds_per_document,
                  [](double s) { return FormatAdaptive(s * kMicroseconds); }),
         Optional(p.mean_steps_taken, [](double s) { return FormatFixed(s, 2); }),
         Optional(p.completion_perplexity, [](double v) { return FormatFixed(v, 2); }),
         Optional(p.mean_elbo, [](double v) { return FormatFixed(v, 3); })});
  }
  return table;
}

// One point of the frontier: a method, or refined at one step count.
struct FrontierEntry {
  std::string label;
  std::string method;
  FrontierPoint point;
};

// amortized, refined at each step count and as configured, classical, ln-vi.
std::vector<FrontierEntry> FrontierEntries(const ScoresRun& run) {
  std::vector<FrontierEntry> entries;
  auto add_method = [&](const char* method) {
    const auto it = run.frontier.find(method);
    if (it != run.frontier.end()) entries.push_back({method, method, it->second});
  };
  add_method(kMethodAmortized);
  for (const RefinementPoint& p : run.refinement_curve) {
    entries.push_back({std::string(kMethodRefined) + " " + StepsLabel(p),
                       kMethodRefined,
                       {p.seconds_per_document, p.completion_perplexity, p.mean_elbo}});
  }
  add_method(kMethodClassical);
  add_method(kMethodLnVi);
  return entries;
}

ScatterChart FrontierChart(const std::vector<FrontierEntry>& entries, const std::string& title,
                           const std::string& y_label,
                           std::optional<double> FrontierPoint::*quality) {
  ScatterChart chart{title, "cost per document, µs (log scale)", y_label, {}, true, {}};
  for (const FrontierEntry& e : entries) {
    const std::optional<double>& y = e.point.*quality;
    const std::optional<double>& x = e.point.seconds_per_document;
    if (!x || !y) continue;
    if (e.method == kMethodAmortized || e.method == kMethodRefined) {
      chart.path.push_back(chart.points.size());  // the encoder output, then each step count
    }
    chart.points.push_back({e.label, *x * kMicroseconds, *y, MethodColor(e.method)});
  }
  return chart;
}

ReportTable FrontierTable(const std::vector<FrontierEntry>& entries) {
  ReportTable table =
      MakeTable({"Method", "µs per document", "Completion perplexity", "Mean ELBO (nats)"},
                {false, true, true, true});
  for (const FrontierEntry& e : entries) {
    const FrontierPoint& p = e.point;
    table.rows.push_back(
        {e.label,
         Optional(p.seconds_per_document,
                  [](double s) { return FormatAdaptive(s * kMicroseconds); }),
         Optional(p.completion_perplexity, [](double v) { return FormatFixed(v, 2); }),
         Optional(p.mean_elbo, [](double v) { return FormatFixed(v, 3); })});
  }
  return table;
}

}  // namespace

void AddRefinementCurve(const ScoresRun& run, ReportSection& section) {
  if (run.refinement_curve.empty()) return;  // an older quality.json: no curve, no chart
  const std::string label = ScoresLabel(run);
  section.blocks.push_back(ReportHeading{"Refinement curve and frontier, " + label});
  section.blocks.push_back(CurveTable(run));
  const std::vector<FrontierEntry> entries = FrontierEntries(run);
  ScatterChart perplexity = FrontierChart(
      entries, "Cost per document against completion perplexity, " + label,
      "completion perplexity (lower is better)", &FrontierPoint::completion_perplexity);
  if (!perplexity.points.empty()) {
    section.blocks.push_back(ReportFigure{std::move(perplexity), FrontierTable(entries)});
  }
  ScatterChart elbo =
      FrontierChart(entries, "Cost per document against mean ELBO, " + label,
                    "mean ELBO, nats (higher is better)", &FrontierPoint::mean_elbo);
  if (!elbo.points.empty()) section.blocks.push_back(ReportFigure{std::move(elbo), std::nullopt});
}

}  // namespace ntm
