// Renderers of the report document: report.html (one self-contained file:
// inline CSS and SVG, no scripts, nothing fetched from a network) and
// report.md (the same figures as Markdown tables).
#pragma once

#include <string>

#include "pipeline/report/document.h"

namespace ntm {

// The document as a complete HTML page.
std::string RenderHtml(const ReportDocument& document);
// The document as GitHub-flavoured Markdown.
std::string RenderMarkdown(const ReportDocument& document);

}  // namespace ntm
