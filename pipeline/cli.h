// The `ntm` command line: parses flags, loads the configuration, sets up the
// communicator and logging, runs one stage and turns errors into exit codes.
#pragma once

namespace ntm {

// Runs `ntm` with the process arguments; returns the exit code.
int RunCli(int argc, char** argv);

}  // namespace ntm
