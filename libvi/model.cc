#include "libvi/model.h"

#include <cmath>
#include <optional>
#include <string>

#include "libvi/base/errors.h"
#include "libvi/rng.h"

namespace ntm {
namespace {

// Fills a block with U(lo, hi) draws from its own stream.
template <typename T>
void FillUniform(std::span<T> values, CounterRng rng, double lo, double hi) {
  for (T& v : values) v = static_cast<T>(lo + (hi - lo) * rng.Uniform());
}

template <typename T>
void WriteModelOptions(BlobWriter& w, const ModelOptions& o) {
  w.Put<int32_t>(o.vocab_size);
  w.Put<int32_t>(o.num_topics);
  w.Put<int32_t>(o.hidden_units);
  w.Put<int32_t>(static_cast<int32_t>(o.decoder));
  w.Put<double>(o.dropout);
  w.Put<double>(o.alpha);
  w.Put<double>(o.batch_norm_eps);
  w.Put<double>(o.decoder_init_scale);
  w.Put<uint64_t>(o.init_seed);
  w.Put<uint32_t>(sizeof(T));
}

// Options as stored, with the writer's scalar size (its arrays' element size).
struct StoredOptions {
  ModelOptions options;
  uint32_t scalar_size = 0;
};

StoredOptions ReadModelOptions(BlobReader& r) {
  StoredOptions stored;
  ModelOptions& o = stored.options;
  o.vocab_size = r.Get<int32_t>();
  o.num_topics = r.Get<int32_t>();
  o.hidden_units = r.Get<int32_t>();
  const auto decoder = r.Get<int32_t>();
  if (decoder != 0 && decoder != 1) r.Fail("unknown decoder kind " + std::to_string(decoder));
  o.decoder = static_cast<DecoderKind>(decoder);
  o.dropout = r.Get<double>();
  o.alpha = r.Get<double>();
  o.batch_norm_eps = r.Get<double>();
  o.decoder_init_scale = r.Get<double>();
  o.init_seed = r.Get<uint64_t>();
  stored.scalar_size = r.Get<uint32_t>();  // arrays convert to the reader's precision
  try {
    ValidateModelOptions(o);
  } catch (const ConfigError& e) {
    r.Fail(std::string("invalid model options: ") + e.what());
  }
  return stored;
}

// Bytes of a model blob: `prefix` (header and options), the parameter array,
// four batch-norm arrays, two flags; nullopt if that overflows uint64.
std::optional<uint64_t> ModelBlobBytes(const ParameterLayout& layout, uint32_t scalar_size,
                                       uint64_t prefix) {
  constexpr uint64_t kArrayHeader = sizeof(uint32_t) + sizeof(uint64_t);
  // Fewer than 2^34 batch-norm units (3 layers of at most 2^31), so no overflow.
  const uint64_t bn_bytes = 4 * static_cast<uint64_t>(layout.bn_total_units()) * scalar_size;
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(layout.size()), scalar_size, &bytes) ||
      __builtin_add_overflow(bytes, prefix + 5 * kArrayHeader + bn_bytes + 2, &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

// InputError unless a blob of `blob_size` bytes, `remaining` of them after the
// options, can hold the arrays the options call for. Runs before the model is
// allocated, so forged sizes cost nothing.
void CheckBlobHoldsModel(const StoredOptions& stored, uint64_t blob_size, uint64_t remaining) {
  const ModelOptions& o = stored.options;
  const ParameterLayout layout(o.vocab_size, o.num_topics, o.hidden_units, o.decoder);
  // GetArray checks each array's own element size; any value but 8 counts as
  // 4 here, the smallest it accepts.
  const uint32_t element_size = stored.scalar_size == sizeof(double) ? 8 : 4;
  const auto needed = ModelBlobBytes(layout, element_size, blob_size - remaining);
  if (needed && *needed <= blob_size) return;
  throw InputError("model state: V=" + std::to_string(o.vocab_size) +
                   " K=" + std::to_string(o.num_topics) + " H=" + std::to_string(o.hidden_units) +
                   " needs " + (needed ? std::to_string(*needed) : "more than 2^64") +
                   " bytes, has " + std::to_string(blob_size));
}

}  // namespace

void ValidateModelOptions(const ModelOptions& o) {
  std::vector<std::string> e;
  if (o.vocab_size < 1) e.push_back("model.vocab_size must be at least 1" + GotValue(o.vocab_size));
  if (o.num_topics < 2) e.push_back("model.num_topics must be at least 2" + GotValue(o.num_topics));
  if (o.hidden_units < 1) {
    e.push_back("model.hidden_units must be at least 1" + GotValue(o.hidden_units));
  }
  if (!(o.dropout >= 0 && o.dropout < 1))
    e.push_back("model.dropout must be in [0, 1)" + GotValue(o.dropout));
  if (!(o.alpha > 0 && std::isfinite(o.alpha)))
    e.push_back("model.alpha must be > 0" + GotValue(o.alpha));
  if (!(o.batch_norm_eps > 0)) {
    e.push_back("model.batch_norm_eps must be > 0" + GotValue(o.batch_norm_eps));
  }
  if (!(o.decoder_init_scale >= 0)) {
    e.push_back("model.decoder_init_scale must be >= 0" + GotValue(o.decoder_init_scale));
  }
  if (o.vocab_size >= 1 && o.num_topics >= 1 && o.hidden_units >= 1) {
    try {  // the parameter count must fit int64
      [[maybe_unused]] const ParameterLayout layout(o.vocab_size, o.num_topics, o.hidden_units,
                                                    o.decoder);
    } catch (const ConfigError& too_large) {
      e.push_back(too_large.what());
    }
  }
  ThrowConfigErrors(e);
}

// ---------------------------------------------------------------- BasicModel

template <typename T>
BasicModel<T>::BasicModel(const ModelOptions& options)
    : options_((ValidateModelOptions(options), options)),
      layout_(options.vocab_size, options.num_topics, options.hidden_units, options.decoder),
      prior_(LaplacePrior<T>::Symmetric(options.num_topics, options.alpha)),
      params_(layout_.size(), T(0)),
      bn_(BatchNormState<T>::Identity(layout_.bn_total_units())) {
  Initialise();
}

template <typename T>
void BasicModel<T>::Initialise() {
  // PyTorch's Linear default U(±1/√fan_in) for the encoder; shifts start at 0.
  const double v = options_.vocab_size, h = options_.hidden_units;
  const std::array<double, kNumParamBlocks> bound = {1 / std::sqrt(v),
                                                     1 / std::sqrt(v),
                                                     1 / std::sqrt(h),
                                                     1 / std::sqrt(h),
                                                     1 / std::sqrt(h),
                                                     0,
                                                     1 / std::sqrt(h),
                                                     0,
                                                     0,
                                                     0};
  for (int b = 0; b < kNumParamBlocks; ++b) {
    const BlockInfo& info = layout_.blocks()[b];
    std::span<T> values(params_.data() + info.offset, info.size());
    CounterRng rng(options_.init_seed, b, 0, RngPurpose::kInit);
    if (bound[b] > 0) FillUniform<T>(values, rng, -bound[b], bound[b]);
  }
  const BlockInfo& dec = layout_.block(ParamBlock::kDecWeight);
  std::span<T> dec_values(params_.data() + dec.offset, dec.size());
  CounterRng rng(options_.init_seed, static_cast<int>(ParamBlock::kDecWeight), 0,
                 RngPurpose::kInit);
  if (options_.decoder == DecoderKind::kLda) {
    // Random logits break the symmetry between topics.
    rng.FillNormal(dec_values);
    for (T& x : dec_values) x *= static_cast<T>(options_.decoder_init_scale);
  } else {
    FillUniform<T>(dec_values, rng, 0.0, 1.0);  // AVITM's prodlda init
  }
}

template <typename T>
void BasicModel<T>::RequireLdaDecoder(std::string_view use) const {
  if (options_.decoder == DecoderKind::kLda) return;
  throw ConfigError(std::string(use) +
                    " needs the topic-word matrix beta of the 'lda' decoder, but this model "
                    "uses the 'prodlda' decoder (its topics are not word distributions mixed "
                    "linearly); train with model.decoder: lda");
}

template <typename T>
MatrixX<T> BasicModel<T>::TopicMatrix() const {
  RequireLdaDecoder("the topic matrix");
  MatrixX<T> beta;
  TopicsFromLogits<T>(views().dec_w, beta);
  return beta;
}

template <typename T>
std::vector<float> BasicModel<T>::TopicMatrixRowMajor() const {
  const MatrixX<T> beta = TopicMatrix();
  std::vector<float> out(beta.size());
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      out.data(), beta.rows(), beta.cols()) = beta.template cast<float>();
  return out;
}

template <typename T>
std::vector<float> BasicModel<T>::TopicWordScores() const {
  const auto w = views().dec_w;
  std::vector<float> out(w.size());
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      out.data(), w.rows(), w.cols()) = w.template cast<float>();
  return out;
}

template <typename T>
std::vector<uint8_t> BasicModel<T>::Serialize() const {
  BlobWriter w;
  WriteBlobHeader(w, kModelBlobMagic);
  WriteModelOptions<T>(w, options_);
  w.PutArray<T>(params_);
  for (const auto* v : {&bn_.batch_mean, &bn_.batch_var, &bn_.running_mean, &bn_.running_var}) {
    w.PutArray<T>(*v);
  }
  w.Put<uint8_t>(bn_.has_batch);
  w.Put<uint8_t>(bn_.has_running);
  return std::move(w.bytes());
}

template <typename T>
BasicModel<T> BasicModel<T>::Deserialize(std::span<const uint8_t> blob) {
  BlobReader r(blob, "model state");
  const auto magic = r.Get<std::array<char, 8>>();
  if (magic == kTrainerBlobMagic) {
    BlobReader trainer(blob, "training state");
    ReadBlobHeader(trainer, kTrainerBlobMagic);
    return Deserialize(trainer.GetBytes());
  }
  BlobReader model(blob, "model state");
  ReadBlobHeader(model, kModelBlobMagic);
  const StoredOptions stored = ReadModelOptions(model);
  CheckBlobHoldsModel(stored, blob.size(), model.remaining());
  BasicModel m(stored.options);  // the random init is overwritten below
  model.GetArray(m.params_, m.layout_.size());
  const uint64_t units = m.layout_.bn_total_units();
  for (auto* v : {&m.bn_.batch_mean, &m.bn_.batch_var, &m.bn_.running_mean, &m.bn_.running_var}) {
    model.GetArray(*v, units);
  }
  m.bn_.has_batch = model.Get<uint8_t>() != 0;
  m.bn_.has_running = model.Get<uint8_t>() != 0;
  if (model.remaining() != 0) model.Fail("unexpected trailing bytes");
  return m;
}

template class BasicModel<float>;
template class BasicModel<double>;

}  // namespace ntm
