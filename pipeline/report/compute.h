// Figures `ntm report` derives itself: from .npy files when quality.json lacks
// them, and across scores folders (speedups, scaling, projections).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/io/npy.h"
#include "pipeline/report/data.h"

namespace ntm {

// Documents in the throughput projection ("scoring 10 million notes would take …").
inline constexpr double kProjectionDocuments = 10e6;

// A round step near `raw` (1, 2 or 5 times a power of ten), for axis ticks and bins.
double NiceStep(double raw);
// The median of `values` (NaN when empty).
double Median(std::vector<double> values);

// A histogram with round bin edges.
struct HistogramBins {
  std::vector<double> edges;    // counts.size() + 1 ascending edges
  std::vector<int64_t> counts;  // values per bin
  int64_t above_last_edge = 0;  // far outliers left out of the bins (beyond the 99th percentile)
};
// Bins `values` (non-finite ones skipped) into at most `max_bins` round-width
// bins; far outliers past the 99th percentile are counted in above_last_edge.
HistogramBins ComputeHistogram(const std::vector<double>& values, int max_bins);

// Mean over rows of the L1 distance Σ_k |a_dk − b_dk|. InputError naming
// `a_name` when the shapes differ.
double MeanRowL1(const NpyMatrix& a, const NpyMatrix& b, const std::string& a_name);
// The mean of each column (topic prevalence from a D×K θ matrix).
std::vector<double> ColumnMeans(const NpyMatrix& matrix);
// The `n` highest-weighted distinct terms of each topic row, decoded to
// readable words (`pieces`: the vocabulary's readable words when it has them).
std::vector<std::vector<std::string>> TopTerms(const NpyMatrix& topics,
                                               const std::vector<std::string>& pieces, int n);

// The gap per document, elbo_lnvi − elbo_amortized, summarised and binned.
// InputError naming `lnvi_name` when the lengths differ.
GapFigures ComputeGap(const std::vector<double>& elbo_lnvi,
                      const std::vector<double>& elbo_amortized, const std::string& lnvi_name);
// Σ(refined − amortized) / Σ(ln-vi − amortized): the share of the total gap
// that refinement closed; nullopt when the gap sums to zero or lengths differ.
std::optional<double> ClosedShare(const std::vector<double>& elbo_lnvi,
                                  const std::vector<double>& elbo_amortized,
                                  const std::vector<double>& elbo_refined);

// Seconds to score kProjectionDocuments at `documents_per_second`.
double ProjectedSeconds(double documents_per_second);
// documents/s of amortized over classical in one scores folder, if both ran.
std::optional<double> AmortizedSpeedup(const ScoresRun& run);
// The mean documents/s of one rank for a method (total / ranks when the
// per-rank list is absent).
double PerRankDocumentsPerSecond(const MethodTiming& timing, int run_ranks);

// One scores folder's throughput for one method, relative to the smallest P.
struct ScalingRow {
  std::string method;
  std::string label;  // ScoresLabel of the folder
  int ranks = 0;
  double documents_per_second = 0;
  double speedup = 0;     // documents/s over the baseline's
  double efficiency = 0;  // speedup / (ranks / baseline ranks)
  int baseline_ranks = 0;
};
// Scaling of every method that ran in folders with at least two different
// rank counts, each against its folder with the fewest ranks (the first given
// on a tie). Empty when no method ran at two rank counts.
std::vector<ScalingRow> ComputeScaling(const ReportData& data);

}  // namespace ntm
