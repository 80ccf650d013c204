// report.json: every figure the report shows, as numbers (not formatted text),
// for scripts that compare runs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/report/data.h"

namespace ntm {

// Version of the report.json layout; bump when a field changes meaning.
inline constexpr int kReportJsonVersion = 1;

// The report's figures; `notes` are (section id, text) of what is missing.
nlohmann::ordered_json ReportToJson(const ReportData& data, const std::string& generated_utc,
                                    const std::vector<std::pair<std::string, std::string>>& notes);

}  // namespace ntm
