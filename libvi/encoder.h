// The AVITM encoder, run over blocks of documents at once: a sparse first
// layer (Σ_w n_w W1[:, w], never a dense V-wide input), a dense second layer,
// dropout, and the μ / log σ² heads with batch norm (scale 1, learnable
// shift, statistics supplied by the caller). Backward pass by hand.
#pragma once

#include <cstdint>

#include "libvi/aligned_vector.h"
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
  VectorX<T> mean;       // all batch-norm units (ParameterLayout::bn_offset order)
  VectorX<T> inv_std;    // 1 / sqrt(var + eps), same order
  VectorX<T> grad_mean;  // exact training: the batch's mean of ∂loss/∂y; else zero
  VectorX<T> grad_dot;   // exact training: the batch's mean of ∂loss/∂y ∘ ŷ; else zero

  // From per-unit means and variances, with zero gradient means.
  static BatchNormNormaliser From(const AlignedVector<T>& mean, const AlignedVector<T>& var,
                                  double eps);
  // Sets units [offset, offset + n) from sums over `count` documents of
  // (x − mean) and (x − mean)², centred on the current `mean`.
  void SetFromSums(int64_t offset, int64_t n, const T* sum, const T* sum_sq, double count,
                   double eps);
};

// Backward pass of one batch-norm layer over columns [0, count): replaces g =
// ∂loss/∂y (y the layer's output, ŷ = y − shift) by ∂loss/∂x =
// inv_std ∘ (g − ḡ − ŷ ∘ ḡŷ). With the batch's own means ḡ and ḡŷ this is
// exact batch norm; with zeros it treats the statistics as constants.
template <typename T>
void BatchNormBackward(const BatchNormNormaliser<T>& bn, int64_t offset, int64_t units, int count,
                       const Eigen::Ref<const VectorX<T>>& shift, const MatrixX<T>& y,
                       MatrixX<T>& g);

// Adds Σ_d g_d and Σ_d g_d ∘ ŷ_d over columns [0, count) to sum_g and
// sum_g_dot (ŷ = y − shift): the sums exact batch norm's backward needs.
template <typename T>
void AddBatchNormGradientSums(const MatrixX<T>& g, const MatrixX<T>& y, int64_t units, int count,
                              const Eigen::Ref<const VectorX<T>>& shift, T* sum_g, T* sum_g_dot);

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

// Forward pass over docs [begin, begin + ws.count) up to the heads before
// batch norm (ws.z_mu, ws.z_lv); applies ws.mask if `use_mask`. Columns ≥
// ws.count are padding with finite values.
template <typename T>
void EncodeToHeads(const LayerViews<const T>& params, const ParameterLayout& layout,
                   const BowView& docs, int64_t begin, bool use_mask, EncoderBlock<T>& ws);
// Batch norm of both heads: ws.mu, ws.lv from ws.z_mu, ws.z_lv.
template <typename T>
void NormaliseHeads(const LayerViews<const T>& params, const ParameterLayout& layout,
                    const BatchNormNormaliser<T>& bn, EncoderBlock<T>& ws);
// EncodeToHeads then NormaliseHeads.
template <typename T>
void EncodeBlock(const LayerViews<const T>& params, const ParameterLayout& layout,
                 const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                 bool use_mask, EncoderBlock<T>& ws);

// Backward pass: adds the encoder gradients of Σ_d loss_d to `grad`, given
// ws.g_mu and ws.g_lv (zero in padding columns). Batch norm's backward uses
// bn's gradient means (see BatchNormBackward).
template <typename T>
void EncoderBackward(const LayerViews<const T>& params, const ParameterLayout& layout,
                     const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                     bool use_mask, EncoderBlock<T>& ws, LayerViews<T>& grad);

}  // namespace ntm
