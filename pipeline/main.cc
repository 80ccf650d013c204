// ntm: thin entry point; everything happens in RunCli.
#include "pipeline/cli.h"

int main(int argc, char** argv) { return ntm::RunCli(argc, argv); }
