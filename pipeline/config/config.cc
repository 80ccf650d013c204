#include "pipeline/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <sstream>

#include "libvi/base/errors.h"
#include "pipeline/config/method_names.h"

namespace ntm {
namespace {

using Setter = std::function<void(Config&, const YAML::Node&, const std::string& key,
                                  const std::string& where)>;
using Getter = std::function<YAML::Node(const Config&)>;

// One documented, validated configuration key.
struct KeySpec {
  std::string name;
  std::string help;
  std::string range;  // human-readable allowed values
  Setter set;
  Getter get;
};

[[noreturn]] void Fail(const std::string& where, const std::string& key, const std::string& what) {
  throw ConfigError(where + ": " + key + ": " + what);
}

std::string Scalar(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar() : "(not a scalar)";
}

template <typename T>
T ParseNumber(const YAML::Node& node, const std::string& key, const std::string& where,
              const std::string& range) {
  T value{};
  if (!node.IsScalar() || !YAML::convert<T>::decode(node, value)) {
    Fail(where, key, "expected " + range + ", got '" + Scalar(node) + "'");
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) {
      Fail(where, key, "expected " + range + ", got '" + Scalar(node) + "' (not finite)");
    }
  }
  return value;
}

template <typename S, typename T>
KeySpec NumberKey(std::string name, S Config::*section, T S::*member, T lo, T hi,
                  std::string help) {
  std::ostringstream range;
  range << (std::is_floating_point_v<T> ? "a number" : "an integer") << " in [" << lo << ", " << hi
        << "]";
  std::string r = range.str();
  auto set = [=](Config& c, const YAML::Node& n, const std::string& key, const std::string& w) {
    T v = ParseNumber<T>(n, key, w, r);
    if (v < lo || v > hi) {
      std::ostringstream got;
      got << v;
      Fail(w, key, "value " + got.str() + " is out of range: expected " + r);
    }
    c.*section.*member = v;
  };
  auto get = [=](const Config& c) { return YAML::Node(c.*section.*member); };
  return {std::move(name), std::move(help), r, set, get};
}

template <typename S>
KeySpec BoolKey(std::string name, S Config::*section, bool S::*member, std::string help) {
  auto set = [=](Config& c, const YAML::Node& n, const std::string& key, const std::string& w) {
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      Fail(w, key, "expected true or false, got '" + Scalar(n) + "'");
    }
    c.*section.*member = v;
  };
  auto get = [=](const Config& c) { return YAML::Node(c.*section.*member); };
  return {std::move(name), std::move(help), "true or false", set, get};
}

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (const auto& c : choices) out += (out.empty() ? "" : " | ") + c;
  return out;
}

template <typename S>
KeySpec StringKey(std::string name, S Config::*section, std::string S::*member,
                  std::vector<std::string> choices, std::string help) {
  std::string r = choices.empty() ? "a string" : "one of " + JoinChoices(choices);
  auto set = [=](Config& c, const YAML::Node& n, const std::string& key, const std::string& w) {
    if (!n.IsScalar()) Fail(w, key, "expected " + r);
    const std::string& v = n.Scalar();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
      Fail(w, key, "'" + v + "' is not allowed: expected " + r);
    }
    if (choices.empty() && v.empty()) Fail(w, key, "must not be empty");
    c.*section.*member = v;
  };
  auto get = [=](const Config& c) { return YAML::Node(c.*section.*member); };
  return {std::move(name), std::move(help), r, set, get};
}

template <typename S>
KeySpec ListKey(std::string name, S Config::*section, std::vector<std::string> S::*member,
                std::vector<std::string> choices, bool allow_empty, std::string help) {
  std::string r = choices.empty() ? "a list of strings" : "a list of " + JoinChoices(choices);
  auto set = [=](Config& c, const YAML::Node& n, const std::string& key, const std::string& w) {
    std::vector<std::string> items;
    if (n.IsScalar() && !n.Scalar().empty()) {  // "a,b,c" from --set
      std::stringstream ss(n.Scalar());
      for (std::string item; std::getline(ss, item, ',');) items.push_back(item);
    } else if (n.IsSequence()) {
      for (const auto& item : n) {
        if (!item.IsScalar()) Fail(w, key, "expected " + r);
        items.push_back(item.Scalar());
      }
    } else if (!n.IsNull()) {
      Fail(w, key, "expected " + r);
    }
    for (const auto& v : items) {
      if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
        Fail(w, key, "'" + v + "' is not allowed: expected " + r);
      }
    }
    if (items.empty() && !allow_empty) Fail(w, key, "must not be empty: expected " + r);
    c.*section.*member = items;
  };
  auto get = [=](const Config& c) {
    YAML::Node list(YAML::NodeType::Sequence);
    list.SetStyle(YAML::EmitterStyle::Flow);
    for (const auto& v : c.*section.*member) list.push_back(v);
    return list;
  };
  return {std::move(name), std::move(help), r, set, get};
}

// A string that may be empty, checked by `valid` (described by `range`).
template <typename S>
KeySpec TextKey(std::string name, S Config::*section, std::string S::*member,
                std::function<bool(const std::string&)> valid, std::string range,
                std::string help) {
  auto set = [=](Config& c, const YAML::Node& n, const std::string& key, const std::string& w) {
    if (!n.IsScalar() && !n.IsNull()) Fail(w, key, "expected " + range);
    const std::string v = n.IsNull() ? "" : n.Scalar();
    if (!valid(v)) Fail(w, key, "'" + v + "' is not allowed: expected " + range);
    c.*section.*member = v;
  };
  auto get = [=](const Config& c) { return YAML::Node(c.*section.*member); };
  return {std::move(name), std::move(help), range, set, get};
}

bool IsSqlName(const std::string& v) {
  return !v.empty() && v.size() <= 127 && v.find('\0') == std::string::npos;
}

bool IsDateOrEmpty(const std::string& v) {
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)");
  return v.empty() || std::regex_match(v, kDate);
}

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

std::vector<KeySpec> TokenizeKeys() {
  using C = Config;
  using T = TokenizeConfig;
  return {
      StringKey("tokenize.format", &C::tokenize, &T::format, {"auto", "jsonl", "csv", "txt"},
                "input format; auto decides by extension (.jsonl, .csv, folder of .txt; .gz ok)"),
      StringKey("tokenize.id_field", &C::tokenize, &T::id_field, {},
                "JSONL field or CSV column with the document id"),
      StringKey("tokenize.text_field", &C::tokenize, &T::text_field, {},
                "JSONL field or CSV column with the note text"),
      StringKey("tokenize.on_error", &C::tokenize, &T::on_error, {"skip", "fail"},
                "a malformed JSON line or CSV record: skip and count it, or fail the run"),
      StringKey("tokenize.duplicate_ids", &C::tokenize, &T::duplicate_ids, {"first", "fail", "all"},
                "a repeated document id: keep the first, fail the run, or keep all"),
      NumberKey("tokenize.max_doc_bytes", &C::tokenize, &T::max_doc_bytes, int64_t{1}, kMaxInt64,
                "longer documents are truncated to this many bytes (counted)"),
      NumberKey("tokenize.max_line_bytes", &C::tokenize, &T::max_line_bytes, int64_t{1024},
                kMaxInt64, "a longer JSONL line or CSV record is malformed (never buffered)"),
      BoolKey("tokenize.normalize", &C::tokenize, &T::normalize,
              "Unicode NFKC normalisation (pure-ASCII text takes a fast path)"),
      BoolKey("tokenize.casefold", &C::tokenize, &T::casefold, "case folding"),
      BoolKey("tokenize.abbreviations", &C::tokenize, &T::abbreviations,
              "dotted abbreviations such as b.i.d. and p.o. stay one token"),
      BoolKey("tokenize.hyphenated", &C::tokenize, &T::hyphenated,
              "hyphenated terms such as follow-up stay one token"),
      StringKey("tokenize.numbers", &C::tokenize, &T::numbers, {"class", "keep", "drop"},
                "numbers and measurements: one class token, kept as written, or dropped"),
      BoolKey("tokenize.deid_placeholders", &C::tokenize, &T::deid_placeholders,
              "de-identification placeholders ([**Name**], XXXX, dates) become one token"),
      BoolKey("tokenize.stop_words", &C::tokenize, &T::stop_words,
              "drop English and clinical stop words"),
      ListKey("tokenize.extra_stop_words", &C::tokenize, &T::extra_stop_words, {}, true,
              "more stop words, dropped after normalisation"),
      NumberKey("tokenize.min_token_length", &C::tokenize, &T::min_token_length, 1, 100,
                "shorter words are dropped (class tokens exempt)"),
      NumberKey("tokenize.docs_per_shard", &C::tokenize, &T::docs_per_shard, int64_t{1},
                int64_t{1} << 31, "documents per shard-*.bow file"),
  };
}

std::vector<KeySpec> VocabKeys() {
  using C = Config;
  using V = VocabConfig;
  return {
      StringKey("vocab.mode", &C::vocab, &V::mode, {"words", "pieces"},
                "words: the segmented words are the terms (topics show whole words); "
                "pieces: SentencePiece sub-words"),
      StringKey("vocab.oov", &C::vocab, &V::oov, {"pieces", "drop"},
                "words mode, a word outside the vocabulary: pieces maps it through "
                "SentencePiece to the vocabulary word it is a variant of (misspelling, "
                "inflection), else drops it; drop drops it (and trains no SentencePiece)"),
      BoolKey("vocab.class_tokens", &C::vocab, &V::class_tokens,
              "the class tokens of numbers, measurements and placeholders (<num>, <measure>, "
              "<deid>) enter the vocabulary; false: recognised, then left out"),
      StringKey("vocab.model_type", &C::vocab, &V::model_type, {"unigram", "bpe"},
                "SentencePiece model type"),
      NumberKey("vocab.piece_vocab_size", &C::vocab, &V::piece_vocab_size, 100, 1000000,
                "SentencePiece vocabulary size"),
      NumberKey("vocab.sample_docs", &C::vocab, &V::sample_docs, int64_t{1}, kMaxInt64,
                "documents sampled over all ranks to train SentencePiece"),
      NumberKey("vocab.character_coverage", &C::vocab, &V::character_coverage, 0.9, 1.0,
                "SentencePiece character coverage"),
      NumberKey("vocab.min_df", &C::vocab, &V::min_df, int64_t{1}, kMaxInt64,
                "drop terms found in fewer documents"),
      NumberKey("vocab.max_df", &C::vocab, &V::max_df, 0.0, 1.0,
                "drop terms found in more than this share of documents"),
      NumberKey("vocab.max_size", &C::vocab, &V::max_size, int64_t{10}, int64_t{10000000},
                "keep at most this many terms, highest document frequency first"),
      NumberKey("vocab.min_piece_length", &C::vocab, &V::min_piece_length, 1, 100,
                "drop terms shorter than this many characters (the word-start mark not "
                "counted) and terms without a letter or digit: sub-word fragments carry no topic"),
      NumberKey("vocab.seed", &C::vocab, &V::seed, uint64_t{0},
                std::numeric_limits<uint64_t>::max(), "sample selection and SentencePiece seed"),
  };
}

std::vector<KeySpec> ModelKeys() {
  using C = Config;
  using M = ModelConfig;
  return {
      StringKey("model.decoder", &C::model, &M::decoder, {"lda", "prodlda"},
                "lda: mixture of topics (all four methods); prodlda: product of experts"),
      NumberKey("model.num_topics", &C::model, &M::num_topics, 2, 10000, "number of topics K"),
      NumberKey("model.hidden", &C::model, &M::hidden, 1, 100000, "width of both encoder layers"),
      NumberKey("model.dropout", &C::model, &M::dropout, 0.0, 0.95,
                "encoder dropout during training"),
      NumberKey("model.alpha", &C::model, &M::alpha, 1e-4, 1e4,
                "symmetric Dirichlet prior concentration"),
      NumberKey("model.decoder_init_scale", &C::model, &M::decoder_init_scale, 0.0, 100.0,
                "lda: standard deviation of the initial topic logits"),
  };
}

std::vector<KeySpec> TrainKeys() {
  using C = Config;
  using T = TrainConfig;
  return {
      NumberKey("train.epochs", &C::train, &T::epochs, 1, 1000000,
                "cap on passes over the training documents"),
      NumberKey("train.max_steps", &C::train, &T::max_steps, int64_t{1}, kMaxInt64,
                "cap on optimizer steps"),
      NumberKey("train.min_steps", &C::train, &T::min_steps, int64_t{0}, kMaxInt64,
                "early stopping waits for at least this many steps"),
      NumberKey("train.validate_every_steps", &C::train, &T::validate_every_steps, int64_t{1},
                kMaxInt64, "validation after every epoch and every this many steps"),
      NumberKey("train.early_stopping_min_delta", &C::train, &T::early_stopping_min_delta, 0.0, 1e3,
                "validation ELBO/token gain that counts as an improvement"),
      NumberKey("train.batch_size", &C::train, &T::batch_size, 1, 1 << 20,
                "global minibatch size, split over ranks"),
      NumberKey("train.learning_rate", &C::train, &T::learning_rate, 1e-8, 10.0,
                "Adam learning rate"),
      NumberKey("train.beta1", &C::train, &T::beta1, 0.0, 0.999999, "Adam first-moment decay"),
      NumberKey("train.beta2", &C::train, &T::beta2, 0.0, 0.999999, "Adam second-moment decay"),
      NumberKey("train.clip_norm", &C::train, &T::clip_norm, 0.0, 1e9,
                "gradient-norm clipping threshold; 0 turns it off"),
      NumberKey("train.lr_decay", &C::train, &T::lr_decay, 0.01, 1.0,
                "learning-rate factor applied when validation stops improving"),
      NumberKey("train.lr_decay_patience", &C::train, &T::lr_decay_patience, 0, 1000000,
                "validations without improvement before decay; 0 off"),
      NumberKey("train.early_stopping_patience", &C::train, &T::early_stopping_patience, 0, 1000000,
                "validations without improvement before stopping; 0 off"),
      NumberKey("train.encoder_patience", &C::train, &T::encoder_patience, 0, 1000000,
                "online VB, once the topics froze: validations without improvement before "
                "training stops; 0 off (so is train.early_stopping_patience 0)"),
      NumberKey("train.validation_fraction", &C::train, &T::validation_fraction, 0.0, 0.5,
                "share of documents held out for validation, chosen by id hash"),
      NumberKey("train.seed", &C::train, &T::seed, uint64_t{0},
                std::numeric_limits<uint64_t>::max(), "batches, initialisation, dropout, noise"),
      NumberKey("train.checkpoint_every_steps", &C::train, &T::checkpoint_every_steps, int64_t{0},
                kMaxInt64, "checkpoint cadence in steps; 0 off"),
      NumberKey("train.checkpoint_every_seconds", &C::train, &T::checkpoint_every_seconds, 0.0, 1e9,
                "checkpoint cadence in seconds; 0 off"),
      NumberKey("train.checksum_every_steps", &C::train, &T::checksum_every_steps, int64_t{0},
                kMaxInt64, "steps between cross-rank parameter checksum comparisons; 0 off"),
      NumberKey("train.log_every_steps", &C::train, &T::log_every_steps, int64_t{1}, kMaxInt64,
                "steps between train_log.jsonl lines"),
      StringKey("train.topic_update", &C::train, &T::topic_update, {"online-vb", "gradient"},
                "lda topics: online-vb (stochastic variational Bayes, E-step warm-started by "
                "the encoder) | gradient (Adam on the topic logits, AVITM)"),
      NumberKey("train.topic_word_prior", &C::train, &T::topic_word_prior, 1e-6, 100.0,
                "online VB: symmetric Dirichlet prior eta of each topic's term distribution"),
      NumberKey("train.online_offset", &C::train, &T::online_offset, 0.0, 1e6,
                "online VB: tau0 of the step size rho_t = (tau0 + t)^-kappa"),
      NumberKey("train.online_decay", &C::train, &T::online_decay, 0.51, 1.0,
                "online VB: kappa of the step size rho_t = (tau0 + t)^-kappa"),
      NumberKey("train.estep_max_iter", &C::train, &T::estep_max_iter, 1, 10000,
                "online VB: iteration cap of each document's E-step"),
      NumberKey("train.estep_tol", &C::train, &T::estep_tol, 1e-8, 1.0,
                "online VB: E-step stops when the mean |change of gamma| is below this"),
      NumberKey("train.topic_change_tol", &C::train, &T::topic_change_tol, 0.0, 2.0,
                "online VB: topics stop updating once they move less than this share of "
                "their mass per 100 steps; 0 never"),
      BoolKey("train.fold_head_batch_norm", &C::train, &T::fold_head_batch_norm,
              "online VB: when the topics freeze, fold the encoder heads' batch norm into "
              "their weights; the encoder then trains on without it"),
      NumberKey("train.encoder_thinning", &C::train, &T::encoder_thinning, 0.0, 1.0,
                "online VB, once the topics froze: share of each batch's notes the encoder "
                "sees thinned (each token kept with probability train.thinning_keep); 0 off"),
      NumberKey("train.thinning_keep", &C::train, &T::thinning_keep, 0.05, 1.0,
                "probability that a token of a thinned note survives"),
      NumberKey("train.drift_reference_docs", &C::train, &T::drift_reference_docs, int64_t{0},
                kMaxInt64,
                "held-out notes whose amortization gap gap_reference.json stores; 0 none"),
  };
}

std::vector<KeySpec> ScoreKeys() {
  using C = Config;
  using S = ScoreConfig;
  return {
      ListKey("score.methods", &C::score, &S::methods, {kAllMethods.begin(), kAllMethods.end()},
              false, "inference methods to run (--methods overrides)"),
      NumberKey("score.mc_samples", &C::score, &S::mc_samples, 1, 100000,
                "Monte-Carlo draws per document for E[theta] and the ELBO"),
      StringKey("score.refine_method", &C::score, &S::refine_method, {"newton", "sgd"},
                "how the refined method steps: newton | sgd"),
      NumberKey("score.refine_steps", &C::score, &S::refine_steps, 1, 100000,
                "step cap (newton) or steps (sgd) of the refined method"),
      NumberKey("score.refine_tol", &C::score, &S::refine_tol, 0.0, 1e6,
                "newton: Newton decrement in nats that stops a document's refinement"),
      NumberKey("score.refine_lr", &C::score, &S::refine_lr, 1e-8, 1e3, "refinement step size"),
      NumberKey("score.refine_momentum", &C::score, &S::refine_momentum, 0.0, 0.999,
                "refinement SGD momentum"),
      NumberKey("score.refine_clip", &C::score, &S::refine_clip, 0.0, 1e9,
                "refinement gradient-norm clip; 0 off"),
      NumberKey("score.lnvi_max_iter", &C::score, &S::lnvi_max_iter, 1, 1000000,
                "iteration limit of per-document ln-vi"),
      NumberKey("score.lnvi_tol", &C::score, &S::lnvi_tol, 1e-15, 1.0,
                "relative ELBO change that stops ln-vi"),
      NumberKey("score.classical_tol", &C::score, &S::classical_tol, 1e-12, 1.0,
                "mean absolute change of gamma that stops classical VI"),
      NumberKey("score.classical_max_iter", &C::score, &S::classical_max_iter, 1, 1000000,
                "iteration limit of classical VI"),
      NumberKey("score.heldout_fraction", &C::score, &S::heldout_fraction, 0.0, 1.0,
                "share of documents used for document-completion perplexity"),
      NumberKey("score.seed", &C::score, &S::seed, uint64_t{0},
                std::numeric_limits<uint64_t>::max(), "draws and completion splits"),
      NumberKey("score.drift_sample_docs", &C::score, &S::drift_sample_docs, int64_t{0}, kMaxInt64,
                "--incremental: new notes sampled for the drift test; 0 off"),
      NumberKey("score.drift_level", &C::score, &S::drift_level, 1e-12, 0.5,
                "--incremental: KS p-value below which a night drifts"),
      BoolKey("score.drift_exit", &C::score, &S::drift_exit,
              "--incremental: a drifting night exits 79 (after writing its outputs)"),
  };
}

std::vector<KeySpec> DatabaseKeys() {
  using C = Config;
  using D = DatabaseConfig;
  const std::string name = "an SQL name (1 to 127 bytes; schema.name allowed)";
  const std::string date = "empty or a date YYYY-MM-DD[ HH:MM[:SS]]";
  auto any = [](const std::string&) { return true; };
  return {
      TextKey("database.table", &C::database, &D::table, IsSqlName, name,
              "table read from a postgresql:// input (OMOP CDM: note)"),
      TextKey("database.query", &C::database, &D::query, any, "empty or an SQL query",
              "a query returning id_column and text_column, read instead of the table"),
      TextKey("database.id_column", &C::database, &D::id_column, IsSqlName, name,
              "column with the document id; rows are split over ranks and read in its order"),
      TextKey("database.text_column", &C::database, &D::text_column, IsSqlName, name,
              "column with the note text (NULL: a malformed record, missing_text)"),
      TextKey("database.date_column", &C::database, &D::date_column, IsSqlName, name,
              "date or timestamp column that since and until restrict (note_date, note_datetime)"),
      TextKey("database.since", &C::database, &D::since, IsDateOrEmpty, date,
              "read only rows with date_column >= since; empty: no lower bound"),
      TextKey("database.until", &C::database, &D::until, IsDateOrEmpty, date,
              "read only rows with date_column < until; empty: no upper bound"),
      NumberKey("database.fetch_rows", &C::database, &D::fetch_rows, int64_t{1}, int64_t{1000000},
                "rows per FETCH from the server-side cursor (bounds a rank's memory)"),
      NumberKey("database.connect_timeout_seconds", &C::database, &D::connect_timeout_seconds, 1,
                3600, "seconds before an unanswered connection attempt fails (exit 66)"),
      BoolKey("database.write_results", &C::database, &D::write_results,
              "ntm score with a database input: write mixtures, topics and the run into "
              "tables of that database, in one transaction"),
      TextKey("database.results_prefix", &C::database, &D::results_prefix, IsSqlName, name,
              "prefix of the results tables (<prefix>note_topics, <prefix>topics, <prefix>runs)"),
      NumberKey("database.topic_terms", &C::database, &D::topic_terms, 1, 1000,
                "top terms per topic written to <prefix>topics"),
  };
}

std::vector<KeySpec> LogKeys() {
  using C = Config;
  using L = LogConfig;
  return {
      StringKey("log.level", &C::log, &L::level, {"debug", "info", "warn", "error"},
                "lowest level printed"),
      NumberKey("log.progress_seconds", &C::log, &L::progress_seconds, 0.1, 1e6,
                "seconds between progress lines when output is not a terminal"),
  };
}

const std::vector<KeySpec>& AllKeys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> all;
    for (auto part : {TokenizeKeys(), VocabKeys(), ModelKeys(), TrainKeys(), ScoreKeys(),
                      DatabaseKeys(), LogKeys()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return keys;
}

const KeySpec* FindKey(const std::string& name) {
  for (const auto& k : AllKeys()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string ClosestKey(const std::string& name) {
  std::string best;
  int best_distance = std::numeric_limits<int>::max();
  for (const auto& k : AllKeys()) {
    int d = EditDistance(name, k.name);
    if (d < best_distance) best_distance = d, best = k.name;
  }
  return best;
}

[[noreturn]] void UnknownKey(const std::string& where, const std::string& name) {
  throw ConfigError(where + ": unknown key '" + name + "' (did you mean '" + ClosestKey(name) +
                    "'?)");
}

std::string Where(const std::string& origin, const YAML::Mark& mark) {
  return origin + ":" + std::to_string(mark.line + 1);
}

// A mapping key as text; ConfigError when it is not a plain scalar (YAML allows
// sequences and mappings as keys: "? [a, b]: 1").
std::string KeyName(const std::string& origin, const YAML::Node& key) {
  if (!key.IsScalar()) {
    throw ConfigError(Where(origin, key.Mark()) + ": a key must be a plain name");
  }
  return key.Scalar();
}

// Line of each name seen so far in one mapping: YAML forbids a key twice, and
// yaml-cpp would silently keep one of the values.
class SeenKeys {
 public:
  void Add(const std::string& origin, const std::string& name, const YAML::Node& key,
           const char* what) {
    const auto [it, fresh] = lines_.emplace(name, key.Mark().line + 1);
    if (fresh) return;
    throw ConfigError(Where(origin, key.Mark()) + ": duplicate " + what + " '" + name +
                      "' (first at line " + std::to_string(it->second) + ")");
  }

 private:
  std::map<std::string, int> lines_;
};

void ApplySection(Config& config, const std::string& origin, const std::string& section,
                  const YAML::Node& body) {
  if (!body.IsMap()) {
    throw ConfigError(Where(origin, body.Mark()) + ": section '" + section +
                      "' must be a mapping of key: value");
  }
  SeenKeys seen;
  for (const auto& entry : body) {
    const std::string name = section + "." + KeyName(origin, entry.first);
    seen.Add(origin, name, entry.first, "key");
    const KeySpec* spec = FindKey(name);
    if (!spec) UnknownKey(Where(origin, entry.first.Mark()), name);
    spec->set(config, entry.second, name, Where(origin, entry.second.Mark()));
  }
}

void ApplyDocument(Config& config, const std::string& origin, const YAML::Node& root) {
  if (root.IsNull()) return;
  if (!root.IsMap()) {
    throw ConfigError(origin +
                      ": the config must be a mapping of sections (tokenize, vocab, "
                      "model, train, score, database, log)");
  }
  SeenKeys seen;
  for (const auto& entry : root) {
    const std::string section = KeyName(origin, entry.first);
    seen.Add(origin, section, entry.first, "section");
    ApplySection(config, origin, section, entry.second);
  }
}

void ApplyOverride(Config& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  const std::string where = "--set " + assignment.substr(0, eq);
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set '" + assignment + "': expected section.key=value");
  }
  const std::string name = assignment.substr(0, eq);
  const KeySpec* spec = FindKey(name);
  if (!spec) UnknownKey("--set", name);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError(where + ": cannot parse the value: " + e.msg);
  }
  spec->set(config, value, name, "--set");
}

}  // namespace

int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

Config ParseConfig(const std::string& yaml_text, const std::string& origin,
                   const std::vector<std::string>& overrides) {
  Config config;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  ApplyDocument(config, origin, root);
  for (const auto& o : overrides) ApplyOverride(config, o);
  return config;
}

namespace {

// True for text that parses to nothing; a parse error is left to ParseConfig.
bool IsEmptyYaml(const std::string& text) {
  try {
    return YAML::Load(text).IsNull();
  } catch (const YAML::Exception&) {
    return false;
  }
}

}  // namespace

Config LoadConfig(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return ParseConfig("", "(defaults)", overrides);
  if (std::filesystem::is_directory(path)) {
    throw ConfigError(path + ": a folder, not a config file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(path + ": cannot open the config file");
  std::ostringstream text;
  text << in.rdbuf();
  // An empty file (or one of comments only) is almost surely the wrong file:
  // running on defaults without a word would hide it. (/dev/null, a device,
  // stays the explicit way to say "the defaults".)
  if (std::filesystem::is_regular_file(path) && IsEmptyYaml(text.str())) {
    throw ConfigError(path +
                      ":1: the config file sets nothing (empty); give a YAML mapping of "
                      "sections, or leave out --config for the defaults");
  }
  return ParseConfig(text.str(), path, overrides);
}

std::string ConfigToYaml(const Config& config, bool with_comments) {
  YAML::Emitter out;
  out.SetDoublePrecision(15);
  out << YAML::BeginMap;
  std::string section;
  for (const auto& k : AllKeys()) {
    const std::string s = k.name.substr(0, k.name.find('.'));
    if (s != section) {
      if (!section.empty()) out << YAML::EndMap;
      out << YAML::Key << s << YAML::Value << YAML::BeginMap;
      section = s;
    }
    out << YAML::Key << k.name.substr(s.size() + 1) << YAML::Value << k.get(config);
    // After the value, so the comment sits on its own key's line.
    if (with_comments) out << YAML::Comment(k.help + "; " + k.range);
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> names;
  for (const auto& k : AllKeys()) names.push_back(k.name);
  return names;
}

}  // namespace ntm
