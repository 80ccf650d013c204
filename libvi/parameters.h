// The parameter layout of the AVITM model: one contiguous buffer holds every
// layer (so a training step all-reduces one buffer), with Eigen views per
// layer. Gradients use the same layout. Also the batch-norm state and the
// little byte-blob writer/reader used to serialise model state.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "libvi/aligned_vector.h"
#include "libvi/base/byte_reader.h"

namespace ntm {

// Which likelihood maps θ to word probabilities.
enum class DecoderKind : int32_t {
  kLda = 0,      // p(w|θ) = Σ_k θ_k β_kw, β = row-softmax of K×V logits
  kProdLda = 1,  // p(w|θ) = softmax(BN(θᵀW)) over the vocabulary
};

// "lda" or "prodlda".
std::string_view DecoderName(DecoderKind kind);
// Parses "lda" / "prodlda"; throws ConfigError naming the accepted values.
DecoderKind ParseDecoderKind(std::string_view name);

// The parameter blocks, in buffer order.
enum class ParamBlock : int {
  kEnc1Weight,    // H×V, column w = contribution of one count of term w
  kEnc1Bias,      // H
  kEnc2Weight,    // H×H
  kEnc2Bias,      // H
  kMuWeight,      // K×H (no bias: the batch-norm shift replaces it)
  kMuShift,       // K, learnable batch-norm shift of the μ head
  kLogVarWeight,  // K×H
  kLogVarShift,   // K, learnable batch-norm shift of the log σ² head
  kDecWeight,     // K×V: topic logits (lda) or W (prodlda)
  kDecShift,      // V, batch-norm shift of the prodlda decoder; empty for lda
  kCount,
};
inline constexpr int kNumParamBlocks = static_cast<int>(ParamBlock::kCount);

// Where one block lives in the flat buffer (column-major rows×cols).
struct BlockInfo {
  std::string_view name;
  int64_t offset = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  // Number of scalars in the block.
  int64_t size() const { return rows * cols; }
};

// Batch-norm layers; each has one statistic per unit.
enum class BatchNormLayer : int { kMu, kLogVar, kDecoder, kCount };
inline constexpr int kNumBatchNormLayers = static_cast<int>(BatchNormLayer::kCount);

// Sizes and offsets of every block for given model dimensions.
class ParameterLayout {
 public:
  // Layout for V terms, K topics, H hidden units and a decoder kind;
  // ConfigError if a size is not positive or the parameter count overflows.
  ParameterLayout(int32_t vocab_size, int32_t num_topics, int32_t hidden, DecoderKind decoder);

  // The block's name, offset and shape.
  const BlockInfo& block(ParamBlock b) const { return blocks_[static_cast<int>(b)]; }
  // All blocks in buffer order.
  std::span<const BlockInfo> blocks() const { return blocks_; }
  // Total number of parameters.
  int64_t size() const { return size_; }

  // Offset of a batch-norm layer's units in the per-unit statistic vectors.
  int64_t bn_offset(BatchNormLayer l) const { return bn_offsets_[static_cast<int>(l)]; }
  // Number of units of a batch-norm layer (0 for the lda decoder).
  int64_t bn_units(BatchNormLayer l) const { return bn_sizes_[static_cast<int>(l)]; }
  // Total batch-norm units over all layers.
  int64_t bn_total_units() const { return bn_total_; }

  int32_t vocab_size() const { return vocab_size_; }  // V
  int32_t num_topics() const { return num_topics_; }  // K
  int32_t hidden() const { return hidden_; }          // H
  DecoderKind decoder() const { return decoder_; }    // decoder kind

 private:
  int32_t vocab_size_, num_topics_, hidden_;
  DecoderKind decoder_;
  std::array<BlockInfo, kNumParamBlocks> blocks_;
  std::array<int64_t, kNumBatchNormLayers> bn_offsets_{}, bn_sizes_{};
  int64_t size_ = 0, bn_total_ = 0;
};

template <typename T>
using MatrixX = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using VectorX = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// Eigen views of every block over a buffer laid out by ParameterLayout.
// S is the scalar, const-qualified for read-only views (e.g. `const float`).
template <typename S>
struct LayerViews {
  using Scalar = std::remove_const_t<S>;
  using Mat = std::conditional_t<std::is_const_v<S>, Eigen::Map<const MatrixX<Scalar>>,
                                 Eigen::Map<MatrixX<Scalar>>>;
  using Vec = std::conditional_t<std::is_const_v<S>, Eigen::Map<const VectorX<Scalar>>,
                                 Eigen::Map<VectorX<Scalar>>>;

  // Views over `base`, which must hold layout.size() scalars.
  LayerViews(S* base, const ParameterLayout& layout)
      : enc1_w(Matrix(base, layout, ParamBlock::kEnc1Weight)),
        enc1_b(Vector(base, layout, ParamBlock::kEnc1Bias)),
        enc2_w(Matrix(base, layout, ParamBlock::kEnc2Weight)),
        enc2_b(Vector(base, layout, ParamBlock::kEnc2Bias)),
        mu_w(Matrix(base, layout, ParamBlock::kMuWeight)),
        mu_shift(Vector(base, layout, ParamBlock::kMuShift)),
        lv_w(Matrix(base, layout, ParamBlock::kLogVarWeight)),
        lv_shift(Vector(base, layout, ParamBlock::kLogVarShift)),
        dec_w(Matrix(base, layout, ParamBlock::kDecWeight)),
        dec_shift(Vector(base, layout, ParamBlock::kDecShift)) {}

  Mat enc1_w;     // H×V
  Vec enc1_b;     // H
  Mat enc2_w;     // H×H
  Vec enc2_b;     // H
  Mat mu_w;       // K×H
  Vec mu_shift;   // K
  Mat lv_w;       // K×H
  Vec lv_shift;   // K
  Mat dec_w;      // K×V
  Vec dec_shift;  // V (prodlda) or empty

 private:
  static Mat Matrix(S* base, const ParameterLayout& layout, ParamBlock b) {
    const BlockInfo& info = layout.block(b);
    return Mat(base + info.offset, info.rows, info.cols);
  }
  static Vec Vector(S* base, const ParameterLayout& layout, ParamBlock b) {
    const BlockInfo& info = layout.block(b);
    return Vec(base + info.offset, info.size());
  }
};

// Batch-norm statistics per unit, laid out by ParameterLayout::bn_offset.
template <typename T>
struct BatchNormState {
  // Statistics of the previous global training batch: training passes
  // normalise with these (constants in the gradient).
  AlignedVector<T> batch_mean, batch_var;
  // Exponential moving average of the batch statistics: used for evaluation.
  AlignedVector<T> running_mean, running_var;
  bool has_batch = false;    // batch statistics installed at least once
  bool has_running = false;  // running statistics initialised

  // Identity statistics (mean 0, variance 1) for `units` units.
  static BatchNormState Identity(int64_t units);
};

// Rows of a per-block workspace matrix: `n` rounded up to 16 so that every
// column starts on a 64-byte boundary and per-document column operations
// take the same code path whatever the document's position in the block.
inline int64_t PaddedRows(int64_t n) { return (n + 15) / 16 * 16; }

// Appends plain values and arrays to a byte blob (native little-endian).
class BlobWriter {
 public:
  // Appends the bytes of a trivially copyable value.
  template <typename V>
  void Put(const V& value) {
    static_assert(std::is_trivially_copyable_v<V>);
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    bytes_.insert(bytes_.end(), p, p + sizeof(V));
  }
  // Appends an array as (element size, count, elements).
  template <typename V>
  void PutArray(std::span<const V> values) {
    Put<uint32_t>(sizeof(V));
    Put<uint64_t>(values.size());
    const auto* p = reinterpret_cast<const uint8_t*>(values.data());
    bytes_.insert(bytes_.end(), p, p + values.size_bytes());
  }
  // The blob written so far.
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// Reads what BlobWriter wrote; throws InputError("<what>: ...") when short.
class BlobReader : public ByteReader {
 public:
  // Reads `bytes`; `what` names the blob in error messages.
  BlobReader(std::span<const uint8_t> bytes, std::string what)
      : ByteReader(bytes, std::move(what)) {}

  // Reads an array written with PutArray as float or double into `out`,
  // converting the precision; the count must equal `expected_count`.
  template <typename V>
  void GetArray(AlignedVector<V>& out, uint64_t expected_count);
  // Reads a byte array written with PutArray<uint8_t>.
  std::span<const uint8_t> GetBytes();
};

// Magic strings and format version of the serialised states.
inline constexpr std::array<char, 8> kModelBlobMagic = {'N', 'T', 'M', 'M', 'O', 'D', 'E', 'L'};
inline constexpr std::array<char, 8> kTrainerBlobMagic = {'N', 'T', 'M', 'T', 'R', 'A', 'I', 'N'};
inline constexpr uint32_t kStateBlobVersion = 1;

// Writes a magic string and kStateBlobVersion.
void WriteBlobHeader(BlobWriter& w, const std::array<char, 8>& magic);
// Reads and checks a magic string and the version; InputError if wrong.
void ReadBlobHeader(BlobReader& r, const std::array<char, 8>& magic);

// Throws one ConfigError joining every message, if there are any.
void ThrowConfigErrors(const std::vector<std::string>& errors);
// " (got <value>)", the suffix of a range-check message.
std::string GotValue(double value);

}  // namespace ntm
