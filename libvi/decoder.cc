#include "libvi/decoder.h"

#include <algorithm>
#include <cmath>

#include "libvi/prefetch.h"

namespace ntm {

namespace {

// Columns per chunk of a long sum: float partial sums (vectorised) of this
// many values, accumulated in double.
constexpr int64_t kSumChunk = 256;

// Σ_i e^{x_i − shift} over a vector, e^x vectorised, accumulated in double.
template <typename T>
double SumExp(ConstVecRef<T> x, T shift) {
  double sum = 0.0;
  for (int64_t i = 0; i < x.size(); i += kSumChunk) {
    const int64_t n = std::min(kSumChunk, x.size() - i);
    sum += static_cast<double>((x.segment(i, n).array() - shift).exp().sum());
  }
  return sum;
}

// Σ_i x_i, float blocks (vectorised) accumulated in double.
template <typename T>
double SumOf(ConstVecRef<T> x) {
  double sum = 0.0;
  for (int64_t i = 0; i < x.size(); i += kSumChunk) {
    sum += static_cast<double>(x.segment(i, std::min(kSumChunk, x.size() - i)).sum());
  }
  return sum;
}

}  // namespace

// Row softmax, column by column (Eigen vectorises the exp over the whole
// matrix only in one linear pass; a row-broadcast expression runs scalar).
template <typename T>
void TopicsFromLogits(const Eigen::Map<const MatrixX<T>>& logits, MatrixX<T>& beta) {
  const int64_t k = logits.rows(), v = logits.cols();
  const VectorX<T> row_max = logits.rowwise().maxCoeff();
  beta.resize(k, v);
  for (int64_t w = 0; w < v; ++w) beta.col(w) = logits.col(w) - row_max;
  beta.array() = beta.array().exp();
  VectorX<double> row_sum = VectorX<double>::Zero(k);
  for (int64_t w = 0; w < v; w += kSumChunk) {
    row_sum +=
        beta.middleCols(w, std::min(kSumChunk, v - w)).rowwise().sum().template cast<double>();
  }
  const VectorX<T> inv_sum = row_sum.cwiseInverse().template cast<T>();
  for (int64_t w = 0; w < v; ++w) beta.col(w).array() *= inv_sum.array();
}

template <typename T>
T LdaDocumentLoss(const MatrixX<T>& beta, const DocView& doc, ConstVecRef<T> theta, VecRef<T> g_z,
                  VecRef<T> topic_counts, MatrixX<T>* theta_weights) {
  using ConstMap = Eigen::Map<const VectorX<T>>;
  const int64_t k = theta.size();
  const T* th = theta.data();
  T* acc = topic_counts.data();  // Σ_w (n_w / p_w) β_w, then times θ
  double loss = 0.0, tokens = 0.0;
  topic_counts.setZero();
  // Plain loops over k: the compiler vectorises them, and each element's
  // result is the same in the vector body and the scalar tail.
  for (size_t j = 0; j < doc.terms.size(); ++j) {
    if (j + kPrefetchTerms < doc.terms.size()) {
      const int32_t ahead = doc.terms[j + kPrefetchTerms];
      PrefetchValues(beta.col(ahead).data(), k);
      if (theta_weights) PrefetchValues(theta_weights->col(ahead).data(), k);
    }
    const T* beta_w = beta.col(doc.terms[j]).data();
    const T n = static_cast<T>(doc.counts[j]);
    const T p = ConstMap(beta_w, k).dot(theta);
    loss -= static_cast<double>(n) * static_cast<double>(std::log(p));
    tokens += static_cast<double>(n);
    const T scale = n / p;
    for (int64_t i = 0; i < k; ++i) acc[i] += scale * beta_w[i];
    if (theta_weights) {
      T* s = theta_weights->col(doc.terms[j]).data();
      for (int64_t i = 0; i < k; ++i) s[i] += scale * th[i];
    }
  }
  topic_counts.array() *= theta.array();
  // ∂loss/∂θ_k = −Σ_w n_w β_kw / p_w, through the softmax: −c_k + N θ_k.
  g_z = static_cast<T>(tokens) * theta - topic_counts;
  return static_cast<T>(loss);
}

template <typename T>
void AddLdaLogitGradient(const MatrixX<T>& beta, const VectorX<T>& topic_counts,
                         const MatrixX<T>& theta_weights, Eigen::Map<MatrixX<T>>& grad_logits) {
  for (int64_t w = 0; w < beta.cols(); ++w) {
    grad_logits.col(w).array() +=
        beta.col(w).array() * (topic_counts - theta_weights.col(w)).array();
  }
}

template <typename T>
T SoftmaxDocumentLoss(ConstVecRef<T> y, const DocView& doc, VecRef<T>* g) {
  const T max = y.maxCoeff();
  double sum_exp;
  if (g) {  // one exp pass: e^{y − max} into g, later scaled to N softmax(y)
    g->array() = (y.array() - max).exp();
    sum_exp = SumOf<T>(*g);
  } else {
    sum_exp = SumExp<T>(y, max);
  }
  const double lse = static_cast<double>(max) + std::log(sum_exp);
  double dot = 0.0, tokens = 0.0;
  for (size_t j = 0; j < doc.terms.size(); ++j) {
    dot += static_cast<double>(doc.counts[j]) * static_cast<double>(y[doc.terms[j]]);
    tokens += doc.counts[j];
  }
  if (g) {
    *g *= static_cast<T>(tokens / sum_exp);
    for (size_t j = 0; j < doc.terms.size(); ++j) {
      (*g)[doc.terms[j]] -= static_cast<T>(doc.counts[j]);
    }
  }
  return static_cast<T>(tokens * lse - dot);
}

template <typename T>
ProdLdaBlock<T>::ProdLdaBlock(int32_t vocab_size, int32_t topics) {
  y.setZero(PaddedRows(vocab_size), kBlockDocs);
  g_y.setZero(PaddedRows(vocab_size), kBlockDocs);
  g_theta.setZero(PaddedRows(topics), kBlockDocs);
}

template <typename T>
void ProdLdaScores(const LayerViews<const T>& params, const ParameterLayout& layout,
                   const MatrixX<T>& theta, ProdLdaBlock<T>& ws) {
  const int32_t v = layout.vocab_size(), k = layout.num_topics();
  ws.y.topRows(v).noalias() = params.dec_w.transpose() * theta.topRows(k);
}

template <typename T>
void ProdLdaLoss(const LayerViews<const T>& params, const ParameterLayout& layout,
                 const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin, int count,
                 std::span<T> loss, bool gradient, ProdLdaBlock<T>& ws) {
  const int32_t v = layout.vocab_size();
  const int64_t off = layout.bn_offset(BatchNormLayer::kDecoder);
  const auto mean = bn.mean.segment(off, v);
  const auto inv_std = bn.inv_std.segment(off, v).array();
  for (int d = 0; d < kBlockDocs; ++d) {
    auto y = ws.y.col(d).head(v);
    y.array() = (y - mean).array() * inv_std + params.dec_shift.array();
    if (d >= count) {
      ws.g_y.col(d).setZero();
      continue;
    }
    VecRef<T> g = ws.g_y.col(d).head(v);
    loss[d] = SoftmaxDocumentLoss<T>(y, docs.doc(begin + d), gradient ? &g : nullptr);
  }
}

template <typename T>
void ProdLdaBackward(const LayerViews<const T>& params, const ParameterLayout& layout,
                     const BatchNormNormaliser<T>& bn, int count, const MatrixX<T>& theta,
                     ProdLdaBlock<T>& ws, MatrixX<T>& g_z, LayerViews<T>& grad) {
  const int32_t v = layout.vocab_size(), k = layout.num_topics();
  auto g_y = ws.g_y.topRows(v);
  grad.dec_shift += g_y.rowwise().sum();
  BatchNormBackward<T>(bn, layout.bn_offset(BatchNormLayer::kDecoder), v, count, params.dec_shift,
                       ws.y, ws.g_y);
  grad.dec_w.noalias() += theta.topRows(k) * g_y.transpose();
  ws.g_theta.topRows(k).noalias() = params.dec_w * g_y;
  for (int d = 0; d < kBlockDocs; ++d) {
    if (d < count) {
      SoftmaxBackward<T>(theta.col(d).head(k), ws.g_theta.col(d).head(k), g_z.col(d).head(k));
    } else {
      g_z.col(d).setZero();
    }
  }
}

template <typename T>
void ProdLdaBlockLoss(const LayerViews<const T>& params, const ParameterLayout& layout,
                      const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                      int count, const MatrixX<T>& theta, std::span<T> loss, ProdLdaBlock<T>& ws,
                      MatrixX<T>* g_z, LayerViews<T>* grad, const BatchNormSums<T>* stats) {
  const int64_t off = layout.bn_offset(BatchNormLayer::kDecoder);
  const int32_t v = layout.vocab_size();
  ProdLdaScores<T>(params, layout, theta, ws);
  if (stats) {
    AddBatchNormSums<T>(ws.y, v, count, bn.mean.segment(off, v), stats->sum + off,
                        stats->sum_sq + off);
  }
  const bool gradient = g_z != nullptr && grad != nullptr;
  ProdLdaLoss<T>(params, layout, bn, docs, begin, count, loss, gradient, ws);
  if (gradient) ProdLdaBackward<T>(params, layout, bn, count, theta, ws, *g_z, *grad);
}

#define NTM_INSTANTIATE_DECODER(T)                                                               \
  template void TopicsFromLogits<T>(const Eigen::Map<const MatrixX<T>>&, MatrixX<T>&);           \
  template T LdaDocumentLoss<T>(const MatrixX<T>&, const DocView&, ConstVecRef<T>, VecRef<T>,    \
                                VecRef<T>, MatrixX<T>*);                                         \
  template void AddLdaLogitGradient<T>(const MatrixX<T>&, const VectorX<T>&, const MatrixX<T>&,  \
                                       Eigen::Map<MatrixX<T>>&);                                 \
  template T SoftmaxDocumentLoss<T>(ConstVecRef<T>, const DocView&, VecRef<T>*);                 \
  template struct ProdLdaBlock<T>;                                                               \
  template void ProdLdaScores<T>(const LayerViews<const T>&, const ParameterLayout&,             \
                                 const MatrixX<T>&, ProdLdaBlock<T>&);                           \
  template void ProdLdaLoss<T>(const LayerViews<const T>&, const ParameterLayout&,               \
                               const BatchNormNormaliser<T>&, const BowView&, int64_t, int,      \
                               std::span<T>, bool, ProdLdaBlock<T>&);                            \
  template void ProdLdaBackward<T>(const LayerViews<const T>&, const ParameterLayout&,           \
                                   const BatchNormNormaliser<T>&, int, const MatrixX<T>&,        \
                                   ProdLdaBlock<T>&, MatrixX<T>&, LayerViews<T>&);               \
  template void ProdLdaBlockLoss<T>(const LayerViews<const T>&, const ParameterLayout&,          \
                                    const BatchNormNormaliser<T>&, const BowView&, int64_t, int, \
                                    const MatrixX<T>&, std::span<T>, ProdLdaBlock<T>&,           \
                                    MatrixX<T>*, LayerViews<T>*, const BatchNormSums<T>*);

NTM_INSTANTIATE_DECODER(float)
NTM_INSTANTIATE_DECODER(double)

}  // namespace ntm
