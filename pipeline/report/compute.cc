#include "pipeline/report/compute.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "libvi/base/errors.h"
#include "pipeline/config/method_names.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/report/format.h"

namespace ntm {
namespace {

// The value below which a share `q` of the sorted `values` lie.
double Quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

std::vector<double> FiniteSorted(const std::vector<double>& values) {
  std::vector<double> finite;
  for (double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  std::sort(finite.begin(), finite.end());
  return finite;
}

int TimingRanks(const MethodTiming& timing, const ScoresRun& run) {
  return timing.ranks > 0 ? timing.ranks : run.ranks;
}

}  // namespace

double NiceStep(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  const double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

double Median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  return Quantile(values, 0.5);
}

HistogramBins ComputeHistogram(const std::vector<double>& values, int max_bins) {
  HistogramBins bins;
  const std::vector<double> sorted = FiniteSorted(values);
  if (sorted.empty()) return bins;
  const double low = sorted.front();
  double high = sorted.back();
  const double p99 = Quantile(sorted, 0.99);
  // A few huge gaps would squeeze every other document into one bar.
  if (high - low > 3 * (p99 - low) && p99 > low) high = p99;
  const double step = NiceStep(std::max(high - low, 1e-9) / max_bins);
  const double first = std::floor(low / step) * step;
  const auto num_bins =
      std::max<int64_t>(1, static_cast<int64_t>(std::floor((high - first) / step)) + 1);
  for (int64_t i = 0; i <= num_bins; ++i)
    bins.edges.push_back(first + static_cast<double>(i) * step);
  bins.counts.assign(num_bins, 0);
  for (double v : sorted) {
    const auto bin = static_cast<int64_t>(std::floor((v - first) / step));
    if (bin >= num_bins) {
      ++bins.above_last_edge;
    } else {
      ++bins.counts[std::clamp<int64_t>(bin, 0, num_bins - 1)];
    }
  }
  return bins;
}

double MeanRowL1(const NpyMatrix& a, const NpyMatrix& b, const std::string& a_name) {
  if (a.rows != b.rows || a.cols != b.cols) {
    throw InputError(a_name + ": shape " + std::to_string(a.rows) + "x" + std::to_string(a.cols) +
                     " differs from theta-classical.npy's " + std::to_string(b.rows) + "x" +
                     std::to_string(b.cols));
  }
  if (a.rows == 0) return std::numeric_limits<double>::quiet_NaN();
  double total = 0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    total += std::fabs(static_cast<double>(a.values[i]) - static_cast<double>(b.values[i]));
  }
  return total / static_cast<double>(a.rows);
}

std::vector<double> ColumnMeans(const NpyMatrix& matrix) {
  std::vector<double> means(matrix.cols, 0.0);
  for (int64_t r = 0; r < matrix.rows; ++r) {
    for (int64_t c = 0; c < matrix.cols; ++c) means[c] += matrix.values[r * matrix.cols + c];
  }
  for (double& m : means) m /= static_cast<double>(std::max<int64_t>(matrix.rows, 1));
  return means;
}

std::vector<std::vector<std::string>> TopTerms(const NpyMatrix& topics,
                                               const std::vector<std::string>& pieces, int n) {
  std::vector<std::string> names;
  for (const auto& piece : pieces) names.push_back(DecodePiece(piece));
  std::vector<std::vector<std::string>> terms;
  const int64_t keep = std::min<int64_t>(ReadableWordCandidates(n), topics.cols);
  std::vector<int32_t> order(topics.cols);
  for (int64_t k = 0; k < topics.rows; ++k) {
    const float* row = topics.values.data() + k * topics.cols;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                      [row](int32_t a, int32_t b) { return row[a] > row[b]; });
    terms.push_back(DistinctTermNames(std::span(order).first(keep), names, n));
  }
  return terms;
}

GapFigures ComputeGap(const std::vector<double>& elbo_lnvi,
                      const std::vector<double>& elbo_amortized, const std::string& lnvi_name) {
  if (elbo_lnvi.size() != elbo_amortized.size()) {
    throw InputError(lnvi_name + ": " + std::to_string(elbo_lnvi.size()) +
                     " documents but elbo-amortized.npy has " +
                     std::to_string(elbo_amortized.size()));
  }
  std::vector<double> gaps;
  for (size_t d = 0; d < elbo_lnvi.size(); ++d) {
    const double gap = elbo_lnvi[d] - elbo_amortized[d];
    if (std::isfinite(gap)) gaps.push_back(gap);
  }
  GapFigures gap;
  gap.documents = static_cast<int64_t>(gaps.size());
  gap.mean_nats = gaps.empty() ? std::numeric_limits<double>::quiet_NaN()
                               : std::accumulate(gaps.begin(), gaps.end(), 0.0) / gaps.size();
  gap.median_nats = Median(gaps);
  HistogramBins bins = ComputeHistogram(gaps, 30);
  gap.edges = std::move(bins.edges);
  gap.counts = std::move(bins.counts);
  gap.above_last_edge = bins.above_last_edge;
  gap.source = "elbo-ln-vi.npy - elbo-amortized.npy";
  return gap;
}

std::optional<double> ClosedShare(const std::vector<double>& elbo_lnvi,
                                  const std::vector<double>& elbo_amortized,
                                  const std::vector<double>& elbo_refined) {
  if (elbo_lnvi.size() != elbo_amortized.size() || elbo_refined.size() != elbo_amortized.size()) {
    return std::nullopt;
  }
  double closed = 0, total = 0;
  for (size_t d = 0; d < elbo_lnvi.size(); ++d) {
    const double gap = elbo_lnvi[d] - elbo_amortized[d];
    const double gain = elbo_refined[d] - elbo_amortized[d];
    if (!std::isfinite(gap) || !std::isfinite(gain)) continue;
    total += gap;
    closed += gain;
  }
  if (!(total > 0)) return std::nullopt;
  return closed / total;
}

double ProjectedSeconds(double documents_per_second) {
  if (!(documents_per_second > 0)) return std::numeric_limits<double>::quiet_NaN();
  return kProjectionDocuments / documents_per_second;
}

std::optional<double> AmortizedSpeedup(const ScoresRun& run) {
  const auto amortized = run.timings.find(kMethodAmortized);
  const auto classical = run.timings.find(kMethodClassical);
  if (amortized == run.timings.end() || classical == run.timings.end()) return std::nullopt;
  if (!(classical->second.documents_per_second > 0)) return std::nullopt;
  return amortized->second.documents_per_second / classical->second.documents_per_second;
}

double PerRankDocumentsPerSecond(const MethodTiming& timing, int run_ranks) {
  const auto& per_rank = timing.per_rank_documents_per_second;
  if (!per_rank.empty()) {
    return std::accumulate(per_rank.begin(), per_rank.end(), 0.0) / per_rank.size();
  }
  const int ranks = timing.ranks > 0 ? timing.ranks : std::max(run_ranks, 1);
  return timing.documents_per_second / ranks;
}

std::vector<ScalingRow> ComputeScaling(const ReportData& data) {
  std::vector<std::string> methods;
  for (const auto& run : data.scores)
    methods.insert(methods.end(), run.methods.begin(), run.methods.end());
  methods = OrderMethods(methods);
  std::vector<ScalingRow> rows;
  for (const auto& method : methods) {
    std::vector<ScalingRow> method_rows;
    for (const auto& run : data.scores) {
      const auto it = run.timings.find(method);
      if (it == run.timings.end() || TimingRanks(it->second, run) <= 0) continue;
      method_rows.push_back({method, ScoresLabel(run), TimingRanks(it->second, run),
                             it->second.documents_per_second});
    }
    if (method_rows.empty()) continue;
    std::stable_sort(method_rows.begin(), method_rows.end(),
                     [](const auto& a, const auto& b) { return a.ranks < b.ranks; });
    const auto base =
        std::min_element(method_rows.begin(), method_rows.end(),
                         [](const auto& a, const auto& b) { return a.ranks < b.ranks; });
    const bool varied = std::any_of(method_rows.begin(), method_rows.end(),
                                    [&](const auto& r) { return r.ranks != base->ranks; });
    if (!varied) continue;
    const ScalingRow baseline = *base;
    for (auto& row : method_rows) {
      row.baseline_ranks = baseline.ranks;
      row.speedup = row.documents_per_second / baseline.documents_per_second;
      row.efficiency = row.speedup / (static_cast<double>(row.ranks) / baseline.ranks);
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace ntm
