// The AVITM encoder, run over blocks of documents at once: a sparse first
// layer (Σ_w n_w W1[:, w], never a dense V-wide input), a dense second layer,
// dropout, and the μ / log σ² heads with batch norm (scale 1, learnable
// shift, statistics supplied by the caller). Backward pass by hand.
#pragma once

#include <cstdint>

#include "libvi/bow.h"
#include "libvi/parameters.h"

namespace ntm {

// Documents processed together by the batched passes. Every pass runs on full
// blocks (unused columns are padding) so that a document's result does not
// depend on how many other documents share its block.
inline constexpr int kBlockDocs = 32;

// Batch-norm normalisation: y = (x − mean) ∘ inv_std + shift, per unit.
template <typename T>
struct BatchNormNormaliser {
  VectorX<T> mean;     // all batch-norm units (ParameterLayout::bn_offset order)
  VectorX<T> inv_std;  // 1 / sqrt(var + eps), same order

  // From per-unit means and variances.
  static BatchNormNormaliser From(const std::vector<T>& mean, const std::vector<T>& var,
                                  double eps);
};

// Adds Σ_d (x_d − shift) and Σ_d (x_d − shift)² over columns [0, count) of
// `x` (units × documents) to `sum` and `sum_sq`. Shifting by the current mean
// keeps the float sums from cancelling when the mean is large.
template <typename T>
void AddBatchNormSums(const MatrixX<T>& x, int64_t units, int count,
                      const Eigen::Ref<const VectorX<T>>& shift, T* sum, T* sum_sq);

// Workspace holding one block's encoder activations (rows padded to 16).
template <typename T>
struct EncoderBlock {
  // Workspace for `hidden` units and `topics` topics.
  EncoderBlock(int32_t hidden, int32_t topics);

  int count = 0;          // documents in use, ≤ kBlockDocs
  MatrixX<T> a1, h1;      // first layer pre-activation / softplus, Hp×B
  MatrixX<T> a2, h2;      // second layer pre-activation / softplus, Hp×B
  MatrixX<T> mask;        // dropout mask (0 or 1/(1−p)), Hp×B; unused when no dropout
  MatrixX<T> dropped;     // h2 ∘ mask, Hp×B (only with dropout)
  MatrixX<T> z_mu, z_lv;  // heads before batch norm, Kp×B
  MatrixX<T> mu, lv;      // heads after batch norm, Kp×B
  MatrixX<T> g_mu, g_lv;  // ∂loss/∂μ and ∂loss/∂lv (inputs of the backward pass), Kp×B
  MatrixX<T> g_hidden;    // backward scratch, Hp×B
};

// Throws InputError unless every term id of document `index` is in [0, vocab_size).
void CheckTermIds(const DocView& doc, int64_t index, int32_t vocab_size);

// Forward pass over docs [begin, begin + ws.count); applies ws.mask if
// `use_mask`. Columns ≥ ws.count are padding with finite values.
template <typename T>
void EncodeBlock(const LayerViews<const T>& params, const ParameterLayout& layout,
                 const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                 bool use_mask, EncoderBlock<T>& ws);

// Backward pass: adds the encoder gradients of Σ_d loss_d to `grad`, given
// ws.g_mu and ws.g_lv (zero in padding columns). The batch-norm statistics are
// constants here (see BasicTrainer).
template <typename T>
void EncoderBackward(const LayerViews<const T>& params, const ParameterLayout& layout,
                     const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                     bool use_mask, EncoderBlock<T>& ws, LayerViews<T>& grad);

}  // namespace ntm
