#include "pipeline/score/quality.h"

#include <algorithm>
#include <cmath>

#include "pipeline/config/libvi_options.h"
#include "pipeline/config/method_names.h"
#include "pipeline/corpus/completion_split.h"
#include "pipeline/io/gap_reference.h"
#include "pipeline/io/model_file.h"

namespace ntm {
namespace {

// Upper edges of the gap histogram, nats per document.
const std::vector<double> kGapEdges = {0,  0.1, 0.2, 0.5, 1,   2,    5,    10,
                                       20, 50,  100, 200, 500, 1000, 1e300};

int32_t NumTopics(const Model& m) { return m.options().num_topics; }

// Each topic's terms, by term id, as the strings `names` holds for them.
std::vector<std::vector<std::string>> TermsOfTopics(const std::vector<std::vector<int32_t>>& topics,
                                                    const std::vector<std::string>& names) {
  std::vector<std::vector<std::string>> out;
  for (const auto& topic : topics) {
    out.emplace_back();
    for (int32_t t : topic) out.back().push_back(names[t]);
  }
  return out;
}

}  // namespace

QualityAccumulator::QualityAccumulator(const ScoringMethods& methods, const Model& model,
                                       const Config& config)
    : methods_(methods), model_(model), config_(config), sums_(methods.size()) {
  const std::vector<float> topics = TopicDistributions(model);
  const TopicsView view{NumTopics(model), model.options().vocab_size, topics};
  top_terms_ = TopTerms(view, std::min(10, model.options().vocab_size));
  const int32_t n = top_terms_.empty() ? 0 : static_cast<int32_t>(top_terms_[0].size());
  cooccurrence_.num_topics = NumTopics(model);
  cooccurrence_.terms_per_topic = n;
  cooccurrence_.values.assign(1 + static_cast<size_t>(NumTopics(model)) * (n + n * (n - 1) / 2), 0);
  prevalence_.assign(NumTopics(model), 0.0);
  // Sized here, identically on every rank, because they are all-reduced.
  if (methods.Find(kMethodRefined) >= 0 && methods.Find(kMethodAmortized) >= 0) {
    record_steps_ = RefineOptionsFrom(config).record_steps;
    closed_by_steps_.assign(record_steps_.size(), 0.0);
  }
}

void QualityAccumulator::AddChunk(const BowView& docs, const std::vector<MethodResult>& results) {
  const int32_t k = NumTopics(model_);
  const int classical = methods_.Find(kMethodClassical);
  for (size_t m = 0; m < results.size(); ++m) {
    for (double e : results[m].elbo) sums_[m].elbo += e;
    sums_[m].docs += static_cast<double>(docs.num_docs());
    if (classical < 0) continue;
    const auto& a = results[m].theta;
    const auto& c = results[classical].theta;
    for (size_t i = 0; i < a.size(); ++i) sums_[m].l1_to_classical += std::fabs(a[i] - c[i]);
  }
  for (uint32_t c : docs.counts) tokens_ += c;
  docs_ += static_cast<double>(docs.num_docs());
  for (size_t d = 0; d < static_cast<size_t>(docs.num_docs()); ++d) {
    for (int32_t t = 0; t < k; ++t) prevalence_[t] += results[0].theta[d * k + t];
  }
  const CoOccurrenceCounts counts = CountTopTermCoOccurrence(top_terms_, docs);
  for (size_t i = 0; i < counts.values.size(); ++i) cooccurrence_.values[i] += counts.values[i];
  AddGap(results);
  if (methods_.Find(kMethodAmortized) >= 0 && methods_.Find(kMethodLnVi) >= 0) {
    gap_keys_.insert(gap_keys_.end(), docs.keys.begin(), docs.keys.end());
  }
  AddCompletion(docs);
}

void QualityAccumulator::AddGap(const std::vector<MethodResult>& results) {
  const int amortized = methods_.Find(kMethodAmortized), lnvi = methods_.Find(kMethodLnVi);
  const int refined = methods_.Find(kMethodRefined);
  if (amortized < 0) return;
  const auto& base = results[amortized].elbo;
  if (lnvi >= 0) {
    for (size_t d = 0; d < base.size(); ++d) gaps_.push_back(results[lnvi].elbo[d] - base[d]);
  }
  if (refined < 0) return;
  const MethodResult& r = results[refined];
  for (size_t d = 0; d < base.size(); ++d) {
    for (size_t s = 0; s < record_steps_.size(); ++s) {
      closed_by_steps_[s] += r.elbo_at_steps[d * record_steps_.size() + s] - base[d];
    }
  }
}

// Document completion on the held-out share of the chunk (chosen by id hash).
void QualityAccumulator::AddCompletion(const BowView& docs) {
  if (methods_.topics().empty() || config_.score.heldout_fraction <= 0) return;
  const BowMatrix held_out =
      SelectCompletionDocuments(docs, config_.score.heldout_fraction, config_.score.seed);
  if (held_out.num_docs() == 0) return;
  const TopicsView topics{NumTopics(model_), model_.options().vocab_size, methods_.topics()};
  for (size_t m = 0; m < methods_.size(); ++m) {
    auto infer = [&](const BowView& first, std::span<float> theta_out) {
      const MethodResult r = methods_.Run(m, first);
      std::copy(r.theta.begin(), r.theta.end(), theta_out.begin());
    };
    const CompletionPerplexity p =
        DocumentCompletionPerplexity(held_out.view(), topics, infer, config_.score.seed);
    sums_[m].completion_log_likelihood += p.total_log_likelihood;
    sums_[m].completion_tokens += static_cast<double>(p.total_tokens);
    sums_[m].completion_docs += static_cast<double>(held_out.num_docs());
  }
}

namespace {

std::vector<double> GatherGaps(Communicator& comm, const std::vector<double>& local) {
  const auto* bytes = reinterpret_cast<const char*>(local.data());
  std::vector<double> all;
  for (const auto& part : comm.AllGather(std::span(bytes, local.size() * sizeof(double)))) {
    const auto* values = reinterpret_cast<const double*>(part.data());
    all.insert(all.end(), values, values + part.size() / sizeof(double));
  }
  return all;
}

nlohmann::json GapJson(std::vector<double> gaps, double tokens, const std::vector<int32_t>& steps,
                       const std::vector<double>& closed) {
  nlohmann::json gap = {{"documents", gaps.size()}};
  if (gaps.empty()) return gap;
  double sum = 0;
  for (double g : gaps) sum += g;
  std::vector<int64_t> counts(kGapEdges.size() - 1, 0);
  for (double g : gaps) {
    const auto it = std::upper_bound(kGapEdges.begin() + 1, kGapEdges.end() - 1, g);
    ++counts[static_cast<size_t>(it - kGapEdges.begin()) - 1];
  }
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  gap["mean_nats"] = sum / static_cast<double>(gaps.size());
  gap["median_nats"] = gaps[gaps.size() / 2];
  gap["min_nats"] = *std::min_element(gaps.begin(), gaps.end());
  gap["mean_per_token"] = tokens > 0 ? sum / tokens : 0.0;
  std::vector<double> edges(kGapEdges.begin(), kGapEdges.end() - 1);
  gap["histogram"] = {{"edges", edges}, {"counts", counts}, {"last_bin_open", true}};
  nlohmann::json shares = nlohmann::json::object();
  for (size_t s = 0; s < steps.size() && s < closed.size(); ++s) {
    shares[std::to_string(steps[s])] = sum > 0 ? closed[s] / sum : 0.0;
  }
  if (!shares.empty()) gap["closed_share_by_steps"] = shares;
  return gap;
}

}  // namespace

// Each topic's first ten distinct readable words, from its top pieces.
std::vector<std::vector<std::string>> QualityAccumulator::TopWords(
    const std::vector<float>& beta, const std::vector<std::string>& words) const {
  constexpr int32_t kWords = 10;
  const int32_t v = model_.options().vocab_size;
  std::vector<std::vector<std::string>> top;
  for (const auto& topic : TopTerms(TopicsView{NumTopics(model_), v, beta},
                                    std::min(ReadableWordCandidates(kWords), v))) {
    top.push_back(DistinctTermNames(topic, words, kWords));
  }
  return top;
}

nlohmann::json QualityAccumulator::Finish(Communicator& comm, const VocabFile& vocab) {
  std::vector<double> flat = {docs_, tokens_};
  for (const auto& s : sums_) {
    flat.insert(flat.end(), {s.elbo, s.docs, s.l1_to_classical, s.completion_log_likelihood,
                             s.completion_tokens, s.completion_docs});
  }
  flat.insert(flat.end(), prevalence_.begin(), prevalence_.end());
  flat.insert(flat.end(), closed_by_steps_.begin(), closed_by_steps_.end());
  comm.AllReduceSum(flat);
  comm.AllReduceSum(cooccurrence_.values);
  const std::vector<double> gaps = GatherGaps(comm, gaps_);
  const nlohmann::json gap_by_split =
      split_fraction_ < 0
          ? nlohmann::json()
          : GapByTrainingSplit(comm, gaps_, gap_keys_, split_fraction_, split_seed_);
  const double docs = flat[0], tokens = flat[1];
  nlohmann::json methods = nlohmann::json::object();
  const int classical = methods_.Find(kMethodClassical);
  for (size_t m = 0; m < sums_.size(); ++m) {
    const double* s = flat.data() + 2 + 6 * m;
    nlohmann::json j = {{"mean_elbo", s[0] / std::max(1.0, s[1])},
                        {"elbo_per_token", tokens > 0 ? s[0] / tokens : 0.0}};
    if (classical >= 0) j["mean_l1_to_classical"] = s[2] / std::max(1.0, s[1]);
    if (s[4] > 0) {
      j["completion_perplexity"] = std::exp(-s[3] / s[4]);
      j["completion_documents"] = static_cast<int64_t>(s[5]);
      j["completion_tokens"] = static_cast<int64_t>(s[4]);
    }
    methods[methods_.name(m)] = j;
  }
  const double* prevalence = flat.data() + 2 + 6 * sums_.size();
  const double* closed = prevalence + prevalence_.size();
  nlohmann::json topics;
  const auto terms = TermsOfTopics(top_terms_, vocab.pieces);
  const std::vector<double> npmi = TopicNpmi(cooccurrence_);
  double npmi_sum = 0;
  for (double v : npmi) npmi_sum += v;
  std::vector<double> prev(prevalence, prevalence + prevalence_.size());
  for (double& p : prev) p /= std::max(1.0, docs);
  const std::vector<float> beta = TopicDistributions(model_);
  topics = {
      {"top_terms", terms},
      {"npmi", npmi},
      {"mean_npmi", npmi.empty() ? 0.0 : npmi_sum / static_cast<double>(npmi.size())},
      {"diversity", TopicDiversity(TopicsView{NumTopics(model_), model_.options().vocab_size, beta},
                                   std::min(25, model_.options().vocab_size))},
      {"prevalence", prev},
      {"prevalence_method", methods_.name(0)},
      {"duplicate_topic_pairs", DuplicateTopicPairs(top_terms_)},
      {"rare_topics", RareTopics(prev)},
      {"rare_topic_threshold", kRareTopicShareOfUniform / std::max(1, NumTopics(model_))}};
  // Pieces mode: readable words of the top pieces. Words mode: the terms
  // themselves, so what the report shows is what NPMI was computed on.
  topics["top_words"] =
      vocab.words.empty() ? nlohmann::json(terms) : nlohmann::json(TopWords(beta, vocab.words));
  nlohmann::json quality = {
      {"num_topics", NumTopics(model_)},
      {"documents", static_cast<int64_t>(docs)},
      {"tokens", static_cast<int64_t>(tokens)},
      {"methods", methods},
      {"gap", GapJson(gaps, tokens, record_steps_,
                      std::vector<double>(closed, closed + closed_by_steps_.size()))},
      {"topics", topics}};
  if (!gap_by_split.is_null()) quality["gap_by_split"] = gap_by_split;
  return quality;
}

}  // namespace ntm
