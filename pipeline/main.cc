// ntm: thin entry point; everything happens in RunCli.
#include <sys/stat.h>

#include <csignal>

#include "pipeline/cli.h"

int main(int argc, char** argv) {
  // Outputs hold protected health information: owner and group only.
  ::umask(027);
  // A file-size limit (ulimit -f, PBS -l file=...) must fail the write with
  // EFBIG, reported as an I/O error naming the file (exit 74), not kill the
  // process with SIGXFSZ before it can clean up.
  std::signal(SIGXFSZ, SIG_IGN);
  return ntm::RunCli(argc, argv);
}
