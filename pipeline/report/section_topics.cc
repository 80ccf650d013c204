// Sections 6, 7 and 8 of the report: topics, scaling across rank counts and
// the environment each folder was produced in.
#include <algorithm>

#include "pipeline/report/compute.h"
#include "pipeline/report/format.h"
#include "pipeline/report/sections.h"

namespace ntm {
namespace {

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < words.size(); ++i) text += (i ? separator : "") + words[i];
  return text;
}

ReportTable TopicTable(const TopicFigures& t) {
  ReportTable table =
      MakeTable({"Topic", "Top 10 terms", "NPMI", "Prevalence"}, {true, false, true, true});
  for (size_t k = 0; k < t.top_terms.size(); ++k) {
    table.rows.push_back(
        {std::to_string(k), Join(t.top_terms[k], ", "),
         k < t.npmi.size() ? FormatFixed(t.npmi[k], 3) : "\xE2\x80\x94",
         k < t.prevalence.size() ? FormatPercent(t.prevalence[k]) : "\xE2\x80\x94"});
  }
  return table;
}

ReportTable TopicSummary(const TopicFigures& t) {
  std::vector<std::vector<std::string>> rows = {
      {"Topics", FormatCount(static_cast<int64_t>(t.top_terms.size()))},
      {"Mean NPMI", t.mean_npmi ? FormatFixed(*t.mean_npmi, 3) : "\xE2\x80\x94"},
      {"Topic diversity (unique share of top-25 terms)",
       t.diversity ? FormatPercent(*t.diversity) : "\xE2\x80\x94"},
      {"Near-duplicate topic pairs (top-10 terms overlap by half or more)",
       t.duplicate_pairs ? FormatCount(*t.duplicate_pairs) : "\xE2\x80\x94"},
      {"Rare topics (prevalence below a tenth of 1/K)",
       t.rare_topics ? FormatCount(*t.rare_topics) : "\xE2\x80\x94"},
      {"Top terms from", t.top_terms_source},
      {"Prevalence from", t.prevalence_source.empty() ? "\xE2\x80\x94" : t.prevalence_source}};
  return FigureTable(std::move(rows));
}

void AddTopicNotes(const TopicFigures& t, const std::string& label, ReportSection& section) {
  if (t.npmi.empty()) {
    section.blocks.push_back(ReportNote{label +
                                        ": NPMI per topic is missing; `ntm score` writes it to "
                                        "quality.json (topics.npmi)."});
  }
  if (t.prevalence.empty()) {
    section.blocks.push_back(ReportNote{
        label +
        ": prevalence needs quality.json (topics.prevalence) or a theta-<method>.npy file."});
  }
}

void AddTopics(const TopicFigures& t, const std::string& label, bool with_heading,
               ReportSection& section) {
  if (with_heading) section.blocks.push_back(ReportHeading{label});
  section.blocks.push_back(TopicSummary(t));
  section.blocks.push_back(TopicTable(t));
  AddTopicNotes(t, label, section);
}

// Fills what `into` lacks from `from` (another folder scored with the same topics).
void MergeTopicFigures(const TopicFigures& from, TopicFigures& into) {
  if (into.npmi.empty()) into.npmi = from.npmi;
  if (!into.mean_npmi) into.mean_npmi = from.mean_npmi;
  if (!into.diversity) into.diversity = from.diversity;
  if (!into.duplicate_pairs) into.duplicate_pairs = from.duplicate_pairs;
  if (!into.rare_topics) into.rare_topics = from.rare_topics;
  if (into.prevalence.empty()) {
    into.prevalence = from.prevalence;
    into.prevalence_source = from.prevalence_source;
  }
}

// Topic sets to show: one per distinct set of top terms (folders scored with
// the same model share one table), then models no scores folder used.
std::vector<std::pair<std::string, TopicFigures>> TopicSets(const ReportData& data) {
  std::vector<std::pair<std::string, TopicFigures>> sets;
  for (const auto& run : data.scores) {
    if (run.topics.top_terms.empty()) continue;
    auto same = std::find_if(sets.begin(), sets.end(), [&](const auto& set) {
      return set.second.top_terms == run.topics.top_terms;
    });
    if (same == sets.end()) {
      sets.emplace_back(ScoresLabel(run), run.topics);
    } else {
      MergeTopicFigures(run.topics, same->second);
    }
  }
  for (const auto& model : data.models) {
    const bool shown = std::any_of(sets.begin(), sets.end(), [&](const auto& set) {
      return set.second.top_terms == model.top_terms;
    });
    if (model.top_terms.empty() || shown) continue;
    TopicFigures t;
    t.top_terms = model.top_terms;
    t.top_terms_source = "topics.npy + vocab.tsv of " + model.name;
    sets.emplace_back(model.name, std::move(t));
  }
  return sets;
}

std::vector<std::string> ScalingMethods(const std::vector<ScalingRow>& rows) {
  std::vector<std::string> methods;
  for (const auto& r : rows) methods.push_back(r.method);
  return OrderMethods(methods);
}

// Speedup against ranks per method, with the ideal (linear) speedup dashed.
ReportFigure ScalingFigure(const std::vector<ScalingRow>& rows) {
  LineChart chart{"Speedup over the fewest ranks", "ranks (P)", "speedup", {}};
  ChartSeries ideal{"ideal", {}, {}, "#999999", true};
  for (const auto& method : ScalingMethods(rows)) {
    ChartSeries series{method, {}, {}, MethodColor(method)};
    for (const auto& r : rows) {
      if (r.method != method) continue;
      series.x.push_back(r.ranks);
      series.y.push_back(r.speedup);
      if (ideal.x.empty() || ideal.x.back() < r.ranks) {
        ideal.x.push_back(r.ranks);
        ideal.y.push_back(static_cast<double>(r.ranks) / r.baseline_ranks);
      }
    }
    chart.series.push_back(std::move(series));
  }
  chart.series.push_back(std::move(ideal));
  return ReportFigure{chart, std::nullopt};
}

ReportTable ScalingTable(const std::vector<ScalingRow>& rows) {
  ReportTable table = MakeTable({"Method", "Run", "Ranks", "Documents/s", "Speedup", "Efficiency"},
                                {false, false, true, true, true, true});
  for (const auto& r : rows) {
    table.rows.push_back({r.method, r.label, std::to_string(r.ranks),
                          FormatAdaptive(r.documents_per_second), FormatRatio(r.speedup),
                          FormatPercent(r.efficiency)});
  }
  return table;
}

std::vector<const RunFolder*> AllFolders(const ReportData& data) {
  std::vector<const RunFolder*> folders;
  for (const auto& c : data.corpora) folders.push_back(&c);
  for (const auto& m : data.models) folders.push_back(&m);
  for (const auto& s : data.scores) folders.push_back(&s);
  return folders;
}

std::string OrDash(const std::string& s) { return s.empty() ? "\xE2\x80\x94" : s; }

std::vector<std::string> EnvironmentColumn(const RunInfo& i) {
  return {OrDash(i.stage),
          OrDash(i.ntm_version),
          OrDash(i.git_commit),
          i.ranks > 0 ? std::to_string(i.ranks) : "\xE2\x80\x94",
          i.cores > 0 ? std::to_string(i.cores) : "\xE2\x80\x94",
          OrDash(i.cpu),
          OrDash(i.host),
          OrDash(i.started_utc),
          i.wall_seconds ? FormatSeconds(*i.wall_seconds) : "\xE2\x80\x94",
          OrDash(i.config_checksum)};
}

ReportTable EnvironmentTable(const std::vector<const RunFolder*>& folders) {
  const std::vector<std::string> fields = {
      "Stage", "ntm version", "Git commit",    "Ranks",     "Cores",
      "CPU",   "Host",        "Started (UTC)", "Wall time", "Config checksum"};
  std::vector<std::string> header = {"Field"};
  for (const auto* f : folders) header.push_back(f->name);
  ReportTable table = MakeTable(header, {});
  for (size_t row = 0; row < fields.size(); ++row) table.rows.push_back({fields[row]});
  for (const auto* f : folders) {
    const auto column = EnvironmentColumn(f->info);
    for (size_t row = 0; row < fields.size(); ++row) table.rows[row].push_back(column[row]);
  }
  return table;
}

// Folders built with the same libraries share one column, headed by their names.
ReportTable LibraryTable(const std::vector<const RunFolder*>& folders) {
  using Libraries = std::vector<std::pair<std::string, std::string>>;
  std::vector<std::pair<std::vector<std::string>, Libraries>> columns;
  std::vector<std::string> names;
  for (const auto* f : folders) {
    Libraries libs = f->info.libraries;
    std::sort(libs.begin(), libs.end());
    for (const auto& [name, version] : libs) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    auto same = std::find_if(columns.begin(), columns.end(),
                             [&](const auto& column) { return column.second == libs; });
    if (same == columns.end()) {
      columns.push_back({{f->name}, std::move(libs)});
    } else {
      same->first.push_back(f->name);
    }
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> header = {"Library"};
  for (const auto& [folder_names, libs] : columns) {
    header.push_back(columns.size() == 1 && folders.size() > 1 ? "all folders"
                                                               : Join(folder_names, ", "));
  }
  ReportTable table = MakeTable(header, {});
  for (const auto& name : names) {
    std::vector<std::string> row = {name};
    for (const auto& [folder_names, libs] : columns) {
      const auto it =
          std::find_if(libs.begin(), libs.end(), [&](const auto& l) { return l.first == name; });
      row.push_back(it == libs.end() ? "\xE2\x80\x94" : it->second);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace

ReportSection TopicsSection(const ReportData& data) {
  ReportSection section{"topics", "Topics", {}};
  section.blocks.push_back(ReportText{
      "Each topic's most probable terms, as the words they stand for (\"-ly\": a word ending, "
      "\"registr-\": a word start). NPMI: coherence of the top 10 by document co-occurrence in "
      "the scored documents, from −1 to 1, higher is better. Diversity: unique share of all "
      "topics' top 25 (100 %: no term shared). Prevalence: mean θ over documents."});
  const auto sets = TopicSets(data);
  if (sets.empty()) {
    section.blocks.push_back(ReportNote{
        "No topic terms found. They come from quality.json (topics.top_terms) of a scores folder "
        "or "
        "from topics.npy and vocab.tsv of a model folder: add the MODEL_DIR written by `ntm train` "
        "to `ntm report`."});
  }
  for (const auto& [label, topics] : sets) AddTopics(topics, label, sets.size() > 1, section);
  return section;
}

ReportSection ScalingSection(const ReportData& data) {
  ReportSection section{"scaling", "Scaling across runs", {}};
  const auto rows = ComputeScaling(data);
  if (rows.empty()) {
    section.blocks.push_back(ReportNote{
        "Scaling needs scores folders from runs on different numbers of ranks, e.g. `mpirun -np 1 "
        "ntm score ... --out scores-p1` and `mpirun -np 2 ntm score ... --out scores-p2`, then "
        "`ntm report --out REPORT_DIR scores-p1 scores-p2`."});
    return section;
  }
  section.blocks.push_back(
      ReportText{"Speedup is documents/s over the same method's documents/s on the fewest ranks; "
                 "efficiency is "
                 "speedup divided by the rank ratio (100% is perfect scaling)."});
  section.blocks.push_back(ScalingFigure(rows));
  section.blocks.push_back(ScalingTable(rows));
  return section;
}

ReportSection EnvironmentSection(const ReportData& data) {
  ReportSection section{"environment", "Environment", {}};
  const auto folders = AllFolders(data);
  section.blocks.push_back(EnvironmentTable(folders));
  const ReportTable libraries = LibraryTable(folders);
  if (!libraries.rows.empty()) section.blocks.push_back(libraries);
  for (const auto* f : folders) {
    if (!f->info.present) {
      section.blocks.push_back(ReportNote{f->name + " has no run.json; folders written by this "
                                                    "version of ntm have one."});
    }
  }
  return section;
}

}  // namespace ntm
