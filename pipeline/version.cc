#include <unicode/uversion.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "pipeline/build_info.h"
#include "pipeline/git_commit.h"
#include "pipeline/runtime/mpi_communicator.h"
#include "pipeline/runtime/run_info.h"
#include "pipeline/stages.h"

namespace ntm {

std::string VersionText() {
  std::string text;
  text += "ntm " NTM_VERSION " (commit " NTM_GIT_COMMIT ", " NTM_BUILD_TYPE " build)\n";
  text += "  MPI:           " + MpiLibraryVersion() + "\n";
  text += "  Eigen:         " + EigenVersion() + " (SIMD: " + SimdInstructionSets() + ")\n";
  text += "  ICU:           " U_ICU_VERSION "\n";
  text += "  SentencePiece: " NTM_SENTENCEPIECE_VERSION "\n";
  text += "  yaml-cpp:      " NTM_YAML_CPP_VERSION "\n";
  text += "  simdjson:      " NTM_SIMDJSON_VERSION "\n";
  return text;
}

}  // namespace ntm
