#include "tests/samna_double/samna_double.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

// The bridge runs in its own working directory: paths must be absolute.
std::string Absolute(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? resolved : path;
}

}  // namespace

SamnaDouble::SamnaDouble(const std::string& name)
    : dir_(absl::StrCat(TempDir(), "/", name)) {
  ::mkdir(dir_.c_str(), 0700);
  Configure("{}");
  std::ofstream(dir_ + "/calls.jsonl", std::ios::trunc);
}

void SamnaDouble::Configure(const std::string& settings_json) const {
  std::ofstream(dir_ + "/settings.json", std::ios::trunc) << settings_json;
}

std::vector<std::string> SamnaDouble::Environment(bool with_samna) const {
  // Without the double, a directory with no samna in it: Python then finds
  // none (Debian's python3 has no samna either).
  const std::string path =
      with_samna ? Absolute(RunfilePath("tests/samna_double")) : dir_;
  return {absl::StrCat("PYTHONPATH=", path),
          absl::StrCat("SAMNA_DOUBLE_BOARD_MODEL=",
                       Absolute(RunfilePath("tests/samna_double/board_model"))),
          absl::StrCat("SAMNA_DOUBLE=", dir_, "/settings.json"),
          absl::StrCat("SAMNA_DOUBLE_CALLS=", dir_, "/calls.jsonl")};
}

void SamnaDouble::SetEnvironment(bool with_samna) const {
  for (const std::string& entry : Environment(with_samna)) {
    const size_t eq = entry.find('=');
    ::setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
  }
}

std::vector<std::string> SamnaDouble::Calls() const {
  std::ifstream in(dir_ + "/calls.jsonl");
  std::vector<std::string> calls;
  std::string line;
  const std::string kKey = "\"call\": \"";
  while (std::getline(in, line)) {
    const size_t at = line.find(kKey);
    if (at == std::string::npos) continue;
    const size_t begin = at + kKey.size();
    calls.push_back(line.substr(begin, line.find('"', begin) - begin));
  }
  return calls;
}

std::string SamnaDouble::WorkDir() const {
  const std::string dir = dir_ + "/state";
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

}  // namespace speckd::testing
