// speckctl: the command-line client for speckd (and, with `simulate`, for the
// chip model offline). `speckctl help` lists the commands.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/flags.h"
#include "driver/util/suggest.h"

namespace speckd::cli {
namespace {

// `speckctl help` order: first steps, then the rest.
const Command* const kCommands[] = {
    &kDevicesCommand, &kInfoCommand,   &kConfigCommand,   &kWriteCommand,
    &kWatchCommand,   &kDemoCommand,   &kGraphCommand,    &kStopWatchCommand,
    &kCancelCommand,  &kLeaseCommand,  &kSimulateCommand, &kDoctorCommand,
    &kSimCommand,     &kRecordCommand, &kVersionCommand,  &kTokenCommand,
};

const Command* FindCommand(absl::string_view name) {
  for (const Command* c : kCommands) {
    if (name == c->name) return c;
  }
  return nullptr;
}

void PrintOverview(std::FILE* out) {
  std::fputs("usage: speckctl COMMAND [flags]\n\ncommands:\n", out);
  for (const Command* c : kCommands) {
    std::fprintf(out, "  %-12s %s\n", c->name, c->summary);
  }
  std::fputs(
      "\n"
      "global flags (every command that talks to speckd):\n"
      "  --server=HOST:PORT  speckd's address (default: $SPECKD_SERVER, else\n"
      "                      127.0.0.1:50051)\n"
      "  --device=ID         the device (default: the only usable board, else "
      "the\n"
      "                      first simulated devkit)\n"
      "  --timeout=10s       deadline of each call\n"
      "  --output=FORMAT     table (default), json or csv\n"
      "\n"
      "exit codes: 0 ok, 1 runtime failure, 2 usage or invalid input.\n"
      "'speckctl help COMMAND' or 'speckctl COMMAND --help' shows a "
      "command's flags and an example.\n",
      out);
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0 ||
        std::strcmp(argv[i], "--helpfull") == 0) {
      return true;
    }
  }
  return false;
}

// The first argument that is not a flag (before flags are checked, so that
// `--help` works on any command line).
const char* FirstWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') return argv[i];
  }
  return nullptr;
}

int ShowHelp(const char* topic) {
  if (topic == nullptr) {
    PrintOverview(stdout);
    return kExitOk;
  }
  const Command* command = FindCommand(topic);
  if (command == nullptr) {
    std::fprintf(stderr, "speckctl: unknown command '%s'\n\n", topic);
    PrintOverview(stderr);
    return kExitUsage;
  }
  std::fputs(command->help, stdout);
  return kExitOk;
}

int Main(int argc, char** argv) {
  absl::StatusOr<std::vector<std::string>> words = ScanArgs(argc, argv);
  if (words.ok() && !words->empty() && (*words)[0] == "help") {
    return ShowHelp(words->size() > 1 ? (*words)[1].c_str() : nullptr);
  }
  if (WantsHelp(argc, argv)) {
    const char* word = words.ok()
                           ? (words->empty() ? nullptr : (*words)[0].c_str())
                           : FirstWord(argc, argv);
    return ShowHelp(word);
  }
  if (!words.ok()) return Fail(words.status());
  if (words->empty()) {
    PrintOverview(stderr);
    return kExitUsage;
  }
  const Command* command = FindCommand((*words)[0]);
  if (command == nullptr) {
    std::vector<std::string> names;
    for (const Command* c : kCommands) names.emplace_back(c->name);
    std::fprintf(stderr, "speckctl: unknown command '%s'%s\n\n",
                 (*words)[0].c_str(), DidYouMean((*words)[0], names).c_str());
    PrintOverview(stderr);
    return kExitUsage;
  }
  // Before gRPC starts its threads, so that they all inherit the mask.
  InstallInterruptHandler();
  absl::ParseCommandLine(argc, argv);
  SetJsonErrors(absl::GetFlag(FLAGS_output) == "json");
  SetLeaseCommand(command->name);
  return command->run(
      std::vector<std::string>(words->begin() + 1, words->end()));
}

}  // namespace
}  // namespace speckd::cli

int main(int argc, char** argv) { return speckd::cli::Main(argc, argv); }
