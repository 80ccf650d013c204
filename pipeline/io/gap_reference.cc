#include "pipeline/io/gap_reference.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <numbers>

#include "libvi/base/errors.h"
#include "pipeline/corpus/batch_plan.h"

namespace ntm {

GapSettings GapSettingsFrom(const Config& config) {
  return {config.score.mc_samples, config.score.seed, config.score.lnvi_max_iter,
          config.score.lnvi_tol};
}

std::string GapReferenceJson(const GapReference& r) {
  const nlohmann::json j = {
      {"format_version", 1},
      {"gap", "ELBO(ln-vi) - ELBO(amortized), nats per held-out document, ascending"},
      {"model_checksum", r.model_checksum},
      {"corpus_manifest_checksum", r.corpus_manifest},
      {"split", {{"validation_fraction", r.validation_fraction}, {"seed", r.split_seed}}},
      {"sample",
       {{"requested", r.requested},
        {"held_out_documents", r.held_out_documents},
        {"documents", r.gaps.size()},
        {"seed", r.sample_seed},
        {"all_held_out", static_cast<int64_t>(r.gaps.size()) == r.held_out_documents}}},
      {"inference",
       {{"mc_samples", r.settings.mc_samples},
        {"draw_seed", r.settings.draw_seed},
        {"lnvi_max_iter", r.settings.lnvi_max_iter},
        {"lnvi_tol", r.settings.lnvi_tol}}},
      {"gaps", r.gaps}};
  return j.dump(1) + "\n";
}

GapReference ReadGapReference(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(path.string() + ": cannot open the gap reference");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw InputError(path.string() + ": malformed JSON");
  std::string field;
  try {
    GapReference r;
    field = "model_checksum";
    r.model_checksum = j.at(field).get<std::string>();
    field = "corpus_manifest_checksum";
    r.corpus_manifest = j.at(field).get<std::string>();
    field = "split";
    r.validation_fraction = j.at(field).at("validation_fraction").get<double>();
    r.split_seed = j.at(field).at("seed").get<uint64_t>();
    field = "sample";
    r.requested = j.at(field).at("requested").get<int64_t>();
    r.held_out_documents = j.at(field).at("held_out_documents").get<int64_t>();
    r.sample_seed = j.at(field).at("seed").get<uint64_t>();
    field = "inference";
    const auto& inf = j.at(field);
    r.settings = {inf.at("mc_samples").get<int32_t>(), inf.at("draw_seed").get<uint64_t>(),
                  inf.at("lnvi_max_iter").get<int32_t>(), inf.at("lnvi_tol").get<double>()};
    field = "gaps";
    r.gaps = j.at(field).get<std::vector<double>>();
    if (!std::is_sorted(r.gaps.begin(), r.gaps.end())) throw std::invalid_argument("unsorted");
    return r;
  } catch (const std::exception&) {
    throw InputError(path.string() + ": field '" + field + "' is missing or malformed");
  }
}

nlohmann::json GapDistributionJson(std::vector<double> gaps) {
  static const std::vector<double> kEdges = {0,  0.1, 0.2, 0.5, 1,   2,   5,
                                             10, 20,  50,  100, 200, 500, 1000};
  nlohmann::json j = {{"documents", gaps.size()}};
  if (gaps.empty()) return j;
  std::sort(gaps.begin(), gaps.end());
  double sum = 0;
  for (double g : gaps) sum += g;
  auto at = [&](double q) {
    return gaps[static_cast<size_t>(std::lround(q * static_cast<double>(gaps.size() - 1)))];
  };
  std::vector<int64_t> counts(kEdges.size(), 0);  // the last bin is open
  for (double g : gaps) {
    const auto it = std::upper_bound(kEdges.begin() + 1, kEdges.end(), g);
    ++counts[static_cast<size_t>(it - kEdges.begin()) - 1];
  }
  j["mean_nats"] = sum / static_cast<double>(gaps.size());
  j["median_nats"] = at(0.5);
  j["quantiles"] = {
      {"p10", at(0.1)}, {"p25", at(0.25)}, {"p50", at(0.5)}, {"p75", at(0.75)}, {"p90", at(0.9)}};
  j["min_nats"] = gaps.front();
  j["max_nats"] = gaps.back();
  j["histogram"] = {{"edges", kEdges}, {"counts", counts}, {"last_bin_open", true}};
  return j;
}

nlohmann::json GapByTrainingSplit(Communicator& comm, const std::vector<double>& gaps,
                                  const std::vector<uint64_t>& keys, double validation_fraction,
                                  uint64_t seed) {
  std::vector<double> training, held_out;
  for (size_t d = 0; d < gaps.size() && d < keys.size(); ++d) {
    (IsValidationDocument(keys[d], validation_fraction, seed) ? held_out : training)
        .push_back(gaps[d]);
  }
  return {{"split", {{"validation_fraction", validation_fraction}, {"seed", seed}}},
          {"training", GapDistributionJson(GatherSorted(comm, training))},
          {"held_out", GapDistributionJson(GatherSorted(comm, held_out))}};
}

uint64_t SampleOrder(uint64_t doc_key, uint64_t seed) {
  return Mix64(doc_key ^ Mix64(seed ^ 0x6472696674ULL));  // "drift"
}

std::vector<uint8_t> SelectSample(Communicator& comm, std::span<const uint64_t> local_keys,
                                  int64_t size, uint64_t seed, int64_t* total) {
  std::vector<uint64_t> orders;
  for (uint64_t key : local_keys) orders.push_back(SampleOrder(key, seed));
  const auto* bytes = reinterpret_cast<const char*>(orders.data());
  std::vector<uint64_t> all;
  for (const auto& part : comm.AllGather(std::span(bytes, orders.size() * sizeof(uint64_t)))) {
    const auto* values = reinterpret_cast<const uint64_t*>(part.data());
    all.insert(all.end(), values, values + part.size() / sizeof(uint64_t));
  }
  *total = static_cast<int64_t>(all.size());
  std::vector<uint8_t> selected(orders.size(), 1);
  if (size >= *total) return selected;
  std::nth_element(all.begin(), all.begin() + (size - 1), all.end());
  const uint64_t last = size > 0 ? all[size - 1] : 0;
  for (size_t i = 0; i < orders.size(); ++i) selected[i] = size > 0 && orders[i] <= last;
  return selected;
}

std::vector<double> DocumentGaps(const TopicInference& inference, const BowView& docs,
                                 const GapSettings& s) {
  const DrawOptions draws{s.mc_samples, s.draw_seed};
  AmortizedOptions amortized;
  amortized.draws = draws;
  LnViOptions lnvi;
  lnvi.draws = draws;
  lnvi.max_iterations = s.lnvi_max_iter;
  lnvi.tolerance = s.lnvi_tol;
  const std::vector<double> base = inference.Amortized(docs, amortized).elbo;
  const std::vector<double> best = inference.LnVi(docs, lnvi).elbo;
  std::vector<double> gaps(base.size());
  for (size_t d = 0; d < base.size(); ++d) gaps[d] = best[d] - base[d];
  return gaps;
}

std::vector<double> GatherSorted(Communicator& comm, const std::vector<double>& local) {
  const auto* bytes = reinterpret_cast<const char*>(local.data());
  std::vector<double> all;
  for (const auto& part : comm.AllGather(std::span(bytes, local.size() * sizeof(double)))) {
    const auto* values = reinterpret_cast<const double*>(part.data());
    all.insert(all.end(), values, values + part.size() / sizeof(double));
  }
  std::sort(all.begin(), all.end());
  return all;
}

KsTest TwoSampleKs(std::span<const double> a, std::span<const double> b) {
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);  // step both empirical CDFs past x (ties together)
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  KsTest t;
  t.statistic = d;
  t.effective_n = na * nb / (na + nb);
  t.p_value = KolmogorovTail(std::sqrt(t.effective_n) * d);
  return t;
}

double KolmogorovTail(double lambda) {
  if (lambda <= 0) return 1.0;
  if (lambda < 1.18) {
    // P(K ≤ λ) = √(2π)/λ Σ_{j≥1} exp(−(2j−1)² π² / (8 λ²)): converges fast for small λ.
    const double pi = std::numbers::pi;
    double cdf = 0;
    for (int j = 1; j <= 20; ++j) {
      const double odd = 2.0 * j - 1.0;
      cdf += std::exp(-odd * odd * pi * pi / (8 * lambda * lambda));
    }
    return std::clamp(1.0 - std::sqrt(2 * pi) / lambda * cdf, 0.0, 1.0);
  }
  double tail = 0;
  for (int j = 1; j <= 100; ++j) {
    const double term = std::exp(-2.0 * j * j * lambda * lambda);
    tail += (j % 2 == 1 ? 2.0 : -2.0) * term;
    if (term < 1e-300) break;
  }
  return std::clamp(tail, 0.0, 1.0);
}

double KolmogorovCritical(double level) {
  double lo = 0, hi = 10;  // KolmogorovTail falls from 1 to ~0 on [0, 10]
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (KolmogorovTail(mid) > level ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace ntm
