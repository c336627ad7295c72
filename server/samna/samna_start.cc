#include "server/samna/samna_start.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/log/log.h"

extern char** environ;

namespace speckd::server {
namespace {

bool Executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

// Runs `python -c "<code>"`; true if it exits 0 within `timeout`.
bool Runs(const std::string& python, const std::string& import,
          absl::Duration timeout) {
  std::string arg0 = python, dash_c = "-c", code = import;
  char* argv[] = {arg0.data(), dash_c.data(), code.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawn(&pid, python.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return false;
    }
    absl::SleepFor(absl::Milliseconds(20));  // reaping a child, once at start
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// mkdir -p.
void MakeDirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    ::mkdir(path.substr(0, slash).c_str(), 0750);
  }
  ::mkdir(path.c_str(), 0750);
}

}  // namespace

std::vector<std::string> SamnaPythonCandidates() {
  std::vector<std::string> out = {"/opt/samna/bin/python3",
                                  "/var/lib/speckd/samna-venv/bin/python3"};
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      out.push_back(absl::StrCat(dir, "/python3"));
    }
  }
  return out;
}

absl::StatusOr<std::string> FindSamnaPython(
    const std::vector<std::string>& candidates, absl::Duration timeout) {
  // One that can run the bridge (samna and protobuf), else one with samna
  // (the bridge then says protobuf is missing).
  std::vector<std::string> tried;
  std::string samna_only;
  for (const std::string& python : candidates) {
    if (!Executable(python)) continue;
    tried.push_back(python);
    if (Runs(python, "import samna, google.protobuf", timeout)) return python;
    if (samna_only.empty() && Runs(python, "import samna", timeout)) {
      samna_only = python;
    }
  }
  if (!samna_only.empty()) return samna_only;
  return absl::NotFoundError(absl::StrCat(
      "no Python here imports samna (tried ",
      tried.empty() ? "none: no python3 found" : absl::StrJoin(tried, ", "),
      ")"));
}

absl::StatusOr<std::unique_ptr<driver::samna::SamnaBus>> StartSamna(
    const std::string& python, const std::string& data_dir,
    driver::BoardListener* listener) {
  driver::samna::SamnaBusOptions options;
  if (python == "auto") {
    const std::vector<std::string> candidates = SamnaPythonCandidates();
    absl::StatusOr<std::string> found =
        FindSamnaPython(candidates, absl::Seconds(30));
    if (found.ok()) {
      options.python = *found;
    } else {
      log::Warning("samna_python_not_found",
                   {{"error", found.status().message()}});
      for (const std::string& c : candidates) {
        if (Executable(c)) {
          options.python = c;
          break;
        }
      }
    }
  } else {
    options.python = python;
  }
  if (!Executable(options.python)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--samna_python=", python, ": ",
        options.python.empty() ? "no python3 found" : options.python,
        " is not an executable Python (give the one samna is installed for, "
        "e.g. /opt/samna/bin/python3, or auto)"));
  }
  options.work_dir = data_dir + "/samna";
  MakeDirs(options.work_dir);
  options.log = [](absl::string_view line) {
    log::Info("samna_bridge", {{"line", line}});
  };
  log::Info("samna",
            {{"python", options.python}, {"work_dir", options.work_dir}});
  return driver::samna::SamnaBus::Start(std::move(options), listener);
}

}  // namespace speckd::server
