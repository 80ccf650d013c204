// `ntm synth`: documents sampled from the LDA generative process, written as
// JSONL notes ({"id", "text", "theta"}) that `ntm tokenize` reads like real
// ones — for scale runs and recovery tests. Topics come from a trained model
// (realistic word statistics) or are random Dirichlet(0.05) rows over
// pronounceable pseudo-words. Rank 0 writes; other ranks have nothing to do.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "libvi/base/errors.h"
#include "libvi/claim_models/synthetic.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/io/npy.h"
#include "pipeline/io/vocab_file.h"
#include "pipeline/runtime/log.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/stages.h"

namespace ntm {
namespace {

// Documents sampled per call: bounds memory whatever --docs is.
constexpr int64_t kChunkDocs = 10000;

// Topics and the surface word of every term.
struct SynthTopics {
  std::vector<float> beta;  // K×V
  int32_t num_topics = 0;
  std::vector<std::string> words;
};

// Term w as a pseudo-word of three or more consonant-vowel syllables, e.g.
// "zabelo": letters only, so the tokenizer keeps it as one word.
std::string PseudoWord(int64_t w) {
  static const char kFirst[] = "zxqjk";
  static const char kConsonants[] = "bcdfghklmnprstvz";
  static const char kVowels[] = "aeiou";
  std::string word(1, kFirst[w % 5]);
  w /= 5;
  word += kVowels[w % 5];
  w /= 5;
  for (int syllables = 1; syllables < 3 || w > 0; ++syllables) {
    word += kConsonants[w % 16];
    w /= 16;
    word += kVowels[w % 5];
    w /= 5;
  }
  return word;
}

SynthTopics RandomTopics(const SynthArgs& args) {
  SynthTopics t;
  t.num_topics = args.topics;
  t.beta = SampleDirichletTopics(args.topics, args.vocab_size, 0.05, MixSeed(args.seed, 0x70));
  for (int32_t w = 0; w < args.vocab_size; ++w) t.words.push_back(PseudoWord(w));
  return t;
}

SynthTopics ModelTopics(const SynthArgs& args) {
  const std::filesystem::path dir(args.model_dir);
  NpyMatrix topics = ReadNpyMatrix(dir / "topics.npy");
  VocabFile vocab = ReadVocabFile(dir / "vocab.tsv");
  if (topics.cols != static_cast<int64_t>(vocab.pieces.size())) {
    throw InputError((dir / "topics.npy").string() + ": " + std::to_string(topics.cols) +
                     " columns but vocab.tsv has " + std::to_string(vocab.pieces.size()) +
                     " terms");
  }
  SynthTopics t;
  t.num_topics = static_cast<int32_t>(topics.rows);
  t.beta = std::move(topics.values);
  for (auto& piece : vocab.pieces) {
    std::string word;  // SentencePiece marks a word start with U+2581; drop it
    for (size_t i = 0; i < piece.size(); ++i) {
      if (piece.compare(i, 3, "\xE2\x96\x81") == 0)
        i += 2;
      else
        word += piece[i];
    }
    t.words.push_back(word.empty() ? PseudoWord(t.words.size()) : word);
  }
  return t;
}

// The document's words, each repeated by its count, in a seeded random order.
std::string DocumentText(const DocView& doc, const std::vector<std::string>& words) {
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < doc.terms.size(); ++i)
    tokens.insert(tokens.end(), doc.counts[i], doc.terms[i]);
  SeededRng rng(doc.key);
  for (size_t i = tokens.size(); i > 1; --i) std::swap(tokens[i - 1], tokens[rng.UniformInt(i)]);
  std::string text;
  for (int32_t t : tokens) (text += words[t]) += ' ';
  if (!text.empty()) text.pop_back();
  return text;
}

void WriteChunk(AtomicFileWriter& out, const SyntheticCorpus& chunk, int64_t first_doc,
                int32_t num_topics, const std::vector<std::string>& words) {
  const BowView view = chunk.docs.view();
  std::string lines;
  for (int64_t d = 0; d < view.num_docs(); ++d) {
    char id[32];
    std::snprintf(id, sizeof id, "synth-%09lld", static_cast<long long>(first_doc + d));
    nlohmann::json line = {{"id", id}, {"text", DocumentText(view.doc(d), words)}};
    std::vector<float> theta(chunk.theta.begin() + d * num_topics,
                             chunk.theta.begin() + (d + 1) * num_topics);
    line["theta"] = theta;
    lines += line.dump() + "\n";
  }
  out.Write(lines);
}

}  // namespace

int RunSynth(StageContext& ctx, const SynthArgs& args) {
  if (!ctx.comm.is_root()) return 0;
  const SynthTopics topics = args.model_dir.empty() ? RandomTopics(args) : ModelTopics(args);
  const TopicsView view{topics.num_topics, static_cast<int32_t>(topics.words.size()), topics.beta};
  ValidateTopics(view);
  const std::vector<double> alpha(topics.num_topics, ctx.config.model.alpha);
  AtomicFileWriter out(args.out_file);
  ProgressReporter progress("synth", args.docs, "docs", true, ctx.config.log.progress_seconds);
  for (int64_t first = 0; first < args.docs; first += kChunkDocs) {
    SyntheticCorpusOptions options;
    options.num_docs = std::min(kChunkDocs, args.docs - first);
    options.mean_length = args.mean_doc_length;
    options.seed = MixSeed(args.seed, static_cast<uint64_t>(first / kChunkDocs));
    WriteChunk(out, SampleLdaCorpus(view, alpha, options), first, topics.num_topics, topics.words);
    progress.Update(first + options.num_docs);
  }
  out.Commit();
  progress.Finish();
  NTM_LOG(kInfo) << "synth: wrote " << args.docs << " documents from " << topics.num_topics
                 << " topics over " << topics.words.size() << " terms to " << args.out_file;
  return 0;
}

}  // namespace ntm
