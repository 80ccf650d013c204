#include "libvi/trainer.h"

#include <cmath>
#include <optional>
#include <string>

#include "libvi/base/errors.h"
#include "libvi/inference/classical_vi.h"
#include "libvi/rng.h"
#include "libvi/special_functions.h"

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
  const OnlineVbOptions& v = o.online;
  if (!(v.topic_word_prior > 0)) {
    e.push_back("train.topic_word_prior must be > 0" + GotValue(v.topic_word_prior));
  }
  if (!(v.offset >= 0)) e.push_back("train.online_offset must be >= 0" + GotValue(v.offset));
  if (!(v.decay > 0.5 && v.decay <= 1)) {
    e.push_back("train.online_decay must be in (0.5, 1]" + GotValue(v.decay));
  }
  if (v.estep_max_iter < 1) {
    e.push_back("train.estep_max_iter must be at least 1" + GotValue(v.estep_max_iter));
  }
  if (!(v.estep_tol > 0)) e.push_back("train.estep_tol must be > 0" + GotValue(v.estep_tol));
  if (!(v.corpus_docs >= 0)) {
    e.push_back("online VB corpus size must be >= 0" + GotValue(v.corpus_docs));
  }
  ThrowConfigErrors(e);
}

template <typename T>
BasicReduceBuffer<T>::BasicReduceBuffer(const ParameterLayout& layout)
    : grad_size_(layout.size()),
      bn_units_(layout.bn_total_units()),
      loss_offset_(grad_size_ + 2 * bn_units_ + kNumBatchNormLayers),
      values_(loss_offset_ + kNumLossTerms, T(0)) {}

// One block's scratch matrices. The exact pass keeps one per block of the
// local batch alive across its reductions; the one-reduction pass reuses one.
template <typename T>
struct BasicTrainer<T>::BlockState {
  explicit BlockState(const ParameterLayout& layout)
      : encoder(layout.hidden(), layout.num_topics()) {
    const int64_t kp = PaddedRows(layout.num_topics());
    for (MatrixX<T>* m : {&eps, &sigma, &theta, &g_z}) m->setZero(kp, kBlockDocs);
    if (layout.decoder() == DecoderKind::kProdLda) {
      prodlda.emplace(layout.vocab_size(), layout.num_topics());
    }
    doc_loss.assign(kBlockDocs, T(0));
  }

  int64_t begin = 0;        // first document of the block in the local batch
  EncoderBlock<T> encoder;  // encoder.count: documents in use
  std::optional<ProdLdaBlock<T>> prodlda;
  MatrixX<T> eps, sigma, theta, g_z;  // Kp×B: noise, σ, θ, ∂loss/∂z
  AlignedVector<T> doc_loss;          // reconstruction loss per document
};

// Scratch state of one accumulation, sized once.
template <typename T>
struct BasicTrainer<T>::Workspace {
  explicit Workspace(const ParameterLayout& layout) : layout(layout) {
    doc_topic_counts.setZero(layout.num_topics());
    batch_topic_counts.setZero(layout.num_topics());
  }
  // Block i, created on first use.
  BlockState& Block(size_t i) {
    while (blocks.size() <= i) blocks.push_back(std::make_unique<BlockState>(layout));
    return *blocks[i];
  }

  ParameterLayout layout;
  std::vector<std::unique_ptr<BlockState>> blocks;
  VectorX<T> doc_topic_counts;    // K: one document's expected topic counts
  VectorX<T> batch_topic_counts;  // K: their sum over the accumulated documents
  MatrixX<T> beta;                // K×V topics (lda), recomputed per accumulation
  MatrixX<T> theta_weights;       // K×V: Σ_d (n_dw / p_dw) θ_d (lda), per accumulation
  BatchNormNormaliser<T> norm;    // statistics (and gradient means) the pass normalises with
  AlignedVector<T> small;         // the exact pass's small reduction buffer
  double reconstruction = 0, kl = 0, tokens = 0;
  // Online VB (lda decoder): the E-step against exp(E[log β]), per accumulation.
  std::vector<float> topic_rows;     // the same K×V row-major: ClassicalVi's input
  std::optional<ClassicalVi> estep;  // classical VI against exp(E[log β])
  ClassicalViWorkspace estep_ws;
  AlignedVector<double> gamma;  // K: one document's γ
};

template <typename T>
BasicTrainer<T>::BasicTrainer(const ModelOptions& model_options, const TrainOptions& train_options)
    : BasicTrainer(BasicModel<T>(model_options), train_options) {}

template <typename T>
BasicTrainer<T>::BasicTrainer(BasicModel<T> model, const TrainOptions& train_options)
    : model_(std::move(model)),
      options_((ValidateTrainOptions(train_options), train_options)),
      adam_(model_.layout().size(), train_options.adam),
      ws_(std::make_unique<Workspace>(model_.layout())) {
  if (OnlineTopics()) {
    const BlockInfo& dec = model_.layout().block(ParamBlock::kDecWeight);
    adam_.Freeze(dec.offset, dec.offset + dec.size());
  }
}

template <typename T>
bool BasicTrainer<T>::OnlineTopics() const {
  return options_.topic_update == TopicUpdate::kOnlineVb &&
         model_.layout().decoder() == DecoderKind::kLda;
}

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
  Begin(pass);
  const bool gradients = pass == Pass::kGradients;
  LayerViews<T> grad(buffer.gradient().data(), model_.layout());
  for (int64_t begin = 0; begin < docs.num_docs(); begin += kBlockDocs) {
    BlockState& b = StartBlock(0, begin, docs, pass);
    AddHeadSums(b, buffer.bn_sum(), buffer.bn_sum_sq());
    ReparameteriseBlock(b);
    if (model_.layout().decoder() == DecoderKind::kLda) {
      if (gradients) LdaDecoderBlock(docs, b, grad.dec_w.data());
    } else {
      const BatchNormSums<T> sums{buffer.bn_sum(), buffer.bn_sum_sq()};
      ProdLdaBlockLoss<T>(model_.const_views(), model_.layout(), ws_->norm, docs, b.begin,
                          b.encoder.count, b.theta, std::span<T>(b.doc_loss), *b.prodlda,
                          gradients ? &b.g_z : nullptr, gradients ? &grad : nullptr, &sums);
    }
    if (!gradients) continue;
    KlBlock(docs, b);
    EncoderBackward<T>(model_.const_views(), model_.layout(), ws_->norm, docs, b.begin,
                       model_.options().dropout > 0, b.encoder, grad);
  }
  Finish(docs, pass, buffer);
}

template <typename T>
void BasicTrainer<T>::AccumulateExactGradients(const BowView& docs, const AllReduceSum& all_reduce,
                                               BasicReduceBuffer<T>& buffer) {
  Begin(Pass::kGradients);
  const int64_t num_blocks = (docs.num_docs() + kBlockDocs - 1) / kBlockDocs;
  for (int64_t i = 0; i < num_blocks; ++i) StartBlock(i, i * kBlockDocs, docs, Pass::kGradients);
  const double total = ReduceHeadStats(num_blocks, all_reduce, buffer);
  if (total > 0) {  // every rank sees the same total, so all skip or none
    LayerViews<T> grad(buffer.gradient().data(), model_.layout());
    for (int64_t i = 0; i < num_blocks; ++i) ReparameteriseBlock(ws_->Block(i));
    if (model_.layout().decoder() == DecoderKind::kLda) {
      for (int64_t i = 0; i < num_blocks; ++i) {
        LdaDecoderBlock(docs, ws_->Block(i), grad.dec_w.data());
      }
    } else {
      ExactProdLda(docs, num_blocks, total, all_reduce, buffer);
    }
    for (int64_t i = 0; i < num_blocks; ++i) KlBlock(docs, ws_->Block(i));
    ReduceHeadGradientStats(num_blocks, total, all_reduce);
    for (int64_t i = 0; i < num_blocks; ++i) {
      BlockState& b = ws_->Block(i);
      EncoderBackward<T>(model_.const_views(), model_.layout(), ws_->norm, docs, b.begin,
                         model_.options().dropout > 0, b.encoder, grad);
    }
  }
  Finish(docs, Pass::kGradients, buffer);
  CheckFinite(buffer, ("after accumulating " + std::to_string(docs.num_docs()) +
                       " local documents (exact batch norm)")
                          .c_str());
}

template <typename T>
void BasicTrainer<T>::Begin(Pass pass) {
  Workspace& ws = *ws_;
  const BatchNormState<T>& bn = model_.batch_norm();
  ws.norm =
      BatchNormNormaliser<T>::From(bn.batch_mean, bn.batch_var, model_.options().batch_norm_eps);
  if (model_.layout().decoder() == DecoderKind::kLda && pass == Pass::kGradients) {
    TopicsFromLogits<T>(model_.const_views().dec_w, ws.beta);
    if (UpdatingTopics()) {
      PrepareOnlineEStep();
    } else if (!OnlineTopics()) {
      ws.theta_weights.setZero(ws.beta.rows(), ws.beta.cols());
    }
    ws.batch_topic_counts.setZero();
  }
  ws.reconstruction = ws.kl = ws.tokens = 0;
}

template <typename T>
void BasicTrainer<T>::Finish(const BowView& docs, Pass pass, BasicReduceBuffer<T>& buffer) {
  const ParameterLayout& layout = model_.layout();
  const int64_t n = docs.num_docs();
  if (layout.decoder() == DecoderKind::kLda && pass == Pass::kGradients) {
    LayerViews<T> grad(buffer.gradient().data(), layout);
    if (!OnlineTopics()) {
      AddLdaLogitGradient<T>(ws_->beta, ws_->batch_topic_counts, ws_->theta_weights, grad.dec_w);
    }
  }
  for (BatchNormLayer l :
       {BatchNormLayer::kMu, BatchNormLayer::kLogVar, BatchNormLayer::kDecoder}) {
    if (layout.bn_units(l) > 0) buffer.bn_count(l) += static_cast<T>(n);
  }
  if (pass == Pass::kStats) return;
  buffer.loss(LossTerm::kReconstruction) += static_cast<T>(ws_->reconstruction);
  buffer.loss(LossTerm::kKl) += static_cast<T>(ws_->kl);
  buffer.loss(LossTerm::kTokens) += static_cast<T>(ws_->tokens);
  buffer.loss(LossTerm::kDocuments) += static_cast<T>(n);
}

template <typename T>
typename BasicTrainer<T>::BlockState& BasicTrainer<T>::StartBlock(int64_t index, int64_t begin,
                                                                  const BowView& docs, Pass pass) {
  BlockState& b = ws_->Block(index);
  const ParameterLayout& layout = model_.layout();
  const int32_t h = layout.hidden(), k = layout.num_topics();
  const double drop = model_.options().dropout;
  const T keep_scale = static_cast<T>(1.0 / (1.0 - drop));
  const uint64_t seed = options_.seed, step_index = static_cast<uint64_t>(step());
  const bool stats = pass == Pass::kStats;
  b.begin = begin;
  b.encoder.count = static_cast<int>(std::min<int64_t>(kBlockDocs, docs.num_docs() - begin));
  for (int d = 0; d < b.encoder.count; ++d) {
    const DocView doc = docs.doc(begin + d);
    CheckTermIds(doc, begin + d, layout.vocab_size());
    if (drop > 0) {
      CounterRng rng(seed, step_index, doc.key,
                     stats ? RngPurpose::kStatsDropout : RngPurpose::kDropout);
      for (int i = 0; i < h; ++i) b.encoder.mask(i, d) = rng.Uniform() < drop ? T(0) : keep_scale;
    }
    CounterRng noise(seed, step_index, doc.key,
                     stats ? RngPurpose::kStatsNoise : RngPurpose::kTrainNoise);
    noise.FillNormal(std::span<T>(b.eps.col(d).data(), k));
  }
  EncodeToHeads<T>(model_.const_views(), layout, docs, begin, drop > 0, b.encoder);
  return b;
}

template <typename T>
void BasicTrainer<T>::AddHeadSums(const BlockState& b, T* sum, T* sum_sq) const {
  const ParameterLayout& layout = model_.layout();
  const int32_t k = layout.num_topics();
  for (BatchNormLayer l : {BatchNormLayer::kMu, BatchNormLayer::kLogVar}) {
    const int64_t off = layout.bn_offset(l);
    const MatrixX<T>& z = l == BatchNormLayer::kMu ? b.encoder.z_mu : b.encoder.z_lv;
    // Centred on the installed batch mean, the same on every rank.
    const auto centre =
        Eigen::Map<const VectorX<T>>(model_.batch_norm().batch_mean.data() + off, k);
    AddBatchNormSums<T>(z, k, b.encoder.count, centre, sum + off, sum_sq + off);
  }
}

template <typename T>
void BasicTrainer<T>::ReparameteriseBlock(BlockState& b) {
  const int32_t k = model_.layout().num_topics();
  NormaliseHeads<T>(model_.const_views(), model_.layout(), ws_->norm, b.encoder);
  for (int d = 0; d < kBlockDocs; ++d) {
    if (d < b.encoder.count) {
      Reparameterise<T>(b.encoder.mu.col(d).head(k), b.encoder.lv.col(d).head(k),
                        b.eps.col(d).head(k), b.sigma.col(d).head(k), b.theta.col(d).head(k));
    } else {
      b.theta.col(d).setZero();  // padding: finite, contributes nothing
    }
  }
}

template <typename T>
void BasicTrainer<T>::LdaDecoderBlock(const BowView& docs, BlockState& b, T* topic_gradient) {
  Workspace& ws = *ws_;
  const int32_t k = model_.layout().num_topics();
  const bool online = OnlineTopics();
  for (int d = 0; d < b.encoder.count; ++d) {
    const DocView doc = docs.doc(b.begin + d);
    b.doc_loss[d] = LdaDocumentLoss<T>(ws.beta, doc, b.theta.col(d).head(k), b.g_z.col(d).head(k),
                                       ws.doc_topic_counts, online ? nullptr : &ws.theta_weights);
    if (!online) ws.batch_topic_counts += ws.doc_topic_counts;  // the logit gradient's
    if (UpdatingTopics()) OnlineEStep(doc, b.encoder.mu.col(d).head(k), topic_gradient);
  }
}

// exp(E[log β_kw]) = exp(ψ(λ_kw) − ψ(Σ_w λ_kw)) with λ = exp(dec_w), and the
// classical VI that runs the E-step against it.
template <typename T>
void BasicTrainer<T>::PrepareOnlineEStep() {
  Workspace& ws = *ws_;
  const auto logits = model_.const_views().dec_w;
  const int32_t k_topics = model_.layout().num_topics(), v = model_.layout().vocab_size();
  ws.topic_rows.resize(static_cast<size_t>(k_topics) * v);
  for (int32_t k = 0; k < k_topics; ++k) {
    double row_sum = 0;
    for (int32_t w = 0; w < v; ++w) row_sum += std::exp(static_cast<double>(logits(k, w)));
    const double digamma_sum = Digamma(row_sum);
    for (int32_t w = 0; w < v; ++w) {
      const double lambda = std::exp(static_cast<double>(logits(k, w)));
      const double e = std::exp(Digamma(lambda) - digamma_sum);
      ws.topic_rows[static_cast<size_t>(k) * v + w] = static_cast<float>(e);
    }
  }
  ClassicalViOptions vi;
  vi.max_iter = options_.online.estep_max_iter;
  vi.tol = options_.online.estep_tol;
  vi.normalized_topics = false;
  const double alpha = model_.options().alpha;
  ws.estep.emplace(TopicsView{k_topics, v, ws.topic_rows}, std::span<const double>(&alpha, 1), vi);
  ws.gamma.resize(k_topics);
}

// One document's E-step from γ = α + N softmax(μ), the encoder's posterior
// mean, adding its expected topic-term counts to `stats` (K×V column-major).
template <typename T>
void BasicTrainer<T>::OnlineEStep(const DocView& doc, ConstVecRef<T> mu, T* stats) {
  Workspace& ws = *ws_;
  const int32_t k_topics = model_.layout().num_topics(), v = model_.layout().vocab_size();
  double tokens = 0;
  for (uint32_t c : doc.counts) tokens += c;
  const double top = static_cast<double>(mu.maxCoeff());
  double norm = 0;
  for (int32_t k = 0; k < k_topics; ++k) norm += std::exp(static_cast<double>(mu[k]) - top);
  for (int32_t k = 0; k < k_topics; ++k) {
    ws.gamma[k] =
        model_.options().alpha + tokens * std::exp(static_cast<double>(mu[k]) - top) / norm;
  }
  ws.estep->InferFromWarmStart(doc, ws.estep_ws, ws.gamma);
  ws.estep->AddTopicStatistics(doc, ws.estep_ws,
                               std::span<T>(stats, static_cast<size_t>(k_topics) * v));
}

template <typename T>
void BasicTrainer<T>::KlBlock(const BowView& docs, BlockState& b) {
  Workspace& ws = *ws_;
  EncoderBlock<T>& enc = b.encoder;
  const int32_t k = model_.layout().num_topics();
  for (int d = 0; d < kBlockDocs; ++d) {
    enc.g_mu.col(d).setZero();
    enc.g_lv.col(d).setZero();
    if (d >= enc.count) continue;
    const DocView doc = docs.doc(b.begin + d);
    const auto mu = enc.mu.col(d).head(k), lv = enc.lv.col(d).head(k);
    const T kl = GaussianKl<T>(model_.prior(), mu, lv);
    if (!std::isfinite(b.doc_loss[d]) || !std::isfinite(kl)) {
      throw NumericalError("training step " + std::to_string(step()) + ": non-finite " +
                           (std::isfinite(kl) ? "reconstruction loss" : "KL term") +
                           " for document key " + std::to_string(doc.key));
    }
    AddGaussianKlGradient<T>(model_.prior(), mu, lv, enc.g_mu.col(d).head(k),
                             enc.g_lv.col(d).head(k));
    AddReparamGradient<T>(b.g_z.col(d).head(k), b.eps.col(d).head(k), b.sigma.col(d).head(k),
                          enc.g_mu.col(d).head(k), enc.g_lv.col(d).head(k));
    ws.reconstruction += b.doc_loss[d];
    ws.kl += kl;
    for (uint32_t c : doc.counts) ws.tokens += c;
  }
}

template <typename T>
double BasicTrainer<T>::ReduceHeadStats(int64_t num_blocks, const AllReduceSum& all_reduce,
                                        BasicReduceBuffer<T>& buffer) {
  // [Σ(z − m) | Σ(z − m)² | documents] over the head units (bn_offset order).
  const int64_t units = 2 * model_.layout().num_topics();
  AlignedVector<T>& small = ws_->small;
  small.assign(2 * units + 1, T(0));
  double local_docs = 0;
  for (int64_t i = 0; i < num_blocks; ++i) {
    const BlockState& b = ws_->Block(i);
    AddHeadSums(b, small.data(), small.data() + units);
    AddHeadSums(b, buffer.bn_sum(), buffer.bn_sum_sq());  // for the running averages
    local_docs += b.encoder.count;
  }
  small[2 * units] = static_cast<T>(local_docs);
  all_reduce(std::span<T>(small));
  const double total = small[2 * units];
  if (total > 0 && !heads_folded_) {
    ws_->norm.SetFromSums(0, units, small.data(), small.data() + units, total,
                          model_.options().batch_norm_eps);
  }
  return total;
}

template <typename T>
void BasicTrainer<T>::ExactProdLda(const BowView& docs, int64_t num_blocks, double total,
                                   const AllReduceSum& all_reduce, BasicReduceBuffer<T>& buffer) {
  Workspace& ws = *ws_;
  const ParameterLayout& layout = model_.layout();
  const auto params = model_.const_views();
  const int64_t v = layout.vocab_size(), off = layout.bn_offset(BatchNormLayer::kDecoder);
  const auto centre = Eigen::Map<const VectorX<T>>(model_.batch_norm().batch_mean.data() + off, v);
  ws.small.assign(2 * v, T(0));
  for (int64_t i = 0; i < num_blocks; ++i) {  // scores and their statistics
    BlockState& b = ws.Block(i);
    ProdLdaScores<T>(params, layout, b.theta, *b.prodlda);
    AddBatchNormSums<T>(b.prodlda->y, v, b.encoder.count, centre, ws.small.data(),
                        ws.small.data() + v);
    AddBatchNormSums<T>(b.prodlda->y, v, b.encoder.count, centre, buffer.bn_sum() + off,
                        buffer.bn_sum_sq() + off);
  }
  all_reduce(std::span<T>(ws.small));
  ws.norm.SetFromSums(off, v, ws.small.data(), ws.small.data() + v, total,
                      model_.options().batch_norm_eps);
  ws.small.assign(2 * v, T(0));
  for (int64_t i = 0; i < num_blocks; ++i) {  // losses and the gradient means
    BlockState& b = ws.Block(i);
    ProdLdaLoss<T>(params, layout, ws.norm, docs, b.begin, b.encoder.count,
                   std::span<T>(b.doc_loss), true, *b.prodlda);
    AddBatchNormGradientSums<T>(b.prodlda->g_y, b.prodlda->y, v, b.encoder.count, params.dec_shift,
                                ws.small.data(), ws.small.data() + v);
  }
  all_reduce(std::span<T>(ws.small));
  SetGradientMeans(off, v, total);
  LayerViews<T> grad(buffer.gradient().data(), layout);
  for (int64_t i = 0; i < num_blocks; ++i) {
    BlockState& b = ws.Block(i);
    ProdLdaBackward<T>(params, layout, ws.norm, b.encoder.count, b.theta, *b.prodlda, b.g_z, grad);
  }
}

template <typename T>
void BasicTrainer<T>::ReduceHeadGradientStats(int64_t num_blocks, double total,
                                              const AllReduceSum& all_reduce) {
  if (heads_folded_) return;  // the gradient means stay 0: no batch norm
  // [Σ g | Σ g ∘ ŷ] over the head units (bn_offset order).
  const ParameterLayout& layout = model_.layout();
  const auto params = model_.const_views();
  const int32_t k = layout.num_topics();
  const int64_t units = 2 * k, mu = layout.bn_offset(BatchNormLayer::kMu),
                lv = layout.bn_offset(BatchNormLayer::kLogVar);
  AlignedVector<T>& small = ws_->small;
  small.assign(2 * units, T(0));
  for (int64_t i = 0; i < num_blocks; ++i) {
    const BlockState& b = ws_->Block(i);
    const int count = b.encoder.count;
    AddBatchNormGradientSums<T>(b.encoder.g_mu, b.encoder.mu, k, count, params.mu_shift,
                                small.data() + mu, small.data() + units + mu);
    AddBatchNormGradientSums<T>(b.encoder.g_lv, b.encoder.lv, k, count, params.lv_shift,
                                small.data() + lv, small.data() + units + lv);
  }
  all_reduce(std::span<T>(small));
  SetGradientMeans(0, units, total);
}

template <typename T>
void BasicTrainer<T>::SetGradientMeans(int64_t offset, int64_t units, double total) {
  // ws_->small holds [Σ g | Σ g ∘ ŷ] for `units` units.
  const T* sums = ws_->small.data();
  for (int64_t i = 0; i < units; ++i) {
    ws_->norm.grad_mean[offset + i] = static_cast<T>(sums[i] / total);
    ws_->norm.grad_dot[offset + i] = static_cast<T>(sums[units + i] / total);
  }
}

template <typename T>
void BasicTrainer<T>::CheckFinite(const BasicReduceBuffer<T>& buffer, const char* where) const {
  CheckFiniteLosses(buffer, where);
  for (const BlockInfo& info : model_.layout().blocks()) {
    const Eigen::Map<const VectorX<T>> g(buffer.gradient().data() + info.offset, info.size());
    // A finite sum almost always means finite entries; confirm only when not.
    if (!std::isfinite(g.sum()) && !g.allFinite()) ThrowNonFiniteGradient(info, where);
  }
  CheckFiniteStats(buffer, where);
}

template <typename T>
void BasicTrainer<T>::CheckFiniteLosses(const BasicReduceBuffer<T>& buffer,
                                        const char* where) const {
  for (int t = 0; t < kNumLossTerms; ++t) {
    if (std::isfinite(buffer.loss(static_cast<LossTerm>(t)))) continue;
    static constexpr const char* kNames[] = {"reconstruction loss", "KL term", "token count",
                                             "document count"};
    throw NumericalError("training step " + std::to_string(step()) + ": non-finite " + kNames[t] +
                         " sum " + where);
  }
}

template <typename T>
void BasicTrainer<T>::CheckFiniteStats(const BasicReduceBuffer<T>& buffer,
                                       const char* where) const {
  const int64_t units = model_.layout().bn_total_units();
  const Eigen::Map<const VectorX<T>> stats(buffer.bn_sum(), 2 * units);
  if (!stats.allFinite()) {
    throw NumericalError("training step " + std::to_string(step()) +
                         ": non-finite batch-norm statistics " + where);
  }
}

template <typename T>
void BasicTrainer<T>::ThrowNonFiniteGradient(const BlockInfo& block, const char* where) const {
  throw NumericalError("training step " + std::to_string(step()) +
                       ": non-finite gradient in parameter block '" + std::string(block.name) +
                       "' " + where);
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
    if (units == 0 || (heads_folded_ && l != BatchNormLayer::kDecoder)) continue;
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

namespace {

// y = (W x − m) ∘ s + b with s = 1/√(v + ε) is y = (diag(s) W) x + (b − m ∘ s):
// the head keeps its outputs and its statistics become the identity (mean 0,
// variance 1 − ε, so that 1/√(v + ε) = 1).
template <typename T>
void FoldHead(BatchNormState<T>& bn, int64_t offset, double eps, Eigen::Map<MatrixX<T>> weight,
              Eigen::Map<VectorX<T>> shift) {
  for (int64_t i = 0; i < weight.rows(); ++i) {
    const int64_t u = offset + i;
    const double scale = 1.0 / std::sqrt(static_cast<double>(bn.running_var[u]) + eps);
    weight.row(i) *= static_cast<T>(scale);
    shift[i] -= static_cast<T>(static_cast<double>(bn.running_mean[u]) * scale);
    bn.running_mean[u] = bn.batch_mean[u] = T(0);
    bn.running_var[u] = bn.batch_var[u] = static_cast<T>(1.0 - eps);
  }
}

}  // namespace

template <typename T>
void BasicTrainer<T>::FoldHeadBatchNorm() {
  if (heads_folded_) return;
  const ParameterLayout& layout = model_.layout();
  LayerViews<T> p = model_.views();
  const double eps = model_.options().batch_norm_eps;
  FoldHead<T>(model_.batch_norm(), layout.bn_offset(BatchNormLayer::kMu), eps, p.mu_w, p.mu_shift);
  FoldHead<T>(model_.batch_norm(), layout.bn_offset(BatchNormLayer::kLogVar), eps, p.lv_w,
              p.lv_shift);
  model_.batch_norm().has_batch = model_.batch_norm().has_running = true;
  heads_folded_ = true;
}

template <typename T>
StepReport BasicTrainer<T>::ApplyStep(const BasicReduceBuffer<T>& reduced) {
  const double docs = ReducedDocuments(reduced);
  CheckFinite(reduced, "in the reduced buffer");
  return Update(reduced, reduced.gradient(), 0,
                std::sqrt(GradientSumOfSquares(reduced.gradient(), 0)) / docs);
}

// The part [lo, hi) of the slice [begin, begin + size) that holds dec_w (lo = hi if none).
template <typename T>
std::pair<int64_t, int64_t> BasicTrainer<T>::TopicLogitsWithin(int64_t begin, int64_t size) const {
  const BlockInfo& dec = model_.layout().block(ParamBlock::kDecWeight);
  const int64_t lo = std::clamp(dec.offset, begin, begin + size);
  return {lo, std::clamp(dec.offset + dec.size(), lo, begin + size)};
}

// Σ g² over the gradient slice at `begin`; with online VB not over the topic
// statistics in dec_w's slot (they are no gradient).
template <typename T>
double BasicTrainer<T>::GradientSumOfSquares(std::span<const T> grad, int64_t begin) const {
  if (!OnlineTopics()) return SumOfSquares<T>(grad);
  const auto [lo, hi] = TopicLogitsWithin(begin, static_cast<int64_t>(grad.size()));
  return SumOfSquares<T>(grad.first(lo - begin)) + SumOfSquares<T>(grad.subspan(hi - begin));
}

template <typename T>
ShardChecks BasicTrainer<T>::CheckGradientShard(std::span<const T> shard, int64_t begin) const {
  ShardChecks checks{};
  checks[0] = GradientSumOfSquares(shard, begin);
  if (std::isfinite(checks[0])) return checks;  // a non-finite entry makes the sum non-finite
  const int64_t end = begin + static_cast<int64_t>(shard.size());
  for (int b = 0; b < kNumParamBlocks; ++b) {
    const BlockInfo& info = model_.layout().blocks()[b];
    const int64_t lo = std::max(begin, info.offset), hi = std::min(end, info.offset + info.size());
    if (lo >= hi) continue;
    const Eigen::Map<const VectorX<T>> g(shard.data() + (lo - begin), hi - lo);
    checks[1 + b] = g.allFinite() ? 0.0 : 1.0;
  }
  return checks;
}

template <typename T>
StepReport BasicTrainer<T>::ApplyStepToShard(const BasicReduceBuffer<T>& reduced,
                                             std::span<const T> shard, int64_t begin,
                                             const ShardChecks& checks) {
  const double docs = ReducedDocuments(reduced);
  const char* where = "in the reduced buffer";
  CheckFiniteLosses(reduced, where);
  for (int b = 0; b < kNumParamBlocks; ++b) {
    if (checks[1 + b] != 0) ThrowNonFiniteGradient(model_.layout().blocks()[b], where);
  }
  CheckFiniteStats(reduced, where);
  return Update(reduced, shard, begin, std::sqrt(checks[0]) / docs);
}

template <typename T>
double BasicTrainer<T>::ReducedDocuments(const BasicReduceBuffer<T>& reduced) const {
  const double docs = reduced.loss(LossTerm::kDocuments);
  if (!(docs >= 1)) {
    throw InputError("training step " + std::to_string(step()) +
                     ": the reduced buffer holds no documents");
  }
  return docs;
}

// Adam on the parameters [begin, begin + grad.size()) and the batch's
// statistics; `gradient_norm` is the norm of the mean gradient.
template <typename T>
StepReport BasicTrainer<T>::Update(const BasicReduceBuffer<T>& reduced, std::span<const T> grad,
                                   int64_t begin, double gradient_norm) {
  const double docs = reduced.loss(LossTerm::kDocuments);
  StepReport report;
  report.gradient_norm = gradient_norm;
  double scale = 1.0 / docs;
  if (options_.clip_norm > 0 && report.gradient_norm > options_.clip_norm) {
    scale *= options_.clip_norm / report.gradient_norm;
  }
  report.learning_rate = adam_.learning_rate();
  adam_.UpdateSlice(model_.parameters().subspan(begin, grad.size()), grad, scale, begin);
  if (UpdatingTopics()) {
    UpdateTopics(model_.parameters().subspan(begin, grad.size()), grad, begin, docs);
  }
  InstallBatchNormStats(reduced);
  report.step = step();
  report.documents = docs;
  report.tokens = reduced.loss(LossTerm::kTokens);
  report.reconstruction = reduced.loss(LossTerm::kReconstruction) / docs;
  report.kl = reduced.loss(LossTerm::kKl) / docs;
  report.loss = report.reconstruction + report.kl;
  return report;
}

// Online VB's M-step on the part of dec_w inside the slice at `begin`:
// λ ← (1 − ρ) λ + ρ (η + D/B s), ρ = (τ0 + t)^−κ, t = this step's number.
// Element-wise, so each rank of the sharded step updates its own shard.
template <typename T>
void BasicTrainer<T>::UpdateTopics(std::span<T> params, std::span<const T> stats, int64_t begin,
                                   double docs) {
  const OnlineVbOptions& o = options_.online;
  const auto [lo, hi] = TopicLogitsWithin(begin, static_cast<int64_t>(params.size()));
  const double rho = std::pow(o.offset + static_cast<double>(step()), -o.decay);
  const double scale = o.corpus_docs > 0 ? o.corpus_docs / docs : 1.0;
  for (int64_t i = lo - begin; i < hi - begin; ++i) {
    const double lambda = (1 - rho) * std::exp(static_cast<double>(params[i])) +
                          rho * (o.topic_word_prior + scale * static_cast<double>(stats[i]));
    params[i] = static_cast<T>(std::log(lambda));
  }
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
  // Appended later: absent from older blobs, which trained by gradient.
  const OnlineVbOptions& v = options_.online;
  w.Put<int32_t>(static_cast<int32_t>(options_.topic_update));
  for (double x : {v.topic_word_prior, v.offset, v.decay, v.estep_tol, v.corpus_docs}) {
    w.Put<double>(x);
  }
  w.Put<int32_t>(v.estep_max_iter);
  w.Put<int32_t>(topics_frozen_ ? 1 : 0);
  w.Put<int32_t>(heads_folded_ ? 1 : 0);  // appended later still
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
  AlignedVector<T> m, v;
  bool frozen = false, folded = false;
  r.GetArray(m, model.layout().size());
  r.GetArray(v, model.layout().size());
  if (r.remaining() != 0) {
    const auto update = r.Get<int32_t>();
    if (update < 0 || update > static_cast<int32_t>(TopicUpdate::kOnlineVb)) {
      r.Fail("unknown topic update " + std::to_string(update));
    }
    o.topic_update = static_cast<TopicUpdate>(update);
    OnlineVbOptions& vb = o.online;
    for (double* x :
         {&vb.topic_word_prior, &vb.offset, &vb.decay, &vb.estep_tol, &vb.corpus_docs}) {
      *x = r.Get<double>();
    }
    vb.estep_max_iter = r.Get<int32_t>();
    frozen = r.Get<int32_t>() != 0;
  }
  if (r.remaining() != 0) folded = r.Get<int32_t>() != 0;
  if (r.remaining() != 0) r.Fail("unexpected trailing bytes");
  try {
    BasicTrainer trainer(std::move(model), o);
    trainer.adam_.Restore(std::move(m), std::move(v), updates, learning_rate);
    trainer.topics_frozen_ = frozen;
    trainer.heads_folded_ = folded;
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
