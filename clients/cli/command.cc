#include "clients/cli/command.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clients/cli/output.h"

namespace speckd::cli {
namespace {

bool json_errors = false;

}  // namespace

void SetJsonErrors(bool json) { json_errors = json; }

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

int Fail(const absl::Status& status) {
  if (json_errors) {
    JsonObject error;
    error
        .AddString("code", absl::AsciiStrToLower(
                               absl::StatusCodeToString(status.code())))
        .AddString("message", status.message());
    JsonObject line;
    line.AddRaw("error", error.str());
    std::fprintf(stderr, "%s\n", line.str().c_str());
    std::fflush(stderr);
    return ExitCodeFor(status);
  }
  for (absl::string_view line :
       absl::StrSplit(status.message(), '\n', absl::SkipWhitespace())) {
    Note(line);
  }
  return ExitCodeFor(status);
}

int UsageError(absl::string_view command, absl::string_view message) {
  Note(absl::StrCat(command, ": ", message, " (see speckctl help ", command,
                    ")"));
  return kExitUsage;
}

void Note(absl::string_view message) {
  std::fprintf(stderr, "speckctl: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
}

}  // namespace speckd::cli
