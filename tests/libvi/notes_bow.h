// Bags of words from the shared real corpora (MTSamples clinical notes,
// MedQuAD consumer-health answers) for tests that need real text. The text is
// read from NTM_SHARED_DATA_DIR and tokenized in memory with the project's
// word tokenizer (normalisation, clinical segmentation, stop words, numbers
// as class tokens); it is never copied into the repository, printed or
// compared. Only ids, labels, term ids and counts leave this file.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "libvi/bow.h"
#include "libvi/rng.h"
#include "tokenizer/document_tokenizer.h"
#include "tokenizer/vocabulary.h"

namespace ntm::testing {

// Path of a file in the shared data folder.
inline std::string SharedDataPath(const std::string& name) {
  return std::string(NTM_SHARED_DATA_DIR) + "/" + name;
}

// One tokenized document: its words (in order, repeats kept) and the values
// of the requested label fields (a string field gives one value, an array of
// strings gives all of them, a missing field none).
struct TokenizedNote {
  std::string id;
  std::vector<std::string> words;
  std::vector<std::vector<std::string>> labels;  // one entry per requested field
};

// What to read from a JSONL corpus.
struct ReadNotesOptions {
  std::vector<std::string> label_fields;  // e.g. {"medical_specialty", "specialties"}
  int64_t stride = 1;                     // keep every stride-th line (a spread-out sample)
  int64_t max_docs = 0;                   // stop after this many kept documents; 0 = all
};

// Reads and tokenizes the documents of a JSONL corpus ({"id", "text", ...}
// per line). Throws std::runtime_error naming the file (never the text) if it
// cannot be read or a line is not a JSON object with a string "text".
inline std::vector<TokenizedNote> ReadNotes(const std::string& path,
                                            const ReadNotesOptions& options = {}) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open corpus " + path);
  DocumentTokenizer tokenizer;  // default options: the pipeline's words mode
  std::vector<TokenizedNote> notes;
  std::string line;
  for (int64_t line_no = 0; std::getline(in, line); ++line_no) {
    if (line.empty() || line_no % options.stride != 0) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      throw std::runtime_error(path + ": line " + std::to_string(line_no + 1) +
                               " is not a document");
    }
    TokenizedNote note;
    if (j.contains("id")) {
      note.id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
    }
    for (std::string_view w : tokenizer.Words(j["text"].get_ref<const std::string&>())) {
      note.words.emplace_back(w);
    }
    for (const std::string& field : options.label_fields) {
      std::vector<std::string> values;
      if (j.contains(field) && j[field].is_string()) values.push_back(j[field].get<std::string>());
      if (j.contains(field) && j[field].is_array()) {
        for (const auto& v : j[field]) {
          if (v.is_string()) values.push_back(v.get<std::string>());
        }
      }
      note.labels.push_back(std::move(values));
    }
    notes.push_back(std::move(note));
    if (options.max_docs > 0 && static_cast<int64_t>(notes.size()) >= options.max_docs) break;
  }
  return notes;
}

// The pruned vocabulary (ids by decreasing df) of the notes `which`.
inline Vocabulary NotesVocabulary(const std::vector<TokenizedNote>& notes,
                                  std::span<const int64_t> which, const PruneOptions& prune) {
  TermCounter counter;
  std::vector<std::string_view> views;
  for (int64_t i : which) {
    views.assign(notes[i].words.begin(), notes[i].words.end());
    counter.AddDocument(views);
  }
  return Vocabulary::Build(counter, prune);
}

// A stable 64-bit document key from a document id (FNV-1a, then SplitMix64):
// the seed of the document's common random draws.
inline uint64_t NoteKey(std::string_view id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ULL;
  return Mix64(h);
}

// Documents as a CSR matrix over a vocabulary, with their token counts.
struct NotesBow {
  BowMatrix docs;
  std::vector<double> tokens;   // in-vocabulary tokens of each row
  std::vector<int64_t> source;  // index into the notes of each row (short notes are left out)
};

// Which documents and tokens NotesToBow keeps.
struct BowLength {
  int64_t min_tokens = 1;  // leave out notes with fewer in-vocabulary tokens
  int64_t max_tokens = 0;  // > 0: keep only this many in-vocabulary tokens of a longer note
  // With max_tokens: true keeps a uniform random subset of the tokens (seeded
  // by the document key, so it keeps the note's whole-document composition);
  // false keeps the first ones.
  bool random_subset = true;
};

// The bags of words of the notes `which` over `vocab`, out-of-vocabulary
// words dropped. `length` can leave out short notes and cut long ones, so
// that sets of documents can be compared at equal length.
inline NotesBow NotesToBow(const std::vector<TokenizedNote>& notes, std::span<const int64_t> which,
                           const Vocabulary& vocab, const BowLength& length = {}) {
  NotesBow out{BowMatrix(vocab.size()), {}, {}};
  std::vector<int32_t> ids, terms;
  std::vector<uint32_t> counts;
  for (int64_t i : which) {
    ids.clear();
    for (const std::string& w : notes[i].words) {
      const int32_t id = vocab.Lookup(w);
      if (id >= 0) ids.push_back(id);
    }
    if (static_cast<int64_t>(ids.size()) < length.min_tokens) continue;
    const uint64_t key = NoteKey(notes[i].id);
    if (length.max_tokens > 0 && static_cast<int64_t>(ids.size()) > length.max_tokens) {
      if (length.random_subset) {  // partial Fisher-Yates: a uniform subset in ids[0, max)
        uint64_t state = key;
        for (int64_t t = 0; t < length.max_tokens; ++t) {
          state = Mix64(state);
          const auto rest = static_cast<uint64_t>(ids.size()) - static_cast<uint64_t>(t);
          std::swap(ids[t], ids[t + static_cast<int64_t>(state % rest)]);
        }
      }
      ids.resize(length.max_tokens);
    }
    std::map<int32_t, uint32_t> bag;
    for (int32_t id : ids) ++bag[id];
    terms.clear();
    counts.clear();
    for (const auto& [id, c] : bag) terms.push_back(id), counts.push_back(c);
    out.docs.AddDocument(terms, counts, key);
    out.tokens.push_back(static_cast<double>(ids.size()));
    out.source.push_back(i);
  }
  return out;
}

}  // namespace ntm::testing
