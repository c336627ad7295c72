// What every speckctl command shares: the command table entry, exit codes,
// and how errors are printed (one "speckctl: ..." line per problem).
#ifndef SPECKD_CLIENTS_CLI_COMMAND_H_
#define SPECKD_CLIENTS_CLI_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace speckd::cli {

// Exit codes: what went wrong, for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure
inline constexpr int kExitUsage = 2;    // bad usage or invalid input

struct Command {
  const char* name;
  // One line for `speckctl help`.
  const char* summary;
  // `speckctl help NAME` / `speckctl NAME --help`: usage, flags, an example.
  const char* help;
  // `args` are the words after the command name (flags already parsed).
  int (*run)(const std::vector<std::string>& args);
};

// The commands, each defined in its *_cmd.cc.
extern const Command kDevicesCommand;
extern const Command kInfoCommand;
extern const Command kLeaseCommand;
extern const Command kStopWatchCommand;
extern const Command kCancelCommand;
extern const Command kSimCommand;
extern const Command kDoctorCommand;
extern const Command kConfigCommand;
extern const Command kWriteCommand;
extern const Command kWatchCommand;
extern const Command kGraphCommand;
extern const Command kDemoCommand;
extern const Command kRecordCommand;
extern const Command kSimulateCommand;
extern const Command kVersionCommand;
extern const Command kTokenCommand;

// INVALID_ARGUMENT, NOT_FOUND and OUT_OF_RANGE are the user's input (2);
// anything else is a runtime failure (1).
int ExitCodeFor(const absl::Status& status);

// Prints each line of the status message as "speckctl: <line>" on stderr
// (plain sentences; the code decides only the exit code) and returns the
// exit code for it. With JSON errors on, prints one line
// {"error":{"code":"not_found","message":"..."}} instead.
int Fail(const absl::Status& status);
// For --output=json: scripts read the code and the message.
void SetJsonErrors(bool json);

// "speckctl: <command>: <message> (see speckctl help <command>)", exit 2.
int UsageError(absl::string_view command, absl::string_view message);

// Prints "speckctl: <message>" on stderr (notes, warnings, drops).
void Note(absl::string_view message);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_COMMAND_H_
