// Stages whose issues have not landed yet. Each exits 70 with a clear message;
// the issue that builds a stage deletes its function from this file.
#include "libvi/errors.h"
#include "pipeline/stages.h"

namespace ntm {
namespace {

[[noreturn]] void NotYet(const std::string& stage) {
  throw NotImplementedError("the " + stage + " stage is not implemented yet");
}

}  // namespace

int RunExportBow(StageContext&, const ExportBowArgs&) { NotYet("export-bow"); }

}  // namespace ntm
