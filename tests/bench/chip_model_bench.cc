// Chip-model throughput on one core. Run:
//   bazel run -c opt //tests/bench:chip_model_bench
// Goals: the tutorial (its own files, BM_TutorialFile) >= 1000x sinabs'
// 1 ms-bin simulation measured in the same run (tests/bench/vs_sinabs.py
// puts them side by side); the gesture-like 4-core DVS network >= 3 G
// synaptic operations/s.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "clients/cli/event_file.h"
#include "driver/chip/model.h"
#include "proto/codec/config_codec.h"
#include "tests/bench/networks.h"

namespace speckd::bench {
namespace {

constexpr size_t kDrainBlock = 4096;

void BM_TutorialNetwork(benchmark::State& state) {
  const std::vector<chip::InputEvent> input = TutorialInput(1 << 20);
  auto model = std::move(chip::ChipModel::Create(TutorialNetwork())).value();
  chip::OutputBatch out;
  uint64_t spikes = 0;
  for (auto _ : state) {
    model->SetTime(0);
    // Drain in blocks as the device and `speckctl simulate` do, so outputs
    // stay in cache.
    for (size_t i = 0; i < input.size(); i += kDrainBlock) {
      model->Process(&input[i], std::min(kDrainBlock, input.size() - i), &out);
      spikes += out.spikes.size();
      out.clear();
    }
    spikes += out.spikes.size();
    out.clear();
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(input.size()));
  state.counters["input_events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * input.size()),
                         benchmark::Counter::kIsRate);
  state.counters["output_spikes/input"] =
      static_cast<double>(spikes) /
      static_cast<double>(state.iterations() * input.size());
}
BENCHMARK(BM_TutorialNetwork)->Unit(benchmark::kMillisecond);

// The tutorial's own configuration and 25001 DVS events, from
// $SPECKD_TUTORIAL_DIR or the runfiles' examples/tutorial. Each iteration
// is a fresh run of the file (Reset), as `speckctl simulate` would do.
void BM_TutorialFile(benchmark::State& state) {
  const char* env = std::getenv("SPECKD_TUTORIAL_DIR");
  const std::string dir = env != nullptr ? env : "examples/tutorial";
  absl::StatusOr<chip::SpeckConfig> config =
      codec::LoadConfigFile(dir + "/config.json");
  absl::StatusOr<std::vector<chip::InputEvent>> input =
      config.ok() ? cli::ReadInputEvents(dir + "/events.csv", *config)
                  : config.status();
  if (!input.ok()) {
    state.SkipWithError(std::string(input.status().message()).c_str());
    return;
  }
  auto model = std::move(chip::ChipModel::Create(*config)).value();
  chip::OutputBatch out;
  uint64_t spikes = 0;
  for (auto _ : state) {
    model->Reset();
    for (size_t i = 0; i < input->size(); i += kDrainBlock) {
      model->Process(&(*input)[i], std::min(kDrainBlock, input->size() - i),
                     &out);
      spikes += out.spikes.size();
      out.clear();
    }
  }
  state.counters["input_events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * input->size()),
      benchmark::Counter::kIsRate);
  state.counters["output_spikes/input"] =
      static_cast<double>(spikes) /
      static_cast<double>(state.iterations() * input->size());
}
BENCHMARK(BM_TutorialFile)->Unit(benchmark::kMicrosecond);

void BM_GestureNetwork(benchmark::State& state) {
  const std::vector<chip::InputEvent> input = RandomDvsInput(1000000, 1);
  auto model = std::move(chip::ChipModel::Create(GestureNetwork())).value();
  chip::OutputBatch out;
  uint64_t synops = 0;
  uint64_t spikes = 0;
  for (auto _ : state) {
    const uint64_t before = model->stats().TotalSynops();
    model->SetTime(0);
    for (size_t i = 0; i < input.size(); i += kDrainBlock) {
      model->Process(&input[i], std::min(kDrainBlock, input.size() - i), &out);
      out.clear();
    }
    synops += model->stats().TotalSynops() - before;
    out.clear();
  }
  for (const chip::CoreStats& c : model->stats().cores) spikes += c.spikes;
  state.counters["synops/s"] = benchmark::Counter(static_cast<double>(synops),
                                                  benchmark::Counter::kIsRate);
  state.counters["synops/event"] =
      static_cast<double>(synops) /
      static_cast<double>(state.iterations() * input.size());
  state.counters["dvs_events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * input.size()),
                         benchmark::Counter::kIsRate);
  state.counters["neuron_spikes/event"] =
      static_cast<double>(spikes) /
      static_cast<double>(state.iterations() * input.size());
}
BENCHMARK(BM_GestureNetwork)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace speckd::bench

BENCHMARK_MAIN();
