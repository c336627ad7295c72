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
#include "clients/cli/simulate.h"

ABSL_FLAG(std::string, config, "", "simulate: configuration file (JSON).");
ABSL_FLAG(std::string, events, "", "simulate: input event file (CSV).");
ABSL_FLAG(std::string, output, "",
          "simulate: the output spike file (CSV) to write.");
ABSL_FLAG(double, slow_clock_hz, -1,
          "simulate: slow-clock rate in Hz, overriding the configuration's "
          "(0 = off; default: as configured).");
ABSL_FLAG(int64_t, until_us, -1,
          "simulate: run until this stop-watch time (default: the last "
          "input's timestamp).");

namespace speckd::cli {
namespace {

// Exit codes: what went wrong, for scripts.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // runtime failure
constexpr int kExitUsage = 2;    // bad usage or invalid input

struct Command {
  const char* name;
  const char* summary;
  const char* help;
  int (*run)(const std::vector<char*>& args);
};

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "speckctl: %s\n", std::string(status.message()).c_str());
  return ExitCodeFor(status);
}

int RunSimulate(const std::vector<char*>& args) {
  SimulateOptions options;
  options.config_path = absl::GetFlag(FLAGS_config);
  options.events_path = absl::GetFlag(FLAGS_events);
  options.output_path = absl::GetFlag(FLAGS_output);
  if (options.config_path.empty() || options.events_path.empty() ||
      options.output_path.empty() || args.size() > 2) {
    std::fprintf(stderr,
                 "speckctl simulate: needs --config, --events and --output "
                 "(see speckctl simulate --help)\n");
    return kExitUsage;
  }
  if (absl::GetFlag(FLAGS_slow_clock_hz) >= 0) {
    options.slow_clock_hz = absl::GetFlag(FLAGS_slow_clock_hz);
  }
  if (absl::GetFlag(FLAGS_until_us) >= 0) {
    options.until_us = static_cast<uint64_t>(absl::GetFlag(FLAGS_until_us));
  }
  absl::StatusOr<SimulateSummary> summary = Simulate(options);
  if (!summary.ok()) return Fail(summary.status());
  for (const chip::ConfigProblem& note : summary->notes) {
    std::fprintf(stderr, "speckctl: %s: %s\n", options.config_path.c_str(),
                 note.ToString().c_str());
  }
  std::string per_core;
  for (int i = 0; i < chip::kNumCores; ++i) {
    if (summary->core_spikes[i] > 0) {
      absl::StrAppend(&per_core, per_core.empty() ? "" : ", ", "core ", i, ": ",
                      summary->core_spikes[i]);
    }
  }
  std::fprintf(
      stderr,
      "speckctl: simulated %llu input events up to t=%llu us in "
      "%.3f s: %llu output spikes written to %s (neuron spikes %s; "
      "%llu synaptic operations)\n",
      static_cast<unsigned long long>(summary->input_events),
      static_cast<unsigned long long>(summary->end_us), summary->wall_seconds,
      static_cast<unsigned long long>(summary->output_spikes),
      options.output_path.c_str(), per_core.empty() ? "none" : per_core.c_str(),
      static_cast<unsigned long long>(summary->synops));
  return kExitOk;
}

const Command kCommands[] = {
    {"simulate", "run the chip model offline on an event file",
     "usage: speckctl simulate --config=CONFIG.json --events=EVENTS.csv "
     "--output=OUT.csv [--slow_clock_hz=N] [--until_us=T]\n"
     "\n"
     "Runs the Speck2e chip model in this process, as fast as possible (no\n"
     "daemon needed). CONFIG.json is a SpeckConfiguration in samna's field\n"
     "names; EVENTS.csv starts with the header 'timestamp_us,x,y,p' "
     "(DvsEvents)\n"
     "or 'timestamp_us,layer,feature,x,y' (Spikes into a core). OUT.csv gets\n"
     "every monitored output spike, in emission order. Formats: "
     "docs/formats.md.\n"
     "\n"
     "example:\n"
     "  speckctl simulate --config=examples/tutorial/config.json \\\n"
     "      --events=examples/tutorial/events.csv --output=/tmp/out.csv\n",
     RunSimulate},
};

const Command* FindCommand(absl::string_view name) {
  for (const Command& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

void PrintOverview(std::FILE* out) {
  std::fputs("usage: speckctl COMMAND [flags]\n\ncommands:\n", out);
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
  }
  std::fputs(
      "\n'speckctl help COMMAND' or 'speckctl COMMAND --help' shows a "
      "command's flags and an example.\n",
      out);
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0 ||
        std::strcmp(argv[i], "--helpfull") == 0) {
      return true;
    }
  }
  return false;
}

// The first argument that is not a flag.
const char* FirstWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') return argv[i];
  }
  return nullptr;
}

int Main(int argc, char** argv) {
  const char* word = FirstWord(argc, argv);
  if (word != nullptr && std::strcmp(word, "help") == 0) {
    const char* topic = nullptr;
    for (int i = 1; i < argc; ++i) {
      if (argv[i] != word && argv[i][0] != '-') topic = argv[i];
    }
    const Command* command = topic ? FindCommand(topic) : nullptr;
    if (command != nullptr) {
      std::fputs(command->help, stdout);
    } else {
      PrintOverview(stdout);
    }
    return kExitOk;
  }
  if (WantsHelp(argc, argv)) {
    const Command* command = word ? FindCommand(word) : nullptr;
    if (command != nullptr) {
      std::fputs(command->help, stdout);
    } else {
      PrintOverview(stdout);
    }
    return kExitOk;
  }
  if (word == nullptr) {
    PrintOverview(stderr);
    return kExitUsage;
  }
  const Command* command = FindCommand(word);
  if (command == nullptr) {
    std::fprintf(stderr, "speckctl: unknown command '%s'\n\n", word);
    PrintOverview(stderr);
    return kExitUsage;
  }
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  return command->run(args);
}

}  // namespace
}  // namespace speckd::cli

int main(int argc, char** argv) { return speckd::cli::Main(argc, argv); }
