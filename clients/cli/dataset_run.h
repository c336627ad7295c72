// Runs a dataset's samples through the chip model on N threads. Each
// sample starts from a fresh chip (ChipModel::Reset: neurons at their
// initial values, stop watch at 0, slow clock and readout restarted), so a
// sample's result does not depend on which thread ran it, or after what:
// results are the same for any --threads and any --shard split.
#ifndef SPECKD_CLIENTS_CLI_DATASET_RUN_H_
#define SPECKD_CLIENTS_CLI_DATASET_RUN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/cli/dataset.h"
#include "clients/cli/dataset_results.pb.h"
#include "driver/chip/config.h"

namespace speckd::cli {

// The core whose spikes are counted: `requested` if given (it must be in
// use and monitored), else the only core with monitor_enable. Errors say
// which cores qualify and to pass --output_layer.
absl::StatusOr<int> ChooseOutputLayer(const chip::SpeckConfig& config,
                                      std::optional<int> requested);

struct DatasetRunOptions {
  chip::SpeckConfig config;  // validated
  int output_layer = 0;
  int threads = 1;
  // Which samples of the dataset to run (ShardIndices), in this order.
  std::vector<size_t> indices;
};

// Called for every sample in `indices` order (never concurrently) with the
// number done so far.
using ResultSink = std::function<void(const SampleResult&, size_t done)>;

// INVALID_ARGUMENT only if the chip model cannot be built; failed samples
// are results with an error.
absl::Status RunDataset(const Dataset& dataset,
                        const DatasetRunOptions& options,
                        const ResultSink& sink);

// Cores the machine lets this process use (its CPU affinity: what a Slurm
// allocation or a container's cpuset gives), at least 1.
int UsableCores();

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_DATASET_RUN_H_
