// Runs a binary of this workspace as a child process, for end-to-end tests of
// speckd and speckctl as users run them.
//
//   auto speckd = Subprocess::Start(RunfilePath("server/speckd"),
//                                   {"--listen=127.0.0.1:0"});
//   auto line = (*speckd)->ReadStdoutLine(absl::Seconds(5));
//   (*speckd)->Signal(SIGTERM);
//   (*speckd)->Wait(absl::Seconds(5));   // exit code
#ifndef SPECKD_TESTS_UTIL_SUBPROCESS_H_
#define SPECKD_TESTS_UTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace speckd::testing {

// Absolute path of a file in this test's runfiles (workspace-relative name).
std::string RunfilePath(const std::string& workspace_relative);

// Directory for the test's scratch files (TEST_TMPDIR or /tmp).
std::string TempDir();

// Writes `text` to TempDir()/name; returns the path.
std::string WriteTempFile(const std::string& name, const std::string& text);

struct RunResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

class Subprocess {
 public:
  // Starts `path` with `args`; stdout and stderr are captured. Extra
  // environment entries ("NAME=value") are added to the test's environment.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::string& path, const std::vector<std::string>& args,
      const std::vector<std::string>& extra_env = {});

  // Runs to completion (killed after `timeout`) and returns what it printed.
  static absl::StatusOr<RunResult> Run(
      const std::string& path, const std::vector<std::string>& args,
      absl::Duration timeout, const std::vector<std::string>& extra_env = {});

  ~Subprocess();  // Kills the child if still running.

  // Next stdout line (without '\n'); DEADLINE_EXCEEDED or OUT_OF_RANGE (EOF).
  absl::StatusOr<std::string> ReadStdoutLine(absl::Duration timeout);

  void Signal(int signal);

  // Closes our end of the child's stdout, as a `| head` that has read
  // enough does: the child's next write fails (SIGPIPE, or EPIPE when it
  // ignores that). ReadStdoutLine then returns only what was buffered.
  void CloseStdout();

  // Exit code (128 + signal if killed); DEADLINE_EXCEEDED if still running.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Everything read from stderr so far (drained on Wait).
  const std::string& stderr_text() const { return stderr_text_; }
  pid_t pid() const { return pid_; }

 private:
  Subprocess() = default;
  void DrainStderr();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdout_buffer_;
  std::string stderr_text_;
  bool exited_ = false;
  int exit_code_ = -1;
};

// A speckd started by a test, with the gRPC address it printed.
struct StartedSpeckd {
  std::unique_ptr<Subprocess> process;
  std::string address;
};

// Starts the speckd binary at `path` with `args` and reads its first line,
// "speckd listening on HOST:PORT (gRPC)". An error (with what it printed
// instead) when it does not start or says something else.
absl::StatusOr<StartedSpeckd> StartSpeckd(const std::string& path,
                                          const std::vector<std::string>& args);

// For a speckd started with --web_listen: reads its next line, "speckd
// dashboard at http[s]://HOST:PORT/ ...", and returns the port.
absl::StatusOr<int> ReadDashboardPort(Subprocess* speckd);

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_UTIL_SUBPROCESS_H_
