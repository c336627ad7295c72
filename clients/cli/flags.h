// Every flag speckctl understands, in one place: commands share flags
// (--duration, --rate, --output, ...), and a flag may be defined only once.
// The global ones (--server, --device, --timeout, --output) apply to every
// command that talks to speckd; the rest are read by the commands named in
// their help.
#ifndef SPECKD_CLIENTS_CLI_FLAGS_H_
#define SPECKD_CLIENTS_CLI_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// Global.
ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, device);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(absl::Duration, timeout);
ABSL_DECLARE_FLAG(std::string, output);

// Commands.
ABSL_DECLARE_FLAG(bool, watch);
ABSL_DECLARE_FLAG(absl::Duration, duration);
ABSL_DECLARE_FLAG(bool, reset_stop_watch);
ABSL_DECLARE_FLAG(int64_t, batch);
ABSL_DECLARE_FLAG(bool, wait);
ABSL_DECLARE_FLAG(std::string, pattern);
ABSL_DECLARE_FLAG(double, rate);
ABSL_DECLARE_FLAG(std::string, layer);
ABSL_DECLARE_FLAG(std::string, feature);
ABSL_DECLARE_FLAG(std::string, layers);
ABSL_DECLARE_FLAG(int64_t, features);
ABSL_DECLARE_FLAG(int64_t, count);
ABSL_DECLARE_FLAG(absl::Duration, interval);
ABSL_DECLARE_FLAG(std::string, labels);
ABSL_DECLARE_FLAG(int64_t, windows);
ABSL_DECLARE_FLAG(bool, start);
ABSL_DECLARE_FLAG(bool, realtime);

// simulate.
ABSL_DECLARE_FLAG(std::string, config);
ABSL_DECLARE_FLAG(std::string, events);
ABSL_DECLARE_FLAG(double, slow_clock_hz);
ABSL_DECLARE_FLAG(int64_t, until_us);
ABSL_DECLARE_FLAG(std::string, dataset);
ABSL_DECLARE_FLAG(std::string, label_file);
ABSL_DECLARE_FLAG(int64_t, threads);
ABSL_DECLARE_FLAG(std::string, shard);
ABSL_DECLARE_FLAG(int64_t, output_layer);

namespace speckd::cli {

// Checks argv before absl parses it (absl exits with 1 on a bad flag; a bad
// flag is a usage error, exit 2) and returns the positional words, argv[0]
// excluded. INVALID_ARGUMENT names the unknown flag or the bad value.
absl::StatusOr<std::vector<std::string>> ScanArgs(int argc, char** argv);

// True when the flag was given on the command line that ScanArgs saw (so a
// default can mean "not set", e.g. --rate for `watch power`).
bool FlagGiven(absl::string_view name);

// "a, b,c" -> {"a", "b", "c"}; empty text gives an empty list.
std::vector<std::string> SplitList(absl::string_view text);

// "0,2" -> {0, 2}. INVALID_ARGUMENT "--<flag>: 'x' is not a non-negative
// integer".
absl::StatusOr<std::vector<uint32_t>> ParseUintList(absl::string_view flag,
                                                    absl::string_view text);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_FLAGS_H_
