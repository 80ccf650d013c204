// SIGTERM and SIGINT handling for long stages. Schedulers send SIGTERM before
// a time limit; the training loop polls StopRequested() once per step, agrees
// on it across ranks, checkpoints and exits 75.
#pragma once

namespace ntm {

// Installs handlers that only set a flag (async-signal-safe).
void InstallStopHandlers();
// True once SIGTERM or SIGINT has arrived.
bool StopRequested();
// The signal that requested the stop, or 0.
int StopSignal();

}  // namespace ntm
