// Splitting the inputs over ranks. The inputs are laid end to end as one byte
// space of T bytes; rank r owns the records whose first byte lies in
// [r*T/P, (r+1)*T/P). Splittable sources (uncompressed JSONL and CSV) are cut
// into byte ranges at those points; the others (gzip, txt) go whole to the
// rank where their first byte lies. Consequences:
//  - every record is read by exactly one rank, for any P;
//  - each rank's documents are one contiguous run of the global input order,
//    so concatenating rank outputs in rank order gives the input order, and
//    (source_index, offset) sorts documents globally;
//  - work is balanced by bytes to within one unsplittable file.
// A database input (always alone) is split by rows instead: rank r gets share
// r, whose bounds OpenDatabaseInputs agreed on (database_input.h).
#pragma once

#include <vector>

#include "tokenizer/readers/readers.h"

namespace ntm {

// How AssignWork may cut sources.
struct AssignOptions {
  // Cut uncompressed CSV into byte ranges. Exact, but each rank scans the
  // bytes before its range to find record boundaries (see OpenReader, ~350
  // MB/s against ~40 MB/s of tokenization): always faster than one rank
  // reading the file, but the speed-up of one big CSV levels off near 9
  // ranks (JSONL has no such limit). Off: CSV files stay whole.
  bool split_csv = true;
};

// The work items of `rank` out of `num_ranks`, in global order. Every rank
// calls it with the same `sources` (from ExpandInputs) and gets its share.
std::vector<WorkItem> AssignWork(const std::vector<InputSource>& sources, int rank, int num_ranks,
                                 const AssignOptions& options = {});

}  // namespace ntm
