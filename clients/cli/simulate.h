// `speckctl simulate`: the chip model in-process, as fast as possible, no
// daemon. Reads a configuration file and an event file, writes every
// monitored output spike in emission order.
#ifndef SPECKD_CLIENTS_CLI_SIMULATE_H_
#define SPECKD_CLIENTS_CLI_SIMULATE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/chip/config.h"
#include "driver/chip/validate.h"

namespace speckd::cli {

struct SimulateOptions {
  std::string config_path;
  std::string events_path;
  std::string output_path;
  // Overrides the configuration's slow clock (0 turns it off).
  std::optional<double> slow_clock_hz;
  // Runs (slow-clock ticks) up to this time; default: the last input's.
  std::optional<uint64_t> until_us;
};

struct SimulateSummary {
  uint64_t input_events = 0;
  uint64_t output_spikes = 0;
  uint64_t readout_values = 0;
  uint64_t end_us = 0;
  uint64_t synops = 0;
  std::array<uint64_t, chip::kNumCores> core_spikes{};
  // The monitored spikes written per core and feature (one count per
  // feature of a core with monitor_enable; empty for the others).
  std::array<std::vector<uint64_t>, chip::kNumCores> monitored{};
  double wall_seconds = 0;
  // NOT_MODELLED and WARNING findings of validation.
  std::vector<chip::ConfigProblem> notes;
};

// Loads and validates a configuration file (applying the slow-clock
// override); NOT_MODELLED and WARNING findings go to `notes`. Errors as for
// Simulate.
absl::StatusOr<chip::SpeckConfig> LoadSimulationConfig(
    const std::string& path, std::optional<double> slow_clock_hz,
    std::vector<chip::ConfigProblem>* notes);

// Errors: INVALID_ARGUMENT for a bad configuration (every problem, one per
// line, "<config path>: <field path>: <message>") or event file (file, line
// and field), NOT_FOUND for unreadable files, others for I/O failures.
absl::StatusOr<SimulateSummary> Simulate(const SimulateOptions& options);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_SIMULATE_H_
