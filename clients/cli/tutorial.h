// sinabs' "Spike Count Visualization" tutorial, built in code: its network
// (the same configuration as examples/tutorial/config.json) and synthetic
// inputs for `write --pattern` and `demo spike-count`.
//
// The network: one core, input 16x16x1, a 16x16 kernel, output 1x1x2.
// Feature 0 sums the top half of the DVS patch (y < 8), feature 1 the bottom
// half; with threshold 127 and weights 127 every input event makes exactly
// one output spike of its half's class.
#ifndef SPECKD_CLIENTS_CLI_TUTORIAL_H_
#define SPECKD_CLIENTS_CLI_TUTORIAL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/speckd/v1/config.pb.h"
#include "proto/speckd/v1/event_service.pb.h"

namespace speckd::cli {

// The first generated event's timestamp (as in sinabs' tutorial).
inline constexpr uint64_t kPatternStartUs = 5000;
inline constexpr double kDefaultPatternRateHz = 5000;
inline constexpr absl::Duration kDefaultPatternDuration = absl::Seconds(5);

speckd::v1::SpeckConfiguration TutorialConfiguration();

// DvsEvents at t = 5000 + i * 1e6 / rate_hz µs for i = 0 .. rate_hz *
// duration (inclusive: 25001 events at 5000 Hz for 5 s, the last at
// 5,005,000 µs). x is pseudo-random in 0..15; y is in the top half 0..7
// while t < duration / 2 and in the bottom half 8..15 after; p is
// pseudo-random. Deterministic: the same arguments give the same events.
// In speckd.v1's columns (dvs_events), ready to send.
speckd::v1::WriteEventsRequest TutorialEvents(double rate_hz,
                                              absl::Duration duration);

// The same timing, x and y uniform over the 128x128 DVS array.
speckd::v1::WriteEventsRequest UniformEvents(double rate_hz,
                                             absl::Duration duration);

// "tutorial" or "uniform"; INVALID_ARGUMENT for another name, a rate that
// is not positive or a duration that is negative.
absl::StatusOr<speckd::v1::WriteEventsRequest> PatternEvents(
    absl::string_view pattern, double rate_hz, absl::Duration duration);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_TUTORIAL_H_
