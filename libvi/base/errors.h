// Typed exceptions thrown by library code. `main` maps each to a one-line
// message and a sysexits exit code. Messages never contain document text:
// only ids, counts, file names, line numbers and field names.
#pragma once

#include <stdexcept>
#include <string>

namespace ntm {

// sysexits(3) codes used by the `ntm` binary.
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 64,       // EX_USAGE: bad command line or config
  kExitDataErr = 65,     // EX_DATAERR: malformed input data
  kExitNoInput = 66,     // EX_NOINPUT: input missing or unreadable
  kExitSoftware = 70,    // EX_SOFTWARE: internal error
  kExitCantCreate = 73,  // EX_CANTCREAT: cannot create output
  kExitIoErr = 74,       // EX_IOERR: I/O error while reading or writing
  kExitTempFail = 75,    // EX_TEMPFAIL: try again (lock held, SIGTERM)
};

// Base class: every ntm error knows the exit code it maps to.
class Error : public std::runtime_error {
 public:
  Error(const std::string& message, int exit_code)
      : std::runtime_error(message), exit_code_(exit_code) {}
  // The sysexits code `main` returns for this error.
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad command line, unknown config key, value out of range.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& m) : Error(m, kExitUsage) {}
};

// Input data that cannot be used (malformed record, corrupted shard).
class InputError : public Error {
 public:
  explicit InputError(const std::string& m) : Error(m, kExitDataErr) {}
};

// An input file or folder that does not exist or cannot be opened.
class MissingInputError : public Error {
 public:
  explicit MissingInputError(const std::string& m) : Error(m, kExitNoInput) {}
};

// An output that cannot be created (permissions, missing parent folder).
class OutputError : public Error {
 public:
  explicit OutputError(const std::string& m) : Error(m, kExitCantCreate) {}
};

// A read or write that failed part-way (disk full, truncated read).
class IoError : public Error {
 public:
  explicit IoError(const std::string& m) : Error(m, kExitIoErr) {}
};

// NaN or Inf where a finite number is required; names the term and step.
class NumericalError : public Error {
 public:
  explicit NumericalError(const std::string& m) : Error(m, kExitSoftware) {}
};

// A condition that may clear on retry: lock held, interrupted by a signal.
class TemporaryError : public Error {
 public:
  explicit TemporaryError(const std::string& m) : Error(m, kExitTempFail) {}
};

// A stop that every rank reached together (e.g. after SIGTERM, agreed over
// all ranks): the job ends normally on every rank, no abort needed, and only
// rank 0 prints the message. Exit 75 unless another code is given (a data
// error every rank found together, e.g. a duplicate id under duplicate_ids: fail).
class CollectiveStopError : public Error {
 public:
  explicit CollectiveStopError(const std::string& m, int exit_code = kExitTempFail)
      : Error(m, exit_code) {}
};

// A stage or feature that is not built yet.
class NotImplementedError : public Error {
 public:
  explicit NotImplementedError(const std::string& m) : Error(m, kExitSoftware) {}
};

// Prefixes context to an error while keeping its type and exit code:
// "reading shard-00003.bow: checksum mismatch".
template <typename E>
[[noreturn]] void RethrowWithContext(const std::string& context, const E& e) {
  throw Error(context + ": " + e.what(), e.exit_code());
}

}  // namespace ntm
