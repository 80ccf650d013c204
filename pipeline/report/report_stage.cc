// `ntm report --out REPORT_DIR RUN_DIR...`: reads corpus, model and scores
// folders and writes report.html, report.json and report.md. Rank 0 does all
// the work (a report reads summaries, not corpora); other ranks return at once.
#include <filesystem>

#include "pipeline/build_info.h"
#include "pipeline/io/atomic_file.h"
#include "pipeline/report/data.h"
#include "pipeline/report/document.h"
#include "pipeline/report/json.h"
#include "pipeline/report/render.h"
#include "pipeline/runtime/log.h"
#include "pipeline/runtime/run_info.h"
#include "pipeline/stages.h"

namespace ntm {

int RunReport(StageContext& ctx, const ReportArgs& args) {
  if (!ctx.comm.is_root()) return 0;
  const std::filesystem::path out(args.out_dir);
  RunRecorder recorder("report", out);
  const ReportData data = ReadReportData(
      std::vector<std::filesystem::path>(args.run_dirs.begin(), args.run_dirs.end()));
  const std::string utc = UtcTimestamp();
  const ReportDocument document =
      BuildReportDocument(data, "Generated " + utc + " by ntm " NTM_VERSION " from " +
                                    std::to_string(args.run_dirs.size()) + " run folder(s).");
  CreateDirectories(out);
  WriteFileAtomically(out / "report.html", RenderHtml(document));
  WriteFileAtomically(out / "report.md", RenderMarkdown(document));
  WriteFileAtomically(
      out / "report.json",
      ReportToJson(data, utc, CollectNotes(document))
              .dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
          "\n");
  recorder.Write(ctx, args.run_dirs);
  NTM_LOG(kInfo) << "report: " << data.corpora.size() << " corpus, " << data.models.size()
                 << " model and " << data.scores.size() << " scores folder(s) -> "
                 << (out / "report.html").string();
  return 0;
}

}  // namespace ntm
