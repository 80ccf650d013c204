// `ntm export-bow`: a corpus folder as bow.mtx (MatrixMarket, rows =
// documents), vocab.txt and doc_ids.txt, for Python tools (scipy.io.mmread).
// Rank 0 does the work; it streams one shard at a time.
#include "libvi/base/errors.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/export/bow_export.h"
#include "pipeline/runtime/log.h"
#include "pipeline/stages.h"

namespace ntm {

int RunExportBow(StageContext& ctx, const ExportBowArgs& args) {
  if (!ctx.comm.is_root()) return 0;
  const CorpusLayout layout = ReadCorpusLayout(args.corpus_dir);
  const BowExportSummary s =
      ExportBow(layout.shards, layout.vocab.pieces, args.out_dir, layout.vocab.checksum);
  NTM_LOG(kInfo) << "export-bow: " << s.documents << " documents x " << s.terms << " terms ("
                 << s.entries << " entries) into " << args.out_dir;
  if (!args.completion_split) return 0;
  const ScoreConfig& score = ctx.config.score;
  const CompletionSplitSummary c =
      ExportCompletionSplit(layout.shards, s.terms, args.out_dir, score.heldout_fraction,
                            score.seed, layout.vocab.checksum);
  NTM_LOG(kInfo) << "export-bow: completion split of " << c.documents << " documents ("
                 << c.observed_tokens << " observed, " << c.heldout_tokens << " held-out tokens)";
  return 0;
}

}  // namespace ntm
