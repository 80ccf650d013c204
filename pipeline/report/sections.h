// The builders of the report's sections, one function each (used by
// BuildReportDocument). A section whose inputs are missing says what is
// missing and which command produces it, instead of failing.
#pragma once

#include <string>
#include <vector>

#include "pipeline/report/document.h"

namespace ntm {

// 1. Documents, tokens, vocabulary, rejects and changes (manifest.json).
ReportSection CorpusSection(const ReportData& data);
// 2. ELBO curves, time per epoch, documents/s (train_log.jsonl).
ReportSection TrainingSection(const ReportData& data);
// 3. Documents/s per method, speedup, 10-million-note projection (timings.json).
ReportSection ThroughputSection(const ReportData& data);
// 4. Perplexity, ELBO, L1 to classical per method (quality.json, theta-*.npy).
ReportSection QualitySection(const ReportData& data);
// 5. Amortization gap histogram and the share refinement closes.
ReportSection GapSection(const ReportData& data);
// 6. Top terms, NPMI and prevalence per topic.
ReportSection TopicsSection(const ReportData& data);
// 7. Speedup and efficiency across scores folders with different rank counts.
ReportSection ScalingSection(const ReportData& data);
// 8. Versions, machine, ranks and config checksums (run.json).
ReportSection EnvironmentSection(const ReportData& data);

// A two-column table "Figure | Value" with a right-aligned value column.
ReportTable FigureTable(std::vector<std::vector<std::string>> rows);
// A table with the given header; the columns flagged in `numeric` are right-aligned.
ReportTable MakeTable(std::vector<std::string> header, std::vector<bool> numeric);

}  // namespace ntm
