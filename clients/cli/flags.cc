#include "clients/cli/flags.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "driver/util/suggest.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "HOST:PORT of speckd. The SPECKD_SERVER environment variable "
          "overrides this default; the flag overrides both.");
ABSL_FLAG(std::string, token, "",
          "Access token, for a speckd started with --auth_tokens (default "
          "$SPECKD_TOKEN); --token=@FILE reads it from FILE (keeps it out of "
          "the shell's history and ps).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate(s) to check a TLS speckd's certificate with "
          "(default $SPECKD_TLS_CA); turns TLS on.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate for mutual TLS (default $SPECKD_TLS_CERT).");
ABSL_FLAG(std::string, tls_key, "",
          "PEM key of --tls_cert (default $SPECKD_TLS_KEY).");
ABSL_FLAG(std::string, device, "",
          "Device id, e.g. speck2edevkit:0 (the first real devkit) or "
          "speck2edevkit-sim:0 (default: the only usable board, else the "
          "first simulated devkit).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "Deadline of each unary call to speckd (streams run until done).");
ABSL_FLAG(std::string, output, "",
          "Output format: table (default), json or csv. With json, errors "
          "are JSON too (with their code).");

ABSL_FLAG(bool, watch, false,
          "devices: keep streaming device changes (until Ctrl-C or "
          "--duration).");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "watch, devices --watch: stop after this long (default: until "
          "Ctrl-C). write --pattern: length of the generated input "
          "(default 5s).");
ABSL_FLAG(bool, reset_stop_watch, true,
          "write, record replay: reset the device's stop watch first, so "
          "that the file's timestamps start at the device's time 0.");
ABSL_FLAG(int64_t, batch, 10000, "write: events per WriteEvents message.");
ABSL_FLAG(bool, wait, true,
          "write: wait until the device has played the events (real-time "
          "pacing queues them); --nowait returns once they are accepted.");
ABSL_FLAG(std::string, pattern, "",
          "write: generate the input instead of reading a file: tutorial "
          "(sinabs' spike-count tutorial input) or uniform (uniform over the "
          "128x128 DVS array).");
ABSL_FLAG(double, rate, -1,
          "write --pattern: events per second (default 5000). watch power: "
          "set the device's power monitor to this many samples per second "
          "first (1..100, 0 = off; default: leave it).");
ABSL_FLAG(std::string, layer, "",
          "watch spikes: spike layers to show, e.g. 0,1 (13 = the DVS layer; "
          "default: all).");
ABSL_FLAG(std::string, feature, "",
          "watch spikes: features to show, e.g. 0,1 (default: all).");
ABSL_FLAG(std::string, layers, "",
          "watch counts / readout: spike layers to count (default: every "
          "core). record start: spike layers to keep (default: all).");
ABSL_FLAG(int64_t, features, 0,
          "watch counts: number of features (classes) to count. watch "
          "readout: also compute sinabs' majority readout over this many "
          "features.");
ABSL_FLAG(int64_t, count, 0,
          "watch spikes: stop after this many spikes (default: no limit).");
ABSL_FLAG(absl::Duration, interval, absl::Milliseconds(50),
          "watch counts: window length. watch readout: majority window "
          "(default there 500ms).");
ABSL_FLAG(std::string, labels, "",
          "watch counts, demo: names of the features, e.g. top,bottom.");
ABSL_FLAG(int64_t, windows, 0,
          "watch counts: stop after this many windows (default: no limit).");
ABSL_FLAG(bool, start, true, "graph create: start the graph right away.");
ABSL_FLAG(bool, realtime, false,
          "demo: pace the input in real time (~5 s) or not (as fast as "
          "possible); default: real time on a terminal, fast into a pipe.");

ABSL_FLAG(std::string, config, "", "simulate: configuration file (JSON).");
ABSL_FLAG(std::string, events, "", "simulate: input event file (CSV).");
ABSL_FLAG(double, slow_clock_hz, -1,
          "simulate: slow-clock rate in Hz, overriding the configuration's "
          "(0 = off; default: as configured).");
ABSL_FLAG(int64_t, until_us, -1,
          "simulate: run until this stop-watch time (default: the last "
          "input's timestamp).");
ABSL_FLAG(std::string, dataset, "",
          "simulate: a folder of event files, or a .txt list of them, to run "
          "one by one.");
ABSL_FLAG(std::string, label_file, "",
          "simulate --dataset: CSV of file,label (default: folder names).");
ABSL_FLAG(int64_t, threads, 0,
          "simulate --dataset: threads (default: every usable core).");
ABSL_FLAG(std::string, shard, "",
          "simulate --dataset: I/N runs the I-th of N shares (0 <= I < N).");
ABSL_FLAG(int64_t, output_layer, -1,
          "simulate --dataset: the core whose spikes are counted (default: "
          "the only monitored core).");

namespace speckd::cli {
namespace {

// Names of the flags ScanArgs saw (absl keeps this private in this version).
std::set<std::string>& GivenFlags() {
  static auto* given = new std::set<std::string>;
  return *given;
}

// Flags main() handles itself before absl sees them.
bool IsHelpFlag(absl::string_view name) {
  return name == "help" || name == "h" || name == "helpfull" ||
         name == "helpshort";
}

template <typename T>
absl::Status CheckValue(absl::string_view name, absl::string_view value,
                        absl::string_view expected) {
  T parsed;
  std::string error;
  if (absl::ParseFlag(value, &parsed, &error)) return absl::OkStatus();
  // absl often leaves the error empty.
  return absl::InvalidArgumentError(absl::StrCat(
      "--", name, "=", value, ": ", error.empty() ? expected : error));
}

absl::Status CheckFlagValue(const absl::CommandLineFlag& flag,
                            absl::string_view name, absl::string_view value) {
  if (flag.IsOfType<int64_t>()) {
    return CheckValue<int64_t>(name, value, "expected an integer");
  }
  if (flag.IsOfType<int32_t>()) {
    return CheckValue<int32_t>(name, value, "expected an integer");
  }
  if (flag.IsOfType<double>()) {
    return CheckValue<double>(name, value, "expected a number");
  }
  if (flag.IsOfType<absl::Duration>()) {
    return CheckValue<absl::Duration>(
        name, value, "expected a duration such as 500ms, 10s or 1m");
  }
  return absl::OkStatus();  // strings, and absl's own flags
}

// The flags speckctl defines (not absl's own), for suggestions.
std::vector<std::string> SpeckctlFlagNames() {
  std::vector<std::string> names;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::StrContains(flag->Filename(), "clients/cli/")) {
      names.emplace_back(name);
    }
  }
  std::sort(names.begin(), names.end());  // ties go the same way every time
  return names;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ScanArgs(int argc, char** argv) {
  GivenFlags().clear();
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) words.emplace_back(argv[i]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      words.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    const size_t eq = arg.find('=');
    const bool has_value = eq != absl::string_view::npos;
    absl::string_view name = arg.substr(0, eq);
    absl::string_view value = has_value ? arg.substr(eq + 1) : "";
    if (IsHelpFlag(name)) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      flag = absl::FindCommandLineFlag(name.substr(2));
      negated = flag != nullptr && flag->IsOfType<bool>();
      if (!negated) flag = nullptr;
    }
    if (flag == nullptr) {
      const std::string meant = Suggest(name, SpeckctlFlagNames());
      return absl::InvalidArgumentError(
          meant.empty()
              ? absl::StrCat("unknown flag --", name,
                             " (speckctl help COMMAND lists the flags)")
              : absl::StrCat("unknown flag --", name, ": did you mean --",
                             meant, "?"));
    }
    GivenFlags().insert(std::string(negated ? name.substr(2) : name));
    if (flag->IsOfType<bool>()) {
      if (has_value && negated) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      }
      if (has_value) {
        absl::Status ok =
            CheckValue<bool>(name, value, "expected true or false");
        if (!ok.ok()) return ok;
      }
      continue;
    }
    if (!has_value) {
      // absl accepts "--flag value" for non-boolean flags.
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    absl::Status ok = CheckFlagValue(*flag, name, value);
    if (!ok.ok()) return ok;
  }
  return words;
}

bool FlagGiven(absl::string_view name) {
  return GivenFlags().count(std::string(name)) > 0;
}

std::vector<std::string> SplitList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

absl::StatusOr<std::vector<uint32_t>> ParseUintList(absl::string_view flag,
                                                    absl::string_view text) {
  std::vector<uint32_t> out;
  for (const std::string& part : SplitList(text)) {
    uint32_t value = 0;
    if (!absl::SimpleAtoi(part, &value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": '", part, "' is not a non-negative integer"));
    }
    out.push_back(value);
  }
  return out;
}

}  // namespace speckd::cli
