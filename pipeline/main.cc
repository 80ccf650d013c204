// ntm: thin entry point; everything happens in RunCli.
#include <sys/stat.h>

#include "pipeline/cli.h"

int main(int argc, char** argv) {
  // Outputs hold protected health information: owner and group only.
  ::umask(027);
  return ntm::RunCli(argc, argv);
}
