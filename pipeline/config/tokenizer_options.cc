#include "pipeline/config/tokenizer_options.h"

#include "tokenizer/segmenter.h"

namespace ntm {

ReaderOptions ReaderOptionsFrom(const Config& config) {
  const TokenizeConfig& t = config.tokenize;
  ReaderOptions o;
  o.format = ParseInputFormat(t.format);
  o.id_field = t.id_field;
  o.text_field = t.text_field;
  o.on_error = ParseOnError(t.on_error);
  o.max_doc_bytes = t.max_doc_bytes;
  o.max_line_bytes = t.max_line_bytes;
  o.database = DatabaseOptionsFrom(config);
  ValidateReaderOptions(o);
  return o;
}

DatabaseOptions DatabaseOptionsFrom(const Config& config) {
  const DatabaseConfig& d = config.database;
  DatabaseOptions o;
  o.table = d.table;
  o.query = d.query;
  o.id_column = d.id_column;
  o.text_column = d.text_column;
  o.date_column = d.date_column;
  o.since = d.since;
  o.until = d.until;
  o.fetch_rows = d.fetch_rows;
  o.connect_timeout_seconds = d.connect_timeout_seconds;
  ValidateDatabaseOptions(o);
  return o;
}

TokenizerOptions TokenizerOptionsFrom(const Config& config) {
  const TokenizeConfig& t = config.tokenize;
  TokenizerOptions o;
  o.normalize.nfkc = t.normalize;
  o.normalize.casefold = t.casefold;
  o.segment.abbreviations = t.abbreviations;
  o.segment.hyphenated = t.hyphenated;
  o.segment.numbers = ParseNumberMode(t.numbers);
  o.segment.deid_placeholders = t.deid_placeholders;
  o.segment.stop_words = t.stop_words;
  o.segment.extra_stop_words = t.extra_stop_words;
  o.segment.min_token_length = t.min_token_length;
  o.segment.class_tokens = config.vocab.class_tokens;
  ValidateTokenizerOptions(o);
  return o;
}

PieceTrainerOptions PieceTrainerOptionsFrom(const Config& config) {
  const VocabConfig& v = config.vocab;
  PieceTrainerOptions o;
  o.model_type = v.model_type;
  o.vocab_size = v.piece_vocab_size;
  o.character_coverage = v.character_coverage;
  o.seed = v.seed;
  return o;
}

PruneOptions PruneOptionsFrom(const Config& config) {
  const VocabConfig& v = config.vocab;
  PruneOptions o;
  o.min_df = v.min_df;
  o.max_df = v.max_df;
  o.max_size = v.max_size;
  return o;
}

}  // namespace ntm
