#include "libvi/trainer.h"

#include <cmath>
#include <optional>
#include <string>

#include "libvi/errors.h"
#include "libvi/rng.h"

namespace ntm {

void ValidateTrainOptions(const TrainOptions& o) {
  std::vector<std::string> e;
  const AdamOptions& a = o.adam;
  if (o.batch_size < 1) e.push_back("train.batch_size must be at least 1" + GotValue(o.batch_size));
  if (!(a.learning_rate > 0)) {
    e.push_back("train.learning_rate must be > 0" + GotValue(a.learning_rate));
  }
  if (!(a.beta1 >= 0 && a.beta1 < 1)) {
    e.push_back("train.adam_beta1 must be in [0, 1)" + GotValue(a.beta1));
  }
  if (!(a.beta2 >= 0 && a.beta2 < 1)) {
    e.push_back("train.adam_beta2 must be in [0, 1)" + GotValue(a.beta2));
  }
  if (!(a.epsilon > 0)) e.push_back("train.adam_epsilon must be > 0" + GotValue(a.epsilon));
  if (!(o.clip_norm >= 0)) {
    e.push_back("train.clip_norm must be >= 0 (0 = off)" + GotValue(o.clip_norm));
  }
  if (!(o.batch_norm_momentum > 0 && o.batch_norm_momentum <= 1)) {
    e.push_back("train.batch_norm_momentum must be in (0, 1]" + GotValue(o.batch_norm_momentum));
  }
  ThrowConfigErrors(e);
}

template <typename T>
BasicReduceBuffer<T>::BasicReduceBuffer(const ParameterLayout& layout)
    : grad_size_(layout.size()),
      bn_units_(layout.bn_total_units()),
      loss_offset_(grad_size_ + 2 * bn_units_ + kNumBatchNormLayers),
      values_(loss_offset_ + kNumLossTerms, T(0)) {}

// Scratch matrices of one trainer, sized once for a block of documents.
template <typename T>
struct BasicTrainer<T>::Workspace {
  explicit Workspace(const ParameterLayout& layout)
      : encoder(layout.hidden(), layout.num_topics()) {
    const int64_t kp = PaddedRows(layout.num_topics());
    for (MatrixX<T>* m : {&eps, &sigma, &theta, &g_z}) m->setZero(kp, kBlockDocs);
    doc_topic_counts.setZero(layout.num_topics());
    batch_topic_counts.setZero(layout.num_topics());
    if (layout.decoder() == DecoderKind::kProdLda) {
      prodlda.emplace(layout.vocab_size(), layout.num_topics());
    }
    doc_loss.assign(kBlockDocs, T(0));
  }

  EncoderBlock<T> encoder;
  std::optional<ProdLdaBlock<T>> prodlda;
  MatrixX<T> eps, sigma, theta, g_z;  // Kp×B: noise, σ, θ, ∂loss/∂z
  VectorX<T> doc_topic_counts;        // K: one document's expected topic counts
  VectorX<T> batch_topic_counts;      // K: their sum over the accumulated documents
  MatrixX<T> beta;                    // K×V topics (lda), recomputed per accumulation
  BatchNormNormaliser<T> norm;        // the previous global batch's statistics
  std::vector<T> doc_loss;            // reconstruction loss per document of the block
  double reconstruction = 0, kl = 0, tokens = 0;
};

template <typename T>
BasicTrainer<T>::BasicTrainer(const ModelOptions& model_options, const TrainOptions& train_options)
    : BasicTrainer(BasicModel<T>(model_options), train_options) {}

template <typename T>
BasicTrainer<T>::BasicTrainer(BasicModel<T> model, const TrainOptions& train_options)
    : model_(std::move(model)),
      options_((ValidateTrainOptions(train_options), train_options)),
      adam_(model_.layout().size(), train_options.adam),
      ws_(std::make_unique<Workspace>(model_.layout())) {}

template <typename T>
BasicTrainer<T>::~BasicTrainer() = default;
template <typename T>
BasicTrainer<T>::BasicTrainer(BasicTrainer&&) noexcept = default;
template <typename T>
BasicTrainer<T>& BasicTrainer<T>::operator=(BasicTrainer&&) noexcept = default;

template <typename T>
void BasicTrainer<T>::AccumulateBatchNormStats(const BowView& docs, BasicReduceBuffer<T>& buffer) {
  Accumulate(docs, Pass::kStats, buffer);
}

template <typename T>
void BasicTrainer<T>::AccumulateGradients(const BowView& docs, BasicReduceBuffer<T>& buffer) {
  if (!model_.batch_norm().has_batch) {
    throw ConfigError(
        "training step before any batch-norm statistics: run AccumulateBatchNormStats, "
        "all-reduce, ApplyBatchNormStats once before the first step");
  }
  Accumulate(docs, Pass::kGradients, buffer);
  CheckFinite(
      buffer,
      ("after accumulating " + std::to_string(docs.num_docs()) + " local documents").c_str());
}

template <typename T>
void BasicTrainer<T>::Accumulate(const BowView& docs, Pass pass, BasicReduceBuffer<T>& buffer) {
  Workspace& ws = *ws_;
  const ParameterLayout& layout = model_.layout();
  const BatchNormState<T>& bn = model_.batch_norm();
  ws.norm =
      BatchNormNormaliser<T>::From(bn.batch_mean, bn.batch_var, model_.options().batch_norm_eps);
  const bool lda = layout.decoder() == DecoderKind::kLda;
  if (lda && pass == Pass::kGradients) {
    TopicsFromLogits<T>(model_.const_views().dec_w, ws.beta);
    ws.batch_topic_counts.setZero();
  }
  ws.reconstruction = ws.kl = ws.tokens = 0;
  const int64_t n = docs.num_docs();
  for (int64_t begin = 0; begin < n; begin += kBlockDocs) {
    ws.encoder.count = static_cast<int>(std::min<int64_t>(kBlockDocs, n - begin));
    PrepareBlock(docs, begin, pass);
    AccumulateStats(buffer);
    DecoderBlock(docs, begin, pass, buffer);
    if (pass == Pass::kGradients) KlAndReparamBlock(docs, begin, buffer);
  }
  if (lda && pass == Pass::kGradients) {
    LayerViews<T> grad(buffer.gradient().data(), layout);
    AddLdaNormalisationGradient<T>(ws.beta, ws.batch_topic_counts, grad.dec_w);
  }
  for (BatchNormLayer l :
       {BatchNormLayer::kMu, BatchNormLayer::kLogVar, BatchNormLayer::kDecoder}) {
    if (layout.bn_units(l) > 0) buffer.bn_count(l) += static_cast<T>(n);
  }
  if (pass == Pass::kStats) return;
  buffer.loss(LossTerm::kReconstruction) += static_cast<T>(ws.reconstruction);
  buffer.loss(LossTerm::kKl) += static_cast<T>(ws.kl);
  buffer.loss(LossTerm::kTokens) += static_cast<T>(ws.tokens);
  buffer.loss(LossTerm::kDocuments) += static_cast<T>(n);
}

template <typename T>
void BasicTrainer<T>::PrepareBlock(const BowView& docs, int64_t begin, Pass pass) {
  Workspace& ws = *ws_;
  const ParameterLayout& layout = model_.layout();
  const int32_t h = layout.hidden(), k = layout.num_topics();
  const double drop = model_.options().dropout;
  const bool use_mask = drop > 0;
  const T keep_scale = static_cast<T>(1.0 / (1.0 - drop));
  const uint64_t seed = options_.seed, step_index = static_cast<uint64_t>(step());
  const bool stats = pass == Pass::kStats;
  for (int d = 0; d < ws.encoder.count; ++d) {
    const DocView doc = docs.doc(begin + d);
    CheckTermIds(doc, begin + d, layout.vocab_size());
    if (use_mask) {
      CounterRng rng(seed, step_index, doc.key,
                     stats ? RngPurpose::kStatsDropout : RngPurpose::kDropout);
      for (int i = 0; i < h; ++i) ws.encoder.mask(i, d) = rng.Uniform() < drop ? T(0) : keep_scale;
    }
    CounterRng noise(seed, step_index, doc.key,
                     stats ? RngPurpose::kStatsNoise : RngPurpose::kTrainNoise);
    noise.FillNormal(std::span<T>(ws.eps.col(d).data(), k));
  }
  EncodeBlock<T>(model_.const_views(), layout, ws.norm, docs, begin, use_mask, ws.encoder);
  for (int d = 0; d < kBlockDocs; ++d) {
    if (d < ws.encoder.count) {
      Reparameterise<T>(ws.encoder.mu.col(d).head(k), ws.encoder.lv.col(d).head(k),
                        ws.eps.col(d).head(k), ws.sigma.col(d).head(k), ws.theta.col(d).head(k));
    } else {
      ws.theta.col(d).setZero();  // padding: finite, contributes nothing
    }
  }
}

template <typename T>
void BasicTrainer<T>::AccumulateStats(BasicReduceBuffer<T>& buffer) {
  const Workspace& ws = *ws_;
  const ParameterLayout& layout = model_.layout();
  const int32_t k = layout.num_topics();
  for (BatchNormLayer l : {BatchNormLayer::kMu, BatchNormLayer::kLogVar}) {
    const int64_t off = layout.bn_offset(l);
    const MatrixX<T>& z = l == BatchNormLayer::kMu ? ws.encoder.z_mu : ws.encoder.z_lv;
    AddBatchNormSums<T>(z, k, ws.encoder.count, ws.norm.mean.segment(off, k), buffer.bn_sum() + off,
                        buffer.bn_sum_sq() + off);
  }
}

template <typename T>
void BasicTrainer<T>::DecoderBlock(const BowView& docs, int64_t begin, Pass pass,
                                   BasicReduceBuffer<T>& buffer) {
  Workspace& ws = *ws_;
  const ParameterLayout& layout = model_.layout();
  const int count = ws.encoder.count;
  const bool gradients = pass == Pass::kGradients;
  LayerViews<T> grad(buffer.gradient().data(), layout);
  if (layout.decoder() == DecoderKind::kLda) {
    if (!gradients) return;  // the lda decoder has no batch norm
    const int32_t k = layout.num_topics();
    for (int d = 0; d < count; ++d) {
      ws.doc_loss[d] = LdaDocumentLoss<T>(ws.beta, docs.doc(begin + d), ws.theta.col(d).head(k),
                                          ws.g_z.col(d).head(k), ws.doc_topic_counts, &grad.dec_w);
      ws.batch_topic_counts += ws.doc_topic_counts;
    }
    return;
  }
  const int64_t off = layout.bn_offset(BatchNormLayer::kDecoder);
  const BatchNormSums<T> sums{buffer.bn_sum() + off, buffer.bn_sum_sq() + off};
  ProdLdaBlockLoss<T>(model_.const_views(), layout, ws.norm, docs, begin, count, ws.theta,
                      std::span<T>(ws.doc_loss.data(), count), *ws.prodlda,
                      gradients ? &ws.g_z : nullptr, gradients ? &grad : nullptr, &sums);
}

template <typename T>
void BasicTrainer<T>::KlAndReparamBlock(const BowView& docs, int64_t begin,
                                        BasicReduceBuffer<T>& buffer) {
  Workspace& ws = *ws_;
  EncoderBlock<T>& enc = ws.encoder;
  const int32_t k = model_.layout().num_topics();
  for (int d = 0; d < kBlockDocs; ++d) {
    enc.g_mu.col(d).setZero();
    enc.g_lv.col(d).setZero();
    if (d >= enc.count) continue;
    const DocView doc = docs.doc(begin + d);
    const auto mu = enc.mu.col(d).head(k), lv = enc.lv.col(d).head(k);
    const T kl = GaussianKl<T>(model_.prior(), mu, lv);
    if (!std::isfinite(ws.doc_loss[d]) || !std::isfinite(kl)) {
      throw NumericalError("training step " + std::to_string(step()) + ": non-finite " +
                           (std::isfinite(kl) ? "reconstruction loss" : "KL term") +
                           " for document key " + std::to_string(doc.key));
    }
    AddGaussianKlGradient<T>(model_.prior(), mu, lv, enc.g_mu.col(d).head(k),
                             enc.g_lv.col(d).head(k));
    AddReparamGradient<T>(ws.g_z.col(d).head(k), ws.eps.col(d).head(k), ws.sigma.col(d).head(k),
                          enc.g_mu.col(d).head(k), enc.g_lv.col(d).head(k));
    ws.reconstruction += ws.doc_loss[d];
    ws.kl += kl;
    for (uint32_t c : doc.counts) ws.tokens += c;
  }
  LayerViews<T> grad(buffer.gradient().data(), model_.layout());
  EncoderBackward<T>(model_.const_views(), model_.layout(), ws.norm, docs, begin,
                     model_.options().dropout > 0, enc, grad);
}

template <typename T>
void BasicTrainer<T>::CheckFinite(const BasicReduceBuffer<T>& buffer, const char* where) const {
  const std::string prefix = "training step " + std::to_string(step()) + ": non-finite ";
  for (int t = 0; t < kNumLossTerms; ++t) {
    if (std::isfinite(buffer.loss(static_cast<LossTerm>(t)))) continue;
    static constexpr const char* kNames[] = {"reconstruction loss", "KL term", "token count",
                                             "document count"};
    throw NumericalError(prefix + kNames[t] + " sum " + where);
  }
  for (const BlockInfo& info : model_.layout().blocks()) {
    const Eigen::Map<const VectorX<T>> g(buffer.gradient().data() + info.offset, info.size());
    // A finite sum almost always means finite entries; confirm only when not.
    if (!std::isfinite(g.sum()) && !g.allFinite()) {
      throw NumericalError(prefix + "gradient in parameter block '" + std::string(info.name) +
                           "' " + where);
    }
  }
  const int64_t units = model_.layout().bn_total_units();
  const Eigen::Map<const VectorX<T>> stats(buffer.bn_sum(), 2 * units);
  if (!stats.allFinite()) throw NumericalError(prefix + "batch-norm statistics " + where);
}

template <typename T>
void BasicTrainer<T>::ApplyBatchNormStats(const BasicReduceBuffer<T>& reduced) {
  InstallBatchNormStats(reduced);
}

template <typename T>
void BasicTrainer<T>::InstallBatchNormStats(const BasicReduceBuffer<T>& reduced) {
  const ParameterLayout& layout = model_.layout();
  BatchNormState<T>& bn = model_.batch_norm();
  const T momentum = static_cast<T>(options_.batch_norm_momentum);
  for (BatchNormLayer l :
       {BatchNormLayer::kMu, BatchNormLayer::kLogVar, BatchNormLayer::kDecoder}) {
    const int64_t units = layout.bn_units(l), off = layout.bn_offset(l);
    if (units == 0) continue;
    const double n = reduced.bn_count(l);
    if (!(n >= 1)) {
      throw InputError("training step " + std::to_string(step()) +
                       ": the reduced buffer holds no batch-norm statistics");
    }
    for (int64_t i = off; i < off + units; ++i) {
      const double d1 = reduced.bn_sum()[i] / n;
      const T mean = static_cast<T>(bn.batch_mean[i] + d1);
      const T var = static_cast<T>(std::max(0.0, reduced.bn_sum_sq()[i] / n - d1 * d1));
      if (!std::isfinite(mean) || !std::isfinite(var)) {
        throw NumericalError("training step " + std::to_string(step()) +
                             ": non-finite batch-norm statistics");
      }
      bn.batch_mean[i] = mean;
      bn.batch_var[i] = var;
      bn.running_mean[i] =
          bn.has_running ? (1 - momentum) * bn.running_mean[i] + momentum * mean : mean;
      bn.running_var[i] =
          bn.has_running ? (1 - momentum) * bn.running_var[i] + momentum * var : var;
    }
  }
  bn.has_batch = bn.has_running = true;
}

template <typename T>
StepReport BasicTrainer<T>::ApplyStep(const BasicReduceBuffer<T>& reduced) {
  const double docs = reduced.loss(LossTerm::kDocuments);
  if (!(docs >= 1)) {
    throw InputError("training step " + std::to_string(step()) +
                     ": the reduced buffer holds no documents");
  }
  CheckFinite(reduced, "in the reduced buffer");
  StepReport report;
  report.gradient_norm = EuclideanNorm<T>(reduced.gradient()) / docs;
  double scale = 1.0 / docs;
  if (options_.clip_norm > 0 && report.gradient_norm > options_.clip_norm) {
    scale *= options_.clip_norm / report.gradient_norm;
  }
  report.learning_rate = adam_.learning_rate();
  adam_.Update(model_.parameters(), reduced.gradient(), scale);
  InstallBatchNormStats(reduced);
  report.step = step();
  report.documents = docs;
  report.tokens = reduced.loss(LossTerm::kTokens);
  report.reconstruction = reduced.loss(LossTerm::kReconstruction) / docs;
  report.kl = reduced.loss(LossTerm::kKl) / docs;
  report.loss = report.reconstruction + report.kl;
  return report;
}

template <typename T>
std::vector<uint8_t> BasicTrainer<T>::Serialize() const {
  BlobWriter w;
  WriteBlobHeader(w, kTrainerBlobMagic);
  const std::vector<uint8_t> model = model_.Serialize();
  w.PutArray<uint8_t>(model);
  w.Put<int32_t>(options_.batch_size);
  for (double x : {options_.adam.learning_rate, options_.adam.beta1, options_.adam.beta2,
                   options_.adam.epsilon, options_.clip_norm, options_.batch_norm_momentum}) {
    w.Put<double>(x);
  }
  w.Put<uint64_t>(options_.seed);
  w.Put<int64_t>(adam_.updates());
  w.Put<double>(adam_.learning_rate());
  w.PutArray<T>(adam_.first_moment());
  w.PutArray<T>(adam_.second_moment());
  return std::move(w.bytes());
}

template <typename T>
BasicTrainer<T> BasicTrainer<T>::Deserialize(std::span<const uint8_t> blob) {
  BlobReader r(blob, "training state");
  ReadBlobHeader(r, kTrainerBlobMagic);
  BasicModel<T> model = BasicModel<T>::Deserialize(r.GetBytes());
  TrainOptions o;
  o.batch_size = r.Get<int32_t>();
  for (double* x : {&o.adam.learning_rate, &o.adam.beta1, &o.adam.beta2, &o.adam.epsilon,
                    &o.clip_norm, &o.batch_norm_momentum}) {
    *x = r.Get<double>();
  }
  o.seed = r.Get<uint64_t>();
  const auto updates = r.Get<int64_t>();
  const auto learning_rate = r.Get<double>();
  std::vector<T> m, v;
  r.GetArray(m, model.layout().size());
  r.GetArray(v, model.layout().size());
  if (r.remaining() != 0) r.Fail("unexpected trailing bytes");
  try {
    BasicTrainer trainer(std::move(model), o);
    trainer.adam_.Restore(std::move(m), std::move(v), updates, learning_rate);
    return trainer;
  } catch (const ConfigError& e) {
    r.Fail(std::string("invalid training options: ") + e.what());
  }
}

template class BasicReduceBuffer<float>;
template class BasicReduceBuffer<double>;
template class BasicTrainer<float>;
template class BasicTrainer<double>;

}  // namespace ntm
