#include "libvi/encoder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "libvi/base/errors.h"
#include "libvi/prefetch.h"

namespace ntm {
namespace {

// softplus(x) = max(x, 0) + log(1 + e^{−|x|}): never overflows. log rather
// than log1p (twice as fast): for x < −17 it returns 0 instead of e^x, an
// absolute error below 1e-7 that the gradient (a separate sigmoid) ignores.
template <typename Derived>
auto Softplus(const Eigen::ArrayBase<Derived>& x) {
  using Scalar = typename Derived::Scalar;
  return x.max(0) + (Scalar(1) + (-x.abs()).exp()).log();
}

// softplus'(x) = sigmoid(x); e^{−x} may overflow to +inf, giving exactly 0.
template <typename Derived>
auto Sigmoid(const Eigen::ArrayBase<Derived>& x) {
  using Scalar = typename Derived::Scalar;
  return Scalar(1) / (Scalar(1) + (-x).exp());
}

// Column d of the first layer: b1 + Σ_w n_w W1[:, w] (the sparse × dense product).
template <typename T>
void SparseFirstLayer(const LayerViews<const T>& params, const DocView& doc,
                      Eigen::Ref<VectorX<T>> out) {
  out = params.enc1_b;
  const auto& w = params.enc1_w;
  const auto n = [&doc](size_t j) { return static_cast<T>(doc.counts[j]); };
  size_t j = 0;
  // Four terms per pass: `out` is loaded and stored a quarter as often.
  for (const size_t end4 = doc.terms.size() / 4 * 4; j < end4; j += 4) {
    const int32_t* t = &doc.terms[j];
    for (size_t a = j + kPrefetchTerms; a < std::min(j + kPrefetchTerms + 4, doc.terms.size());
         ++a) {
      PrefetchValues(w.col(doc.terms[a]).data(), w.rows());
    }
    out.noalias() += n(j) * w.col(t[0]) + n(j + 1) * w.col(t[1]) + n(j + 2) * w.col(t[2]) +
                     n(j + 3) * w.col(t[3]);
  }
  for (; j < doc.terms.size(); ++j) out.noalias() += n(j) * w.col(doc.terms[j]);
}

// Batch norm of a head: rows [offset, offset + K) of the normaliser.
template <typename T>
void NormaliseHead(const BatchNormNormaliser<T>& bn, int64_t offset, int32_t k,
                   const Eigen::Ref<const VectorX<T>>& shift, const MatrixX<T>& z,
                   MatrixX<T>& out) {
  const auto mean = bn.mean.segment(offset, k);
  const auto inv_std = bn.inv_std.segment(offset, k).array();
  for (int d = 0; d < kBlockDocs; ++d) {
    out.col(d).head(k).array() = (z.col(d).head(k) - mean).array() * inv_std + shift.array();
  }
}

}  // namespace

void CheckTermIds(const DocView& doc, int64_t index, int32_t vocab_size) {
  // Terms are ascending, so the first and last bound them all.
  if (doc.terms.empty() || (doc.terms.front() >= 0 && doc.terms.back() < vocab_size)) return;
  throw InputError("document " + std::to_string(index) + " (key " + std::to_string(doc.key) +
                   ") has a term id outside the vocabulary [0, " + std::to_string(vocab_size) +
                   ")");
}

template <typename T>
BatchNormNormaliser<T> BatchNormNormaliser<T>::From(const AlignedVector<T>& mean,
                                                    const AlignedVector<T>& var, double eps) {
  BatchNormNormaliser n;
  n.mean = Eigen::Map<const VectorX<T>>(mean.data(), static_cast<int64_t>(mean.size()));
  n.inv_std.resize(static_cast<int64_t>(var.size()));
  n.grad_mean.setZero(static_cast<int64_t>(var.size()));
  n.grad_dot.setZero(static_cast<int64_t>(var.size()));
  for (size_t i = 0; i < var.size(); ++i) {
    n.inv_std[i] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(var[i]) + eps));
  }
  return n;
}

template <typename T>
void AddBatchNormSums(const MatrixX<T>& x, int64_t units, int count,
                      const Eigen::Ref<const VectorX<T>>& shift, T* sum, T* sum_sq) {
  Eigen::Map<VectorX<T>> s(sum, units), s2(sum_sq, units);
  for (int d = 0; d < count; ++d) {
    const auto centred = (x.col(d).head(units) - shift).array();
    s.array() += centred;
    s2.array() += centred.square();
  }
}

template <typename T>
void BatchNormNormaliser<T>::SetFromSums(int64_t offset, int64_t n, const T* sum, const T* sum_sq,
                                         double count, double eps) {
  for (int64_t i = 0; i < n; ++i) {
    const double d1 = static_cast<double>(sum[i]) / count;
    const double var = std::max(0.0, static_cast<double>(sum_sq[i]) / count - d1 * d1);
    mean[offset + i] += static_cast<T>(d1);
    inv_std[offset + i] = static_cast<T>(1.0 / std::sqrt(var + eps));
  }
}

template <typename T>
void BatchNormBackward(const BatchNormNormaliser<T>& bn, int64_t offset, int64_t units, int count,
                       const Eigen::Ref<const VectorX<T>>& shift, const MatrixX<T>& y,
                       MatrixX<T>& g) {
  const auto inv_std = bn.inv_std.segment(offset, units).array();
  const auto g_mean = bn.grad_mean.segment(offset, units).array();
  const auto g_dot = bn.grad_dot.segment(offset, units).array();
  for (int d = 0; d < count; ++d) {
    auto g_d = g.col(d).head(units).array();
    g_d = inv_std * (g_d - g_mean - (y.col(d).head(units) - shift).array() * g_dot);
  }
}

template <typename T>
void AddBatchNormGradientSums(const MatrixX<T>& g, const MatrixX<T>& y, int64_t units, int count,
                              const Eigen::Ref<const VectorX<T>>& shift, T* sum_g, T* sum_g_dot) {
  Eigen::Map<VectorX<T>> s(sum_g, units), s_dot(sum_g_dot, units);
  for (int d = 0; d < count; ++d) {
    const auto g_d = g.col(d).head(units).array();
    s.array() += g_d;
    s_dot.array() += g_d * (y.col(d).head(units) - shift).array();
  }
}

template <typename T>
EncoderBlock<T>::EncoderBlock(int32_t hidden, int32_t topics) {
  const int64_t hp = PaddedRows(hidden), kp = PaddedRows(topics);
  for (MatrixX<T>* m : {&a1, &h1, &a2, &h2, &mask, &dropped, &g_hidden}) {
    m->setZero(hp, kBlockDocs);
  }
  for (MatrixX<T>* m : {&z_mu, &z_lv, &mu, &lv, &g_mu, &g_lv}) m->setZero(kp, kBlockDocs);
}

template <typename T>
void EncodeToHeads(const LayerViews<const T>& params, const ParameterLayout& layout,
                   const BowView& docs, int64_t begin, bool use_mask, EncoderBlock<T>& ws) {
  const int32_t h = layout.hidden(), k = layout.num_topics();
  for (int d = 0; d < kBlockDocs; ++d) {
    if (d < ws.count) {
      SparseFirstLayer<T>(params, docs.doc(begin + d), ws.a1.col(d).head(h));
    } else {
      ws.a1.col(d).head(h) = params.enc1_b;
    }
  }
  ws.h1.topRows(h).array() = Softplus(ws.a1.topRows(h).array());
  ws.a2.topRows(h).noalias() = params.enc2_w * ws.h1.topRows(h);
  ws.a2.topRows(h).colwise() += params.enc2_b;
  ws.h2.topRows(h).array() = Softplus(ws.a2.topRows(h).array());
  if (use_mask) ws.dropped.array() = ws.h2.array() * ws.mask.array();
  const MatrixX<T>& input = use_mask ? ws.dropped : ws.h2;
  ws.z_mu.topRows(k).noalias() = params.mu_w * input.topRows(h);
  ws.z_lv.topRows(k).noalias() = params.lv_w * input.topRows(h);
}

template <typename T>
void NormaliseHeads(const LayerViews<const T>& params, const ParameterLayout& layout,
                    const BatchNormNormaliser<T>& bn, EncoderBlock<T>& ws) {
  const int32_t k = layout.num_topics();
  NormaliseHead<T>(bn, layout.bn_offset(BatchNormLayer::kMu), k, params.mu_shift, ws.z_mu, ws.mu);
  NormaliseHead<T>(bn, layout.bn_offset(BatchNormLayer::kLogVar), k, params.lv_shift, ws.z_lv,
                   ws.lv);
}

template <typename T>
void EncodeBlock(const LayerViews<const T>& params, const ParameterLayout& layout,
                 const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                 bool use_mask, EncoderBlock<T>& ws) {
  EncodeToHeads<T>(params, layout, docs, begin, use_mask, ws);
  NormaliseHeads<T>(params, layout, bn, ws);
}

template <typename T>
void EncoderBackward(const LayerViews<const T>& params, const ParameterLayout& layout,
                     const BatchNormNormaliser<T>& bn, const BowView& docs, int64_t begin,
                     bool use_mask, EncoderBlock<T>& ws, LayerViews<T>& grad) {
  const int32_t h = layout.hidden(), k = layout.num_topics();
  auto g_mu = ws.g_mu.topRows(k), g_lv = ws.g_lv.topRows(k);
  grad.mu_shift += g_mu.rowwise().sum();
  grad.lv_shift += g_lv.rowwise().sum();
  BatchNormBackward<T>(bn, layout.bn_offset(BatchNormLayer::kMu), k, ws.count, params.mu_shift,
                       ws.mu, ws.g_mu);
  BatchNormBackward<T>(bn, layout.bn_offset(BatchNormLayer::kLogVar), k, ws.count, params.lv_shift,
                       ws.lv, ws.g_lv);
  const MatrixX<T>& input = use_mask ? ws.dropped : ws.h2;
  grad.mu_w.noalias() += g_mu * input.topRows(h).transpose();
  grad.lv_w.noalias() += g_lv * input.topRows(h).transpose();
  auto g = ws.g_hidden.topRows(h);
  g.noalias() = params.mu_w.transpose() * g_mu;
  g.noalias() += params.lv_w.transpose() * g_lv;
  if (use_mask) g.array() *= ws.mask.topRows(h).array();
  g.array() *= Sigmoid(ws.a2.topRows(h).array());  // now ∂loss/∂a2
  grad.enc2_w.noalias() += g * ws.h1.topRows(h).transpose();
  grad.enc2_b += g.rowwise().sum();
  // ∂loss/∂a1 reuses a2's rows: a2 is not needed any more.
  auto g1 = ws.a2.topRows(h);
  g1.noalias() = params.enc2_w.transpose() * g;
  g1.array() *= Sigmoid(ws.a1.topRows(h).array());
  grad.enc1_b += g1.leftCols(ws.count).rowwise().sum();
  for (int d = 0; d < ws.count; ++d) {
    const DocView doc = docs.doc(begin + d);
    for (size_t j = 0; j < doc.terms.size(); ++j) {
      if (j + kPrefetchTerms < doc.terms.size()) {
        PrefetchValues(grad.enc1_w.col(doc.terms[j + kPrefetchTerms]).data(), h);
      }
      grad.enc1_w.col(doc.terms[j]).noalias() += static_cast<T>(doc.counts[j]) * g1.col(d);
    }
  }
}

#define NTM_INSTANTIATE_ENCODER(T)                                                               \
  template struct BatchNormNormaliser<T>;                                                        \
  template void BatchNormBackward<T>(const BatchNormNormaliser<T>&, int64_t, int64_t, int,       \
                                     const Eigen::Ref<const VectorX<T>>&, const MatrixX<T>&,     \
                                     MatrixX<T>&);                                               \
  template void AddBatchNormGradientSums<T>(const MatrixX<T>&, const MatrixX<T>&, int64_t, int,  \
                                            const Eigen::Ref<const VectorX<T>>&, T*, T*);        \
  template void AddBatchNormSums<T>(const MatrixX<T>&, int64_t, int,                             \
                                    const Eigen::Ref<const VectorX<T>>&, T*, T*);                \
  template struct EncoderBlock<T>;                                                               \
  template void EncodeToHeads<T>(const LayerViews<const T>&, const ParameterLayout&,             \
                                 const BowView&, int64_t, bool, EncoderBlock<T>&);               \
  template void NormaliseHeads<T>(const LayerViews<const T>&, const ParameterLayout&,            \
                                  const BatchNormNormaliser<T>&, EncoderBlock<T>&);              \
  template void EncodeBlock<T>(const LayerViews<const T>&, const ParameterLayout&,               \
                               const BatchNormNormaliser<T>&, const BowView&, int64_t, bool,     \
                               EncoderBlock<T>&);                                                \
  template void EncoderBackward<T>(const LayerViews<const T>&, const ParameterLayout&,           \
                                   const BatchNormNormaliser<T>&, const BowView&, int64_t, bool, \
                                   EncoderBlock<T>&, LayerViews<T>&);

NTM_INSTANTIATE_ENCODER(float)
NTM_INSTANTIATE_ENCODER(double)

}  // namespace ntm
