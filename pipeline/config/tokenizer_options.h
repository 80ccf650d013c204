// Maps the YAML configuration onto the tokenizer's option structs (the
// tokenizer knows nothing of YAML): the one place where the `tokenize` and
// `vocab` sections become library options, for `ntm tokenize` and for
// `ntm score --input` alike. One function per option struct.
#pragma once

#include "pipeline/config/config.h"
#include "tokenizer/document_tokenizer.h"
#include "tokenizer/piece_model.h"
#include "tokenizer/readers/readers.h"
#include "tokenizer/vocabulary.h"

namespace ntm {

// Database reader settings from the `database` section.
DatabaseOptions DatabaseOptionsFrom(const Config& config);
// Reader settings from the `tokenize` section (and `database`).
ReaderOptions ReaderOptionsFrom(const Config& config);
// Normalizer, segmenter and piece-model settings from the `tokenize` section.
TokenizerOptions TokenizerOptionsFrom(const Config& config);
// SentencePiece training settings from the `vocab` section.
PieceTrainerOptions PieceTrainerOptionsFrom(const Config& config);
// Document-frequency pruning from the `vocab` section.
PruneOptions PruneOptionsFrom(const Config& config);

}  // namespace ntm
