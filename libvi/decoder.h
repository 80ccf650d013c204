// The two decoders and their hand-written gradients.
//   lda:     p(w|θ) = Σ_k θ_k β_kw, β = row-softmax of the K×V logits. Only the
//            document's own terms are touched per document; the softmax
//            normalisation part of the logit gradient, β_kw Σ_d c_dk, is added
//            once per batch as one K×V operation.
//   prodlda: p(w|θ) = softmax(BN(θᵀW)) over the vocabulary (dense per document,
//            done a block of documents at a time with matrix products).
#pragma once

#include <cstdint>
#include <span>

#include "libvi/bow.h"
#include "libvi/elbo.h"
#include "libvi/encoder.h"
#include "libvi/parameters.h"

namespace ntm {

// β = row-softmax of the K×V topic logits; rows of β sum to 1.
template <typename T>
void TopicsFromLogits(const Eigen::Map<const MatrixX<T>>& logits, MatrixX<T>& beta);

// −Σ_w n_w log Σ_k θ_k β_kw for one document. Writes g_z = ∂loss/∂z for
// θ = softmax(z) and the per-topic expected counts c_k = Σ_w n_w θ_k β_kw / p_w.
// If theta_weights (K×V) is non-null, adds (n_w / p_w) θ to its column w for
// each of the document's terms: the sparse part of the logit gradient before
// its factor β (AddLdaLogitGradient applies it once per batch).
template <typename T>
T LdaDocumentLoss(const MatrixX<T>& beta, const DocView& doc, ConstVecRef<T> theta, VecRef<T> g_z,
                  VecRef<T> topic_counts, MatrixX<T>* theta_weights);

// Adds the batch's logit gradient β_kw (C_k − S_kw) to grad_logits, given the
// summed expected topic counts C and S = the summed theta_weights above.
template <typename T>
void AddLdaLogitGradient(const MatrixX<T>& beta, const VectorX<T>& topic_counts,
                         const MatrixX<T>& theta_weights, Eigen::Map<MatrixX<T>>& grad_logits);

// N·logsumexp(y) − Σ_w n_w y_w: the loss of a document under p = softmax(y).
// If g is non-null writes g = N softmax(y) − n (its gradient w.r.t. y).
template <typename T>
T SoftmaxDocumentLoss(ConstVecRef<T> y, const DocView& doc, VecRef<T>* g);

// Workspace of the prodlda decoder for one block (rows padded to 16).
template <typename T>
struct ProdLdaBlock {
  // Workspace for `vocab_size` terms and `topics` topics.
  ProdLdaBlock(int32_t vocab_size, int32_t topics);

  MatrixX<T> y;        // Vp×B: θᵀW, then the normalised scores
  MatrixX<T> g_y;      // Vp×B: ∂loss/∂scores, then ∂loss/∂(θᵀW)
  MatrixX<T> g_theta;  // Kp×B
};

// Where the prodlda decoder adds its batch-norm statistic sums: arrays over
// all batch-norm units (ParameterLayout::bn_offset order).
template <typename T>
struct BatchNormSums {
  T* sum = nullptr;     // Σ (x − mean)
  T* sum_sq = nullptr;  // Σ (x − mean)²
};

// ws.y = θᵀW for the block (before batch norm).
template <typename T>
void ProdLdaScores(const LayerViews<const T>& params, const ParameterLayout& layout,
                   const MatrixX<T>& theta, ProdLdaBlock<T>& ws);

// Normalises ws.y in place and writes each document's loss; if `gradient`,
// writes ws.g_y = ∂loss/∂y (zero in padding columns).
template <typename T>
void ProdLdaLoss(const LayerViews<const T>& params, const ParameterLayout& layout,
                 const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin, int count,
                 std::span<T> loss, bool gradient, ProdLdaBlock<T>& ws);

// From ws.g_y: adds the decoder gradients to `grad` and writes g_z =
// ∂loss/∂z (Kp×B, zero in padding columns). Batch norm's backward uses bn's
// gradient means (see BatchNormBackward).
template <typename T>
void ProdLdaBackward(const LayerViews<const T>& params, const ParameterLayout& layout,
                     const BatchNormNormaliser<T>& bn, int count, const MatrixX<T>& theta,
                     ProdLdaBlock<T>& ws, MatrixX<T>& g_z, LayerViews<T>& grad);

// prodlda loss of documents [begin, begin + count) given θ (Kp×B, one column
// per document): ProdLdaScores, the batch-norm sums if `stats` is non-null,
// ProdLdaLoss, and ProdLdaBackward if g_z and grad are non-null.
template <typename T>
void ProdLdaBlockLoss(const LayerViews<const T>& params, const ParameterLayout& layout,
                      const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                      int count, const MatrixX<T>& theta, std::span<T> loss, ProdLdaBlock<T>& ws,
                      MatrixX<T>* g_z, LayerViews<T>* grad, const BatchNormSums<T>* stats);

}  // namespace ntm
