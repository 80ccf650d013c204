#include "libvi/parameters.h"

#include <sstream>

#include "libvi/errors.h"

namespace ntm {

std::string_view DecoderName(DecoderKind kind) {
  return kind == DecoderKind::kLda ? "lda" : "prodlda";
}

DecoderKind ParseDecoderKind(std::string_view name) {
  if (name == "lda") return DecoderKind::kLda;
  if (name == "prodlda") return DecoderKind::kProdLda;
  throw ConfigError("unknown decoder '" + std::string(name) + "' (expected lda or prodlda)");
}

ParameterLayout::ParameterLayout(int32_t vocab_size, int32_t num_topics, int32_t hidden,
                                 DecoderKind decoder)
    : vocab_size_(vocab_size), num_topics_(num_topics), hidden_(hidden), decoder_(decoder) {
  const int64_t v = vocab_size, k = num_topics, h = hidden;
  const int64_t shift_rows = decoder == DecoderKind::kProdLda ? v : 0;
  const std::array<BlockInfo, kNumParamBlocks> shapes = {{
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
  for (int i = 0; i < kNumParamBlocks; ++i) {
    blocks_[i] = shapes[i];
    blocks_[i].offset = size_;
    size_ += shapes[i].size();
  }
  bn_sizes_ = {k, k, shift_rows};
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

template <typename V>
void BlobReader::GetArray(std::vector<V>& out, uint64_t expected_count) {
  const auto element_size = Get<uint32_t>();
  const auto count = Get<uint64_t>();
  if (count != expected_count) {
    Fail("array of " + std::to_string(count) + " values where " + std::to_string(expected_count) +
         " were expected");
  }
  out.resize(count);
  if (element_size == sizeof(float)) {
    const uint8_t* p = Take(count * sizeof(float));
    for (uint64_t i = 0; i < count; ++i) {
      float f;
      std::memcpy(&f, p + i * sizeof(float), sizeof(float));
      out[i] = static_cast<V>(f);
    }
  } else if (element_size == sizeof(double)) {
    const uint8_t* p = Take(count * sizeof(double));
    for (uint64_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, p + i * sizeof(double), sizeof(double));
      out[i] = static_cast<V>(d);
    }
  } else {
    Fail("array element size " + std::to_string(element_size) + " is neither 4 nor 8");
  }
}

template void BlobReader::GetArray<float>(std::vector<float>&, uint64_t);
template void BlobReader::GetArray<double>(std::vector<double>&, uint64_t);

std::span<const uint8_t> BlobReader::GetBytes() {
  const auto element_size = Get<uint32_t>();
  if (element_size != 1) Fail("expected a byte array");
  const auto count = Get<uint64_t>();
  return {Take(count), count};
}

void BlobReader::Fail(const std::string& message) const {
  throw InputError(what_ + ": " + message + " (at byte " + std::to_string(pos_) + ")");
}

const uint8_t* BlobReader::Take(size_t n) {
  if (n > remaining()) {
    Fail("truncated: needs " + std::to_string(n) + " more bytes, " + std::to_string(remaining()) +
         " left");
  }
  const uint8_t* p = bytes_.data() + pos_;
  pos_ += n;
  return p;
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
