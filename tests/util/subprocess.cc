#include "tests/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace speckd::testing {
namespace {

int RemainingMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
}

// Reads what is available on `fd` into `out`; false on EOF.
bool ReadSome(int fd, std::string* out) {
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n <= 0) return false;
  out->append(buffer, static_cast<size_t>(n));
  return true;
}

}  // namespace

std::string RunfilePath(const std::string& workspace_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return workspace_relative;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "speckd", "/",
                      workspace_relative);
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

absl::StatusOr<StartedSpeckd> StartSpeckd(
    const std::string& path, const std::vector<std::string>& args) {
  constexpr absl::string_view kListening = "speckd listening on ";
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(path, args);
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> line =
      (*process)->ReadStdoutLine(absl::Seconds(10));
  if (!line.ok()) {
    return absl::Status(line.status().code(),
                        absl::StrCat(line.status().message(),
                                     "; stderr: ", (*process)->stderr_text()));
  }
  absl::string_view rest = *line;
  if (!absl::ConsumePrefix(&rest, kListening)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "speckd printed '", *line, "' instead of '", kListening, "...'"));
  }
  StartedSpeckd started;
  started.address = std::string(rest.substr(0, rest.find(' ')));
  started.process = *std::move(process);
  return started;
}

absl::StatusOr<int> ReadDashboardPort(Subprocess* speckd) {
  constexpr absl::string_view kDashboard = "speckd dashboard at ";
  absl::StatusOr<std::string> line = speckd->ReadStdoutLine(absl::Seconds(10));
  if (!line.ok()) return line.status();
  absl::string_view rest = *line;
  int port = 0;
  if (!absl::ConsumePrefix(&rest, kDashboard) ||
      !(absl::ConsumePrefix(&rest, "http://") ||
        absl::ConsumePrefix(&rest, "https://")) ||
      !absl::SimpleAtoi(
          rest.substr(rest.find(':') + 1, rest.find('/') - rest.find(':') - 1),
          &port)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "speckd printed '", *line, "' instead of '", kDashboard, "...'"));
  }
  return port;
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::string& path, const std::vector<std::string>& args,
    const std::vector<std::string>& extra_env) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (const std::string& e : extra_env) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);
  // Reports a failed exec to the parent (closed by a successful one).
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();

  std::unique_ptr<Subprocess> child(new Subprocess());
  child->pid_ = fork();
  if (child->pid_ == 0) {
    // Only async-signal-safe calls from here to exec. A test that dies
    // (crash, timeout kill) takes its daemons with it instead of leaving
    // them running.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execve(path.c_str(), argv.data(), envp.data());
    const int error = errno;
    (void)!write(exec_pipe[1], &error, sizeof(error));
    _exit(127);
  }
  const int fork_error = child->pid_ < 0 ? errno : 0;
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  int exec_error = fork_error;
  if (fork_error == 0) {
    ssize_t n;
    do {
      n = read(exec_pipe[0], &exec_error, sizeof(exec_error));
    } while (n < 0 && errno == EINTR);
    if (n != sizeof(exec_error)) exec_error = 0;
    if (exec_error != 0) waitpid(child->pid_, nullptr, 0);
  }
  close(exec_pipe[0]);
  if (exec_error != 0) {
    child->pid_ = -1;
    close(out_pipe[0]);
    close(err_pipe[0]);
    return absl::NotFoundError(
        absl::StrCat("cannot start ", path, ": ", std::strerror(exec_error)));
  }
  child->stdout_fd_ = out_pipe[0];
  child->stderr_fd_ = err_pipe[0];
  fcntl(child->stderr_fd_, F_SETFL, O_NONBLOCK);
  // stderr is drained only when the test reads or waits: room for a daemon's
  // log (an audit line per call) in between, so that it never blocks on it.
  fcntl(child->stderr_fd_, F_SETPIPE_SZ, 1 << 20);
  return child;
}

absl::StatusOr<RunResult> Subprocess::Run(
    const std::string& path, const std::vector<std::string>& args,
    absl::Duration timeout, const std::vector<std::string>& extra_env) {
  auto child = Start(path, args, extra_env);
  if (!child.ok()) return child.status();
  RunResult result;
  absl::Time deadline = absl::Now() + timeout;
  // Read both pipes until EOF so a chatty child never blocks on a full pipe.
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? (*child)->stdout_fd_ : -1, POLLIN, 0},
                     {err_open ? (*child)->stderr_fd_ : -1, POLLIN, 0}};
    int ms = RemainingMs(deadline);
    if (ms == 0) break;
    int n = poll(fds, 2, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP))) {
      out_open = ReadSome((*child)->stdout_fd_, &result.stdout_text);
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP))) {
      // stderr is non-blocking: EAGAIN is "nothing now", only EOF closes it.
      char buffer[4096];
      ssize_t r = read((*child)->stderr_fd_, buffer, sizeof(buffer));
      if (r > 0) {
        (*child)->stderr_text_.append(buffer, static_cast<size_t>(r));
      } else if (r == 0 || errno != EAGAIN) {
        err_open = false;
      }
    }
  }
  absl::StatusOr<int> code =
      (*child)->Wait(std::max(absl::ZeroDuration(), deadline - absl::Now()));
  if (!code.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(
        path, " did not finish within ", absl::FormatDuration(timeout),
        "; stderr so far: ", (*child)->stderr_text()));
  }
  result.exit_code = *code;
  result.stderr_text = (*child)->stderr_text();
  return result;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

absl::StatusOr<std::string> Subprocess::ReadStdoutLine(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    size_t newline = stdout_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, newline);
      stdout_buffer_.erase(0, newline + 1);
      return line;
    }
    DrainStderr();
    pollfd fd = {stdout_fd_, POLLIN, 0};
    int ms = RemainingMs(deadline);
    if (ms == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("no stdout line within ", absl::FormatDuration(timeout),
                       "; stderr: ", stderr_text_));
    }
    int n = poll(&fd, 1, std::min(ms, 100));
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (n > 0 && !ReadSome(stdout_fd_, &stdout_buffer_)) {
      DrainStderr();
      return absl::OutOfRangeError(
          absl::StrCat("stdout closed; stderr: ", stderr_text_));
    }
  }
}

void Subprocess::DrainStderr() {
  while (ReadSome(stderr_fd_, &stderr_text_)) {
  }
}

void Subprocess::CloseStdout() {
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

void Subprocess::Signal(int signal) {
  if (pid_ > 0 && !exited_) kill(pid_, signal);
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (exited_) return exit_code_;
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    DrainStderr();
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      DrainStderr();
      return exit_code_;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("child still running");
    }
    // Wait for the child's pipes to change (output or close on exit) rather
    // than sleeping blindly; 10 ms caps the poll so waitpid is retried.
    pollfd fd = {stderr_fd_, POLLIN, 0};
    poll(&fd, 1, std::min(RemainingMs(deadline), 10));
  }
}

}  // namespace speckd::testing
