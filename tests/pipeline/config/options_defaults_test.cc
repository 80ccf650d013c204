// The libraries' option defaults equal the configuration defaults (config.h,
// configs/default.yaml): code that builds a libvi or tokenizer option struct
// by hand gets what `ntm` ships with. Each exception is listed with its reason.
#include <gtest/gtest.h>

#include "pipeline/config/config.h"
#include "pipeline/config/libvi_options.h"
#include "pipeline/config/tokenizer_options.h"

namespace ntm {
namespace {

TEST(OptionsDefaultsTest, ModelOptionsEqualModelSection) {
  const ModelOptions from = ModelOptionsFrom(Config{}, 1000);
  const ModelOptions lib{};
  EXPECT_EQ(from.num_topics, lib.num_topics);
  EXPECT_EQ(from.hidden_units, lib.hidden_units);
  EXPECT_EQ(from.decoder, lib.decoder);
  EXPECT_EQ(from.dropout, lib.dropout);
  // Not equal: alpha. The pipeline's 0.1 suits online-VB topics on real notes
  // (docs/benchmarks.md, "Topic quality"); the library keeps 1.0, on which its
  // gradient-trained tests and claims were measured.
  EXPECT_EQ(from.alpha, 0.1);
  EXPECT_EQ(lib.alpha, 1.0);
  EXPECT_EQ(from.decoder_init_scale, lib.decoder_init_scale);
  EXPECT_EQ(from.init_seed, lib.init_seed);
}

TEST(OptionsDefaultsTest, TrainOptionsEqualTrainSection) {
  const TrainOptions from = TrainOptionsFrom(Config{});
  const TrainOptions lib{};
  EXPECT_EQ(from.batch_size, lib.batch_size);
  EXPECT_EQ(from.adam.learning_rate, lib.adam.learning_rate);
  EXPECT_EQ(from.adam.beta1, lib.adam.beta1);
  EXPECT_EQ(from.adam.beta2, lib.adam.beta2);
  EXPECT_EQ(from.clip_norm, lib.clip_norm);
  EXPECT_EQ(from.seed, lib.seed);
  // Not equal: topic_update. The pipeline trains lda topics by online VB; the
  // library's default stays the gradient (AVITM), on which its tests run.
  EXPECT_EQ(from.topic_update, TopicUpdate::kOnlineVb);
  EXPECT_EQ(lib.topic_update, TopicUpdate::kGradient);
  EXPECT_EQ(from.online.topic_word_prior, lib.online.topic_word_prior);
  EXPECT_EQ(from.online.offset, lib.online.offset);
  EXPECT_EQ(from.online.decay, lib.online.decay);
  EXPECT_EQ(from.online.estep_max_iter, lib.online.estep_max_iter);
  EXPECT_EQ(from.online.estep_tol, lib.online.estep_tol);
}

TEST(OptionsDefaultsTest, InferenceOptionsEqualScoreSection) {
  const Config config;
  // Not compared: DrawOptions::seed (the library's is a fixed constant mixed
  // with document keys; score.seed is the user's, default 1) and
  // RefineOptions::record_steps (the pipeline records 1, 5 and 20 steps for
  // the report; the library records none unless asked).
  EXPECT_EQ(DrawOptionsFrom(config).num_samples, DrawOptions{}.num_samples);

  const RefineOptions refine = RefineOptionsFrom(config), refine_lib{};
  EXPECT_EQ(refine.num_steps, refine_lib.num_steps);
  EXPECT_EQ(refine.algorithm, refine_lib.algorithm);
  EXPECT_EQ(refine.tolerance, refine_lib.tolerance);
  EXPECT_EQ(refine.learning_rate, refine_lib.learning_rate);
  EXPECT_EQ(refine.momentum, refine_lib.momentum);
  EXPECT_EQ(refine.clip_norm, refine_lib.clip_norm);

  const LnViOptions lnvi = LnViOptionsFrom(config), lnvi_lib{};
  EXPECT_EQ(lnvi.max_iterations, lnvi_lib.max_iterations);
  EXPECT_EQ(lnvi.tolerance, lnvi_lib.tolerance);

  const ClassicalViOptions classical = ClassicalOptionsFrom(config), classical_lib{};
  EXPECT_EQ(classical.max_iter, classical_lib.max_iter);
  EXPECT_EQ(classical.tol, classical_lib.tol);
}

TEST(OptionsDefaultsTest, DatabaseOptionsEqualDatabaseSection) {
  const DatabaseOptions from = DatabaseOptionsFrom(Config{}), lib{};
  EXPECT_EQ(from.table, lib.table);
  EXPECT_EQ(from.query, lib.query);
  EXPECT_EQ(from.id_column, lib.id_column);
  EXPECT_EQ(from.text_column, lib.text_column);
  EXPECT_EQ(from.date_column, lib.date_column);
  EXPECT_EQ(from.since, lib.since);
  EXPECT_EQ(from.until, lib.until);
  EXPECT_EQ(from.fetch_rows, lib.fetch_rows);
  EXPECT_EQ(from.connect_timeout_seconds, lib.connect_timeout_seconds);
}

TEST(OptionsDefaultsTest, ReaderOptionsEqualTokenizeSection) {
  const ReaderOptions from = ReaderOptionsFrom(Config{});
  const ReaderOptions lib{};
  EXPECT_EQ(from.format, lib.format);
  EXPECT_EQ(from.id_field, lib.id_field);
  EXPECT_EQ(from.text_field, lib.text_field);
  EXPECT_EQ(from.on_error, lib.on_error);
  EXPECT_EQ(from.max_doc_bytes, lib.max_doc_bytes);
  EXPECT_EQ(from.max_line_bytes, lib.max_line_bytes);
}

TEST(OptionsDefaultsTest, TokenizerOptionsEqualTokenizeSection) {
  const TokenizerOptions from = TokenizerOptionsFrom(Config{});
  const TokenizerOptions lib{};
  EXPECT_EQ(from.normalize.nfkc, lib.normalize.nfkc);
  EXPECT_EQ(from.normalize.casefold, lib.normalize.casefold);
  EXPECT_EQ(from.segment.abbreviations, lib.segment.abbreviations);
  EXPECT_EQ(from.segment.hyphenated, lib.segment.hyphenated);
  EXPECT_EQ(from.segment.numbers, lib.segment.numbers);
  EXPECT_EQ(from.segment.deid_placeholders, lib.segment.deid_placeholders);
  EXPECT_EQ(from.segment.stop_words, lib.segment.stop_words);
  EXPECT_EQ(from.segment.extra_stop_words, lib.segment.extra_stop_words);
  EXPECT_EQ(from.segment.min_token_length, lib.segment.min_token_length);
  // Not equal on purpose: the segmenter emits class tokens unless told not to
  // (its rules are about them); ntm keeps them out of the vocabulary
  // (vocab.class_tokens: false) so that <num> never leads a topic.
  EXPECT_TRUE(lib.segment.class_tokens);
  EXPECT_FALSE(from.segment.class_tokens);
}

TEST(OptionsDefaultsTest, VocabularyOptionsEqualVocabSection) {
  const PieceTrainerOptions pieces = PieceTrainerOptionsFrom(Config{}), pieces_lib{};
  EXPECT_EQ(pieces.model_type, pieces_lib.model_type);
  EXPECT_EQ(pieces.vocab_size, pieces_lib.vocab_size);
  EXPECT_EQ(pieces.character_coverage, pieces_lib.character_coverage);
  EXPECT_EQ(pieces.seed, pieces_lib.seed);

  const PruneOptions prune = PruneOptionsFrom(Config{}), prune_lib{};
  EXPECT_EQ(prune.min_df, prune_lib.min_df);
  EXPECT_EQ(prune.max_df, prune_lib.max_df);
  EXPECT_EQ(prune.max_size, prune_lib.max_size);
}

}  // namespace
}  // namespace ntm
