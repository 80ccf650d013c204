#include "pipeline/report/json.h"

#include <optional>

#include "pipeline/report/compute.h"

namespace ntm {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
Json Optional(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json CountsJson(const std::vector<std::pair<std::string, int64_t>>& counts) {
  Json obj = Json::object();
  for (const auto& [reason, n] : counts) obj[reason] = n;
  return obj;
}

Json CorpusJson(const CorpusRun& c) {
  return {{"folder", c.name},
          {"documents", {{"read", c.documents_read}, {"written", c.documents_written}}},
          {"tokens", c.tokens},
          {"vocab_size", c.vocab_size},
          {"input_files", c.input_files},
          {"input_bytes", c.input_bytes},
          {"shards", c.shards},
          {"rejected", CountsJson(c.rejected)},
          {"changed", CountsJson(c.changed)},
          {"malformed_by_cause", CountsJson(c.malformed_by_cause)},
          {"vocabulary_pruning", CountsJson(c.vocabulary_pruning)}};
}

Json CurveJson(const std::vector<CurvePoint>& points) {
  Json curve = Json::array();
  for (const auto& p : points) curve.push_back({p.step, p.value});
  return curve;
}

Json TrainingJson(const ModelRun& m) {
  Json epochs = Json::array();
  for (const auto& e : m.epochs) {
    epochs.push_back(
        {{"epoch", e.epoch},
         {"step", e.step},
         {"seconds", e.seconds},
         {"documents", e.documents},
         {"documents_per_second", e.seconds > 0 ? Json(e.documents / e.seconds) : Json()}});
  }
  return {{"folder", m.name},
          {"has_train_log", m.has_train_log},
          {"elbo_per_token", CurveJson(m.elbo_per_token)},
          {"validation_elbo_per_token", CurveJson(m.validation_elbo_per_token)},
          {"documents_per_second", CurveJson(m.documents_per_second)},
          {"epochs", epochs}};
}

Json ThroughputJson(const ScoresRun& run) {
  Json methods = Json::object();
  for (const auto& [method, t] : run.timings) {
    methods[method] = {
        {"documents", t.documents},
        {"wall_seconds", t.wall_seconds},
        {"documents_per_second", t.documents_per_second},
        {"ranks", t.ranks > 0 ? t.ranks : run.ranks},
        {"documents_per_second_per_rank", PerRankDocumentsPerSecond(t, run.ranks)},
        {"per_rank_documents_per_second", t.per_rank_documents_per_second},
        {"projected_seconds_for_10m_documents", ProjectedSeconds(t.documents_per_second)}};
  }
  return methods;
}

Json QualityJson(const ScoresRun& run) {
  Json methods = Json::object();
  for (const auto& [method, q] : run.quality) {
    methods[method] = {{"completion_perplexity", Optional(q.completion_perplexity)},
                       {"completion_documents", Optional(q.completion_documents)},
                       {"mean_elbo", Optional(q.mean_elbo)},
                       {"mean_elbo_source", q.mean_elbo_source},
                       {"elbo_per_token", Optional(q.elbo_per_token)},
                       {"mean_l1_to_classical", Optional(q.mean_l1_to_classical)},
                       {"mean_l1_source", q.l1_source}};
  }
  return methods;
}

Json GapJson(const std::optional<GapFigures>& gap) {
  if (!gap) return nullptr;
  Json closed = Json::object();
  for (const auto& [steps, share] : gap->closed_share_by_steps)
    closed[std::to_string(steps)] = share;
  return {{"documents", gap->documents},
          {"mean_nats", gap->mean_nats},
          {"median_nats", gap->median_nats},
          {"mean_per_token", Optional(gap->mean_per_token)},
          {"histogram",
           {{"edges", gap->edges}, {"counts", gap->counts}, {"last_bin_open", gap->last_bin_open}}},
          {"above_last_edge", gap->above_last_edge},
          {"closed_share_by_steps", closed},
          {"source", gap->source}};
}

Json TopicsJson(const TopicFigures& t) {
  Json topics = Json::array();
  for (size_t k = 0; k < t.top_terms.size(); ++k) {
    topics.push_back({{"topic", k},
                      {"top_terms", t.top_terms[k]},
                      {"npmi", k < t.npmi.size() ? Json(t.npmi[k]) : Json()},
                      {"prevalence", k < t.prevalence.size() ? Json(t.prevalence[k]) : Json()}});
  }
  return {{"topics", topics},
          {"mean_npmi", Optional(t.mean_npmi)},
          {"diversity", Optional(t.diversity)},
          {"duplicate_topic_pairs", t.duplicate_pairs ? Json(*t.duplicate_pairs) : Json()},
          {"rare_topics", t.rare_topics ? Json(*t.rare_topics) : Json()},
          {"top_terms_source", t.top_terms_source},
          {"prevalence_source", t.prevalence_source}};
}

Json ScoresJson(const ScoresRun& run) {
  return {{"folder", run.name},
          {"label", ScoresLabel(run)},
          {"ranks", run.ranks},
          {"methods", run.methods},
          {"throughput", ThroughputJson(run)},
          {"speedup_amortized_over_classical", Optional(AmortizedSpeedup(run))},
          {"quality", QualityJson(run)},
          {"gap", GapJson(run.gap)},
          {"topics", TopicsJson(run.topics)}};
}

Json ScalingJson(const ReportData& data) {
  Json rows = Json::array();
  for (const auto& r : ComputeScaling(data)) {
    rows.push_back({{"method", r.method},
                    {"run", r.label},
                    {"ranks", r.ranks},
                    {"baseline_ranks", r.baseline_ranks},
                    {"documents_per_second", r.documents_per_second},
                    {"speedup", r.speedup},
                    {"efficiency", r.efficiency}});
  }
  return rows;
}

Json EnvironmentJson(const RunFolder& f) {
  const RunInfo& i = f.info;
  Json libraries = Json::object();
  for (const auto& [name, version] : i.libraries) libraries[name] = version;
  return {{"folder", f.name},
          {"has_run_json", i.present},
          {"stage", i.stage},
          {"ntm_version", i.ntm_version},
          {"git_commit", i.git_commit},
          {"ranks", i.ranks},
          {"cores", i.cores},
          {"cpu", i.cpu},
          {"host", i.host},
          {"started_utc", i.started_utc},
          {"wall_seconds", Optional(i.wall_seconds)},
          {"config_checksum", i.config_checksum},
          {"libraries", libraries}};
}

template <typename Run, typename Fn>
Json ArrayOf(const std::vector<Run>& runs, Fn fn) {
  Json array = Json::array();
  for (const auto& run : runs) array.push_back(fn(run));
  return array;
}

}  // namespace

nlohmann::ordered_json ReportToJson(const ReportData& data, const std::string& generated_utc,
                                    const std::vector<std::pair<std::string, std::string>>& notes) {
  Json environment = ArrayOf(data.corpora, EnvironmentJson);
  for (const auto& m : data.models) environment.push_back(EnvironmentJson(m));
  for (const auto& s : data.scores) environment.push_back(EnvironmentJson(s));
  Json note_list = Json::array();
  for (const auto& [section, text] : notes)
    note_list.push_back({{"section", section}, {"text", text}});
  return {{"format_version", kReportJsonVersion},
          {"generated_utc", generated_utc},
          {"projection_documents", kProjectionDocuments},
          {"corpora", ArrayOf(data.corpora, CorpusJson)},
          {"training", ArrayOf(data.models, TrainingJson)},
          {"scores", ArrayOf(data.scores, ScoresJson)},
          {"scaling", ScalingJson(data)},
          {"environment", environment},
          {"notes", note_list}};
}

}  // namespace ntm
