// Adam (Kingma & Ba 2015) over the flat parameter buffer, reading the
// gradient straight from the all-reduced buffer with a scale (1/documents and
// clipping) fused in, so no gradient copy is ever made.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libvi/aligned_vector.h"

namespace ntm {

// Adam hyper-parameters (AVITM's defaults).
struct AdamOptions {
  double learning_rate = 0.002;
  double beta1 = 0.99;
  double beta2 = 0.999;
  double epsilon = 1e-8;
};

// First and second moments, the update counter and the current learning rate.
template <typename T>
class Adam {
 public:
  // Zero moments for `size` parameters.
  Adam(int64_t size, const AdamOptions& options);

  // One update: params −= lr m̂ / (√v̂ + ε) with gradient `scale` · grad.
  void Update(std::span<T> params, std::span<const T> grad, double scale) {
    UpdateSlice(params, grad, scale, 0);
  }
  // One update of the parameters [begin, begin + params.size()) only, given
  // that slice of the parameters and of the gradient (the sharded step: each
  // rank updates its block; the moments outside it go stale).
  void UpdateSlice(std::span<T> params, std::span<const T> grad, double scale, int64_t begin);
  // Leaves the parameters [begin, end) alone in every update (another rule
  // updates them: online VB's topics); their moments stay zero.
  void Freeze(int64_t begin, int64_t end) {
    frozen_begin_ = begin;
    frozen_end_ = end;
  }
  // Multiplies the learning rate (decay schedules).
  void ScaleLearningRate(double factor) { learning_rate_ *= factor; }

  double learning_rate() const { return learning_rate_; }  // current learning rate
  int64_t updates() const { return updates_; }             // updates applied so far
  const AdamOptions& options() const { return options_; }  // hyper-parameters

  // Restores state saved from the accessors below; sizes must match.
  void Restore(AlignedVector<T> m, AlignedVector<T> v, int64_t updates, double learning_rate);
  const AlignedVector<T>& first_moment() const { return m_; }   // m, per parameter
  const AlignedVector<T>& second_moment() const { return v_; }  // v, per parameter
  std::span<T> mutable_first_moment() { return m_; }            // m (the sharded step gathers it)
  std::span<T> mutable_second_moment() { return v_; }           // v (the sharded step gathers it)

 private:
  AdamOptions options_;
  double learning_rate_;
  int64_t updates_ = 0;
  int64_t frozen_begin_ = 0, frozen_end_ = 0;  // [begin, end) never updated
  AlignedVector<T> m_, v_;

  struct Step;
  void UpdateRange(std::span<T> params, std::span<const T> grad, int64_t begin, const Step& step);
};

// Euclidean norm of `values`, accumulated in double.
template <typename T>
double EuclideanNorm(std::span<const T> values);
// Sum of squares of `values` (EuclideanNorm squared, same summation order).
template <typename T>
double SumOfSquares(std::span<const T> values);

}  // namespace ntm
