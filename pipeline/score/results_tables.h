// Results back into the warehouse (`ntm score` with database.write_results):
// after a run's files are complete, rank 0 copies them into three tables of
// the input database, in ONE transaction, so a killed run leaves nothing and
// a rerun completes the work:
//   <prefix>note_topics  one row per note x method: model_id, method, note_id,
//                        text_checksum, topics real[] (theta, K entries, topic
//                        0 first), top_topic, elbo, run_id
//                        key (model_id, method, note_id, text_checksum)
//   <prefix>topics       model_id, topic, rank, term, weight (top terms)
//                        key (model_id, topic, rank)
//   <prefix>runs         model_id, run_id, started_at, finished_at,
//                        wall_seconds, documents, methods, config (YAML, no
//                        password: the URI is not part of it), timings
//                        (jsonb), drift_verdict (the night's drift JSON;
//                        NULL for a run without --incremental)
//                        key (model_id, run_id)
// Rows go in with COPY into temporary tables, then INSERT ... ON CONFLICT DO
// NOTHING: writing the same note, text and model again (the same night run
// twice, or a rerun after a kill between commit and the folder rename)
// inserts nothing twice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/config/config.h"

namespace ntm {

// One finished run, as its files describe it.
struct ResultsRun {
  std::string uri;                   // the database (the input URI, no password)
  std::filesystem::path model_dir;   // model.bin, topics.npy, vocab.tsv
  std::filesystem::path scores_dir;  // doc_ids.txt, scored.tsv, theta-/elbo-<method>.npy
  std::vector<std::string> methods;  // in output order
  std::string run_id;                // dated folder (incremental) or output folder
  std::string config_yaml;           // effective configuration
  double wall_seconds = 0;           // the run so far
  std::string drift_verdict;         // summary.json's drift object as JSON; "" = NULL
};

// The counts a write inserted (already present rows are not counted).
struct ResultsWritten {
  int64_t note_topics = 0;
  int64_t topics = 0;
  int64_t runs = 0;
};

// Writes `run` into the results tables (creating them if missing) in one
// transaction. Rank 0 only. MissingInputError if the database cannot be
// reached; IoError/InputError if a statement fails (nothing is committed).
ResultsWritten WriteResultsTables(const DatabaseConfig& config, const ResultsRun& run);

// The model id the tables use: "xxh3:" and the checksum of model.bin.
std::string ModelId(const std::filesystem::path& model_dir);

// `text` escaped as one field of COPY's text format.
std::string CopyField(std::string_view text);

}  // namespace ntm
