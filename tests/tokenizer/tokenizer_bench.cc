// Throughput of the tokenize stage on one core (not a test):
//   tokenizer_bench CORPUS.jsonl [MODEL_FILE]
// Reads the corpus, trains (or loads) a SentencePiece model, then times
// read+parse, normalize+segment, encode, and term counting separately and
// together, in thread CPU seconds. Prints counts and rates only, never text.
#include <time.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tokenizer/document_tokenizer.h"
#include "tokenizer/readers/readers.h"
#include "tokenizer/vocabulary.h"

namespace {

// CPU time of this thread: on a shared machine wall time measures the load.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
};

double Seconds(double start) { return Clock::now() - start; }

std::vector<std::string> ReadTexts(const std::string& path, double* seconds, int64_t* bytes) {
  const auto start = Clock::now();
  const auto sources = ntm::ExpandInputs({path});
  ntm::ReaderOptions options;
  auto reader = ntm::OpenReader(sources, {{0, 0, INT64_MAX}}, options);
  std::vector<std::string> texts;
  ntm::RawDocument doc;
  while (reader->Next(doc)) texts.push_back(doc.text);
  *seconds = Seconds(start);
  *bytes = reader->stats().total.bytes_read;
  return texts;
}

std::string Model(const std::vector<std::string>& texts, const char* model_path) {
  if (model_path != nullptr) {
    std::ifstream in(model_path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  ntm::DocumentTokenizer tokenizer;
  std::vector<std::string> sample(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) tokenizer.TrainingSentence(texts[i], sample[i]);
  const auto start = Clock::now();
  ntm::PieceTrainerOptions options;
  std::string model = ntm::TrainPieceModel(sample, options);
  std::printf("train: %zu sentences, vocab %d, %.2f s\n", sample.size(), options.vocab_size,
              Seconds(start));
  return model;
}

// Normalize + segment only (vocab.mode words), with or without the ASCII
// fast paths (without: the cost of text that is not pure ASCII).
void TimeWords(const std::vector<std::string>& texts, int64_t text_bytes, bool fast_paths) {
  ntm::TokenizerOptions options;
  options.normalize.ascii_fast_path = options.segment.ascii_fast_path = fast_paths;
  ntm::DocumentTokenizer tokenizer(options);
  const double start = Clock::now();
  int64_t words = 0;
  for (const auto& t : texts) words += static_cast<int64_t>(tokenizer.Words(t).size());
  const double s = Seconds(start);
  std::printf("normalize+segment%s: %lld words, %.3f s, %.1f MB/s, %.2f M words/s\n",
              fast_paths ? "" : " (ICU only)", static_cast<long long>(words), s,
              text_bytes / 1e6 / s, words / 1e6 / s);
}

// Normalize + segment + encode + count (vocab.mode pieces); returns seconds.
double TimePieces(const std::vector<std::string>& texts, int64_t text_bytes,
                  const std::string& model) {
  ntm::DocumentTokenizer tokenizer;
  tokenizer.SetPieceModel(model);
  ntm::TermCounter counter;
  const double start = Clock::now();
  int64_t pieces = 0;
  for (const auto& t : texts) {
    const auto p = tokenizer.Pieces(t);
    pieces += static_cast<int64_t>(p.size());
    counter.AddDocument(p);
  }
  const double s = Seconds(start);
  const auto cache = tokenizer.stats().cache;
  std::printf(
      "normalize+segment+encode+count (cold cache): %lld pieces, %.3f s, %.1f MB/s, "
      "%.2f M pieces/s, cache misses %lld of %lld\n",
      static_cast<long long>(pieces), s, text_bytes / 1e6 / s, pieces / 1e6 / s,
      static_cast<long long>(cache.misses), static_cast<long long>(cache.lookups));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tokenizer_bench CORPUS.jsonl [MODEL_FILE]\n");
    return 64;
  }
  double read_s = 0;
  int64_t file_bytes = 0;
  const std::vector<std::string> texts = ReadTexts(argv[1], &read_s, &file_bytes);
  int64_t text_bytes = 0;
  for (const auto& t : texts) text_bytes += static_cast<int64_t>(t.size());
  std::printf("read+parse: %zu docs, %.1f MB file, %.1f MB text, %.3f s, %.1f MB/s of file\n",
              texts.size(), file_bytes / 1e6, text_bytes / 1e6, read_s, file_bytes / 1e6 / read_s);
  const std::string model = Model(texts, argc > 2 ? argv[2] : nullptr);
  TimeWords(texts, text_bytes, true);
  TimeWords(texts, text_bytes, false);
  const double pieces_s = TimePieces(texts, text_bytes, model);
  std::printf("whole stage incl. read+parse: %.3f s, %.1f MB/s of text, %.1f MB/s of file\n",
              read_s + pieces_s, text_bytes / 1e6 / (read_s + pieces_s),
              file_bytes / 1e6 / (read_s + pieces_s));
  return 0;
}
