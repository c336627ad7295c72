// Loads the golden cases of ../shared/reference (made with the real sinabs)
// into chip-model terms: the configuration a sinabs user uploads, the input
// events, and the outputs Part A's rules must reproduce.
//
//   absl::StatusOr<ReferenceCase> c =
//   LoadReferenceCase("tutorial_spike_count");
#ifndef SPECKD_TESTS_REFERENCE_REFERENCE_CASE_H_
#define SPECKD_TESTS_REFERENCE_REFERENCE_CASE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"

namespace speckd::testing {

struct ReferenceCase {
  std::string name;
  // chip_config.cnn_layers_written with monitor_enable on for every used core
  // (so that every core's spikes are observable), plus the slow clock the
  // case's time binning implies when a layer leaks.
  chip::SpeckConfig config;
  std::vector<chip::InputEvent> inputs;
  // expected_event_driven.spikes in emission order.
  std::vector<chip::Spike> expected_spikes;
  // expected_event_driven.final_v_mem_fyx per core, flat [f][y][x].
  std::map<int, std::vector<int16_t>> expected_final_v_mem;
  // expected_event_driven.per_feature_totals of the output core.
  int output_core = 0;
  std::vector<int64_t> expected_per_feature_totals;
  // sinabs' own (time-stepped) totals: expected.per_feature_totals and
  // expected.per_neuron_totals_fyx_n, flat [f][y][x].
  std::vector<int64_t> sinabs_per_feature_totals;
  std::vector<int64_t> sinabs_per_neuron_totals;
  // expected.per_50ms_window_counts when present: [window][feature].
  std::vector<std::vector<int64_t>> sinabs_window_counts;
};

// Whether ../shared/reference was next to this checkout when Bazel looked
// (CI has it; a user's clone does not). Tests skip, saying so, without it.
bool ReferenceCasesPresent();
inline constexpr char kNoReferenceCases[] =
    "SKIPPED: the sinabs golden cases live in ../shared/reference, which this "
    "checkout does not have (CI has it); the chip model is still checked by "
    "its own tests and the tutorial end-to-end tests";

// Names of the published cases, e.g. "tutorial_spike_count".
std::vector<std::string> ReferenceCaseNames();

absl::StatusOr<ReferenceCase> LoadReferenceCase(const std::string& name);

// The text of one file of ../shared/reference, e.g. "README.md".
absl::StatusOr<std::string> ReadReferenceFile(const std::string& name);

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_REFERENCE_REFERENCE_CASE_H_
