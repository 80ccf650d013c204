// Run configuration: one struct per stage, every default in one place (the
// member initialisers below), loaded from YAML with strict validation.
// The key table in config.cc holds each key's range and documentation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/method_names.h"

namespace ntm {

// How raw notes are read and turned into words (`ntm tokenize`, `ntm score --input`).
struct TokenizeConfig {
  std::string format = "auto";                // auto | jsonl | csv | txt
  std::string id_field = "id";                // JSONL field or CSV column holding the document id
  std::string text_field = "text";            // JSONL field or CSV column holding the note text
  std::string on_error = "skip";              // skip | fail: a malformed record
  std::string duplicate_ids = "first";        // first | fail | all: what a repeated id does
  int64_t max_doc_bytes = 1 << 20;            // longer documents are truncated (and counted)
  int64_t max_line_bytes = 64 << 20;          // longer JSONL lines / CSV records are malformed
  bool normalize = true;                      // ICU NFKC normalisation
  bool casefold = true;                       // case folding (with normalize)
  bool abbreviations = true;                  // keep dotted abbreviations (b.i.d.) whole
  bool hyphenated = true;                     // keep hyphenated terms (follow-up) whole
  std::string numbers = "class";              // class | keep | drop
  bool deid_placeholders = true;              // [**Name**], XXXX, dates -> one token
  bool stop_words = true;                     // drop English and clinical stop words
  std::vector<std::string> extra_stop_words;  // added to the built-in lists
  int min_token_length = 2;                   // shorter words are dropped (class tokens exempt)
  int64_t docs_per_shard = 10000;             // documents per shard-*.bow file
};

// How the vocabulary is built.
struct VocabConfig {
  std::string mode = "words";          // words (segmented words) | pieces (SentencePiece)
  std::string oov = "pieces";          // words mode: pieces (map through SentencePiece) | drop
  bool class_tokens = false;           // <num>, <measure>, <deid> enter the vocabulary
  std::string model_type = "unigram";  // unigram | bpe
  int piece_vocab_size = 8000;         // SentencePiece vocabulary size
  int64_t sample_docs = 5000;          // documents sampled (over all ranks) to train pieces
  double character_coverage = 0.9995;  // SentencePiece character coverage
  int64_t min_df = 5;                  // drop terms in fewer documents
  double max_df = 0.5;                 // drop terms in more than this share of documents
  int64_t max_size = 20000;            // keep at most this many terms (highest df)
  int min_piece_length = 2;            // drop shorter terms (characters; word mark not counted)
  uint64_t seed = 1;                   // sample selection and SentencePiece seed
};

// The topic model.
struct ModelConfig {
  std::string decoder = "lda";      // lda | prodlda
  int num_topics = 50;              // K
  int hidden = 100;                 // width of both encoder layers
  double dropout = 0.2;             // encoder dropout during training
  double alpha = 0.1;               // symmetric Dirichlet prior concentration
  double decoder_init_scale = 0.1;  // lda: std of the initial topic logits
};

// Data-parallel training (`ntm train`).
struct TrainConfig {
  int epochs = 200;                        // cap on passes over the training documents
  int64_t max_steps = 100000;              // cap on optimizer steps
  int64_t min_steps = 200;                 // no early stop before this many steps
  int64_t validate_every_steps = 500;      // validation also inside long epochs
  double early_stopping_min_delta = 1e-3;  // ELBO/token gain that counts as improvement
  int batch_size = 200;                    // global minibatch, split over ranks
  double learning_rate = 0.002;            // Adam step size
  double beta1 = 0.99;                     // Adam first-moment decay
  double beta2 = 0.999;                    // Adam second-moment decay
  double clip_norm = 0.0;                  // gradient-norm clip; 0 turns it off
  double lr_decay = 0.5;                   // lr factor when validation stops improving
  int lr_decay_patience = 0;               // epochs without improvement before decay; 0 off
  int early_stopping_patience = 3;         // validations without improvement before stop; 0 off
  int encoder_patience = 3;                // the same once the topics froze (encoder alone)
  double validation_fraction = 0.05;       // share of documents held out (by id hash)
  uint64_t seed = 1;                       // batches, initialisation, dropout, noise
  int64_t checkpoint_every_steps = 1000;   // 0 off
  double checkpoint_every_seconds = 600;   // 0 off
  int64_t checksum_every_steps = 100;      // cross-rank parameter comparison; 0 off
  int64_t log_every_steps = 50;            // train_log.jsonl cadence
  std::string topic_update = "online-vb";  // lda topics: online-vb | gradient
  double topic_word_prior = 0.01;          // online VB: Dirichlet prior η of the topics
  double online_offset = 10;               // online VB: τ0 of ρ_t = (τ0 + t)^−κ
  double online_decay = 0.7;               // online VB: κ
  int estep_max_iter = 100;                // online VB: E-step iteration cap
  double estep_tol = 1e-3;                 // online VB: E-step mean |Δγ| tolerance
  double topic_change_tol = 0.03;          // online VB: topics freeze below this change
  bool fold_head_batch_norm = false;       // at the freeze, fold the heads' batch norm away
  double encoder_thinning = 0.0;           // share of encoder-phase notes thinned
  double thinning_keep = 0.5;              // token survival rate of a thinned note
  int64_t drift_reference_docs = 500;      // held-out notes in gap_reference.json; 0 none
};

// Scoring (`ntm score`).
struct ScoreConfig {
  std::vector<std::string> methods = {kMethodAmortized, kMethodRefined, kMethodClassical};
  int mc_samples = 20;                   // Monte-Carlo draws per document (E[theta], ELBO)
  std::string refine_method = "newton";  // newton | sgd
  int refine_steps = 20;                 // newton: step cap; sgd: steps per document
  double refine_tol = 0.01;              // newton: Newton decrement (nats) that stops a document
  double refine_lr = 1.0;                // SGD step size for refinement
  double refine_momentum = 0.5;          // SGD momentum for refinement
  double refine_clip = 5.0;              // gradient-norm clip for refinement
  int lnvi_max_iter = 500;               // per-document optimisation limit for ln-vi
  double lnvi_tol = 1e-6;                // relative ELBO change that stops ln-vi
  double classical_tol = 1e-3;           // mean |change of gamma| that stops classical VI
  int classical_max_iter = 200;          // iteration limit for classical VI
  double heldout_fraction = 0.1;         // share of documents used for completion perplexity
  uint64_t seed = 1;                     // draws and completion splits (mixed with doc ids)
  int64_t drift_sample_docs = 500;       // --incremental: new notes in the drift test; 0 off
  double drift_level = 0.01;             // --incremental: KS p-value below which a night drifts
  bool drift_exit = false;               // --incremental: a drifting night exits 79
};

// Notes from a PostgreSQL warehouse (an input given as postgresql://...), and
// results written back to it (`ntm score` with write_results).
struct DatabaseConfig {
  std::string table = "note";             // OMOP CDM note table (or schema.table)
  std::string query;                      // a query instead of the table ("": the table)
  std::string id_column = "note_id";      // column with the document id
  std::string text_column = "note_text";  // column with the note text
  std::string date_column = "note_date";  // column since/until restrict (or note_datetime)
  std::string since;                      // only rows with date >= since ("": no bound)
  std::string until;                      // only rows with date < until ("": no bound)
  int64_t fetch_rows = 1000;              // rows per FETCH from the server-side cursor
  int connect_timeout_seconds = 10;       // seconds before a connection attempt fails
  bool write_results = false;             // score: write mixtures, topics and the run back
  std::string results_prefix = "ntm_";    // names of the results tables: <prefix>note_topics, ...
  int topic_terms = 20;                   // terms per topic in <prefix>topics
};

// Logging and progress.
struct LogConfig {
  std::string level = "info";    // debug | info | warn | error
  double progress_seconds = 30;  // progress line cadence when output is not a terminal
};

// The whole configuration; each stage reads its sections.
struct Config {
  TokenizeConfig tokenize;
  VocabConfig vocab;
  ModelConfig model;
  TrainConfig train;
  ScoreConfig score;
  DatabaseConfig database;
  LogConfig log;
};

// Loads `path` (empty: defaults only), then applies `overrides` ("section.key=value").
// Throws ConfigError naming the file, line and key on any unknown key,
// wrong type or out-of-range value.
Config LoadConfig(const std::string& path, const std::vector<std::string>& overrides);

// Parses YAML text (used by LoadConfig and tests); `origin` names it in errors.
Config ParseConfig(const std::string& yaml_text, const std::string& origin,
                   const std::vector<std::string>& overrides);

// The effective configuration as YAML, every key, with its documentation.
std::string ConfigToYaml(const Config& config, bool with_comments = true);

// Every valid key ("section.key"), in documentation order.
std::vector<std::string> ConfigKeys();

// Edit distance, used for "did you mean" suggestions.
int EditDistance(const std::string& a, const std::string& b);

}  // namespace ntm
