#include "libvi/parameters.h"

#include <sstream>

#include "libvi/base/errors.h"

namespace ntm {

std::string_view DecoderName(DecoderKind kind) {
  return kind == DecoderKind::kLda ? "lda" : "prodlda";
}

DecoderKind ParseDecoderKind(std::string_view name) {
  if (name == "lda") return DecoderKind::kLda;
  if (name == "prodlda") return DecoderKind::kProdLda;
  throw ConfigError("unknown decoder '" + std::string(name) + "' (expected lda or prodlda)");
}

namespace {

std::string SizesText(int32_t v, int32_t k, int32_t h) {
  return "V=" + std::to_string(v) + " K=" + std::to_string(k) + " H=" + std::to_string(h);
}

// Block shapes (offsets still 0) for V, K, H; each side fits in int32, so
// every block has fewer than 2^62 scalars.
std::array<BlockInfo, kNumParamBlocks> BlockShapes(int64_t v, int64_t k, int64_t h,
                                                   DecoderKind decoder) {
  const int64_t shift_rows = decoder == DecoderKind::kProdLda ? v : 0;
  return {{
      {"encoder1.weight", 0, h, v},
      {"encoder1.bias", 0, h, 1},
      {"encoder2.weight", 0, h, h},
      {"encoder2.bias", 0, h, 1},
      {"mu.weight", 0, k, h},
      {"mu.bn_shift", 0, k, 1},
      {"logvar.weight", 0, k, h},
      {"logvar.bn_shift", 0, k, 1},
      {decoder == DecoderKind::kLda ? "decoder.topic_logits" : "decoder.weight", 0, k, v},
      {"decoder.bn_shift", 0, shift_rows, 1},
  }};
}

}  // namespace

ParameterLayout::ParameterLayout(int32_t vocab_size, int32_t num_topics, int32_t hidden,
                                 DecoderKind decoder)
    : vocab_size_(vocab_size), num_topics_(num_topics), hidden_(hidden), decoder_(decoder) {
  if (vocab_size < 1 || num_topics < 1 || hidden < 1) {
    throw ConfigError("model sizes must be positive (" + SizesText(vocab_size, num_topics, hidden) +
                      ")");
  }
  const auto shapes = BlockShapes(vocab_size, num_topics, hidden, decoder);
  for (int i = 0; i < kNumParamBlocks; ++i) {
    blocks_[i] = shapes[i];
    blocks_[i].offset = size_;
    if (__builtin_add_overflow(size_, shapes[i].size(), &size_)) {
      throw ConfigError("model too large: " + SizesText(vocab_size, num_topics, hidden) +
                        " has more than 2^63 parameters");
    }
  }
  bn_sizes_ = {num_topics, num_topics, shapes[static_cast<int>(ParamBlock::kDecShift)].rows};
  for (int i = 0; i < kNumBatchNormLayers; ++i) {
    bn_offsets_[i] = bn_total_;
    bn_total_ += bn_sizes_[i];
  }
}

template <typename T>
BatchNormState<T> BatchNormState<T>::Identity(int64_t units) {
  BatchNormState s;
  s.batch_mean.assign(units, T(0));
  s.batch_var.assign(units, T(1));
  s.running_mean.assign(units, T(0));
  s.running_var.assign(units, T(1));
  return s;
}

template struct BatchNormState<float>;
template struct BatchNormState<double>;

namespace {

// Converts `out.size()` unaligned values of type From at `p` into `out`.
template <typename From, typename To>
void ConvertInto(const uint8_t* p, std::span<To> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    From x;
    std::memcpy(&x, p + i * sizeof(From), sizeof(From));
    out[i] = static_cast<To>(x);
  }
}

}  // namespace

template <typename V>
void BlobReader::GetArray(AlignedVector<V>& out, uint64_t expected_count) {
  const auto element_size = Get<uint32_t>();
  const auto count = Get<uint64_t>();
  if (count != expected_count) {
    Fail("array of " + std::to_string(count) + " values where " + std::to_string(expected_count) +
         " were expected");
  }
  if (element_size != sizeof(float) && element_size != sizeof(double)) {
    Fail("array element size " + std::to_string(element_size) + " is neither 4 nor 8");
  }
  // Checked before resizing, so a forged count never allocates.
  if (count > remaining() / element_size) {
    Fail("truncated: an array of " + std::to_string(count) + " values of " +
         std::to_string(element_size) + " bytes, " + std::to_string(remaining()) + " bytes left");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(Take(count * element_size).data());
  out.resize(count);
  if (element_size == sizeof(float)) {
    ConvertInto<float, V>(p, out);
  } else {
    ConvertInto<double, V>(p, out);
  }
}

template void BlobReader::GetArray<float>(AlignedVector<float>&, uint64_t);
template void BlobReader::GetArray<double>(AlignedVector<double>&, uint64_t);

std::span<const uint8_t> BlobReader::GetBytes() {
  const auto element_size = Get<uint32_t>();
  if (element_size != 1) Fail("expected a byte array");
  const auto count = Get<uint64_t>();
  return {reinterpret_cast<const uint8_t*>(Take(count).data()), count};
}

void WriteBlobHeader(BlobWriter& w, const std::array<char, 8>& magic) {
  w.Put(magic);
  w.Put<uint32_t>(kStateBlobVersion);
}

void ReadBlobHeader(BlobReader& r, const std::array<char, 8>& magic) {
  if (r.Get<std::array<char, 8>>() != magic) r.Fail("wrong magic (not this kind of ntm state)");
  const auto version = r.Get<uint32_t>();
  if (version != kStateBlobVersion) {
    r.Fail("format version " + std::to_string(version) + " is not supported (expected " +
           std::to_string(kStateBlobVersion) + ")");
  }
}

void ThrowConfigErrors(const std::vector<std::string>& errors) {
  if (errors.empty()) return;
  std::string message = errors[0];
  for (size_t i = 1; i < errors.size(); ++i) message += "; " + errors[i];
  throw ConfigError(message);
}

std::string GotValue(double value) {
  std::ostringstream os;
  os << value;
  return " (got " + os.str() + ")";
}

}  // namespace ntm
