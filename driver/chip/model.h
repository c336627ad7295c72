// The event-driven Speck2e chip model (docs/chip-model.md): DVS
// pre-processing, integrate-and-fire cores with one spike per update, routing
// with pooling and feature_shift, monitor events, output decimator, leak on
// slow-clock ticks and the readout layer. Deterministic: the same
// configuration and inputs give the same outputs, in the same order.
//
//   absl::StatusOr<std::unique_ptr<ChipModel>> model =
//   ChipModel::Create(config); OutputBatch out;
//   (*model)->Process(InputEvent::FromSpike({.timestamp_us = 10, ...}), &out);
//   (*model)->AdvanceTo(until_us, &out);   // slow-clock ticks up to until_us
//
// Inputs must come in non-decreasing timestamp order; an input older than the
// model's time is processed at the model's time (as a real devkit processes
// late inputs at once). Not thread-safe: one owner drives it.
#ifndef SPECKD_DRIVER_CHIP_MODEL_H_
#define SPECKD_DRIVER_CHIP_MODEL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/chip/accumulate.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "driver/chip/readout.h"

namespace speckd::chip {

struct CoreStats {
  // Spikes delivered into the core (from the host, the DVS layer or cores).
  uint64_t input_spikes = 0;
  // Synaptic operations: one per (touched neuron, weight) update.
  uint64_t synops = 0;
  // Neurons that fired (before the output decimator).
  uint64_t spikes = 0;
  // Deliveries outside the core's input (feature, x or y): dropped.
  uint64_t dropped_out_of_range = 0;
};

struct ModelStats {
  std::array<CoreStats, kNumCores> cores;
  uint64_t dvs_events_in = 0;
  // DVS events that left the DVS layer (after polarity select and ROI).
  uint64_t dvs_events_passed = 0;
  uint64_t slow_clock_ticks = 0;
  uint64_t readout_spikes = 0;
  // Host inputs processed later than their timestamp (older than model time).
  uint64_t late_inputs = 0;
  // Spikes discarded because a cascade exceeded kMaxCascadeSpikes (a
  // recurrent network that never settles).
  uint64_t cascade_overflow = 0;

  uint64_t TotalSynops() const;
  uint64_t TotalSpikes() const;
};

struct DirectRun;  // model_direct.cc

class ChipModel {
 public:
  // Upper bound on the spikes one cascade queues and processes; beyond it
  // spikes are dropped and counted (a recurrent network could otherwise run
  // forever within one input).
  static constexpr size_t kMaxCascadeSpikes = size_t{1} << 22;

  // Compiles `config`. INVALID_ARGUMENT (listing every error) if it does not
  // validate. Neuron states start at neurons_initial_value; model time at 0.
  static absl::StatusOr<std::unique_ptr<ChipModel>> Create(
      const SpeckConfig& config);

  ~ChipModel();
  ChipModel(const ChipModel&) = delete;
  ChipModel& operator=(const ChipModel&) = delete;

  // Runs slow-clock ticks due at or before `timestamp_us`, then the input's
  // whole cascade. Outputs are appended to `out`.
  void Process(const InputEvent& input, OutputBatch* out);
  // The same for a run of inputs (cheaper per input).
  void Process(const InputEvent* inputs, size_t count, OutputBatch* out);
  void ProcessDvsEvent(const DvsEvent& event, OutputBatch* out);
  void ProcessSpike(const Spike& spike, OutputBatch* out);

  // Runs every slow-clock tick at T <= timestamp_us and moves model time there.
  void AdvanceTo(uint64_t timestamp_us, OutputBatch* out) {
    if (timestamp_us >= next_tick_us_) RunTicks(timestamp_us, out);
    if (timestamp_us > time_us_) time_us_ = timestamp_us;
  }

  // Changes the slow clock at the current model time; the next tick falls on
  // the next multiple of the new period. rate_hz <= 0 or !enable stops it.
  void SetSlowClock(bool enable, double rate_hz);

  // Back to the state Create() gave: neurons at neurons_initial_value, model
  // time 0, counters, decimators, readout and statistics cleared, the slow
  // clock as configured. Cheaper than Create() (nothing is recompiled), so a
  // dataset runs every sample from a fresh chip.
  void Reset();

  // Moves model time to `timestamp_us` without running ticks (stop-watch
  // reset: SetTime(0)); the slow-clock schedule continues from there. Neuron
  // states are kept (as on the chip).
  void SetTime(uint64_t timestamp_us);

  uint64_t time_us() const { return time_us_; }
  const SpeckConfig& config() const { return config_; }
  const ModelStats& stats() const { return stats_; }

  // Turns off the fast paths chosen by Compile (today the dense-output
  // path of model_direct.cc), for tests that check they change nothing.
  void DisableFastPathsForTesting() {
    fast_paths_ = false;
    CompileDirectPath();
  }
  bool DirectPathForTesting() const { return direct_.enabled; }

  // Neuron state of core `layer` at (feature, x, y) in the core's output map.
  absl::StatusOr<int16_t> ReadNeuron(int layer, int feature, int x,
                                     int y) const;
  absl::Status WriteNeuron(int layer, int feature, int x, int y, int16_t value);
  // Every neuron of core `layer`, flat [f][y][x]; empty for unused cores.
  std::vector<int16_t> NeuronStates(int layer) const;

 private:
  struct Core;
  using AxisSpan = chip::AxisSpan;
  // A destination compiled: pooling 1, 2 or 4 (validated) as a shift.
  struct RouteTarget {
    int layer;
    int pooling_shift;
    int feature_shift;
  };
  // 16-bit fields, 8 bytes: no char-typed stores (which alias everything,
  // so the compiler reloads the model's fields after each) and a size that
  // is a power of two (the FIFO's size() is a shift, not a division).
  struct Delivery {
    uint16_t feature;
    uint16_t layer;
    uint16_t x;
    uint16_t y;
  };

  // Inputs into a core with one output position, at most 8 features and
  // only the host as destination (model_direct.cc).
  struct DirectPath {
    bool enabled = false;
    int layer = 0;
    // Why a row offset below is not one: the input is past the core's
    // input (dropped, counted) or the one position's kernel misses it.
    static constexpr int32_t kOutside = -2;
    static constexpr int32_t kNoSynapse = -1;
    // Per input x and y (any uint8_t): the span's kernel_offset, or why
    // not.
    std::array<int32_t, 256> x_kernel{}, y_kernel{};
    // DVS events go to `layer` (its only destination). Per polarity: the
    // channel's row offset (after feature_shift), or kOutside.
    bool from_dvs = false;
    std::array<int32_t, 2> dvs_channel_rows{};
    // Per sensor x and y: the DVS layer's output coordinate (-1 outside the
    // region) and, pooled and swapped as routed, the core's row offset.
    struct SensorAxis {
      int32_t dvs = -1;
      int32_t kernel = kOutside;
    };
    std::array<SensorAxis, kDvsSize> sensor_x{}, sensor_y{};
  };

  explicit ChipModel(const SpeckConfig& config);
  static AxisSpan SpanFor(int in, int pad, int kernel, int stride, int out);
  void Compile();
  uint64_t TickTime(uint64_t index) const;
  // The first tick at or after time_us_ (none while the clock is off).
  void ScheduleNextTick();
  void RunTicks(uint64_t timestamp_us, OutputBatch* out);
  void Tick(uint64_t t, OutputBatch* out);
  void Deliver(int layer, int feature, int x, int y);
  void RunCascade(uint64_t t, OutputBatch* out);
  // Process() input by input, every configuration.
  void ProcessGeneral(const InputEvent* inputs, size_t count, OutputBatch* out);
  void CompileDirectPath();
  // Process() when direct_.enabled: the direct core's inputs in registers,
  // the rest through ProcessGeneral.
  void ProcessDirect(const InputEvent* inputs, size_t count, OutputBatch* out);
  // ProcessDirect's inner loop, from `in` on: stops at `end` or before an
  // input for the general path (returns true).
  // kDvs: the run takes DVS events (else spikes into the direct core);
  // kMonitor and kSwap: dvs_monitor_ and dvs_swap_.
  template <bool kDvs, bool kMonitor, bool kSwap>
  bool RunDirect(const InputEvent*& in, const InputEvent* end,
                 DirectRun& run) const;
  // The run's neurons and time from the model, and back with its counts.
  void LoadDirect(DirectRun& run) const;
  void FlushDirect(DirectRun& run);
  // Counts a late input and advances model time to `t`.
  void BeginInput(uint64_t t, OutputBatch* out);
  // Updates core `layer` with an input spike; counts it as dropped when it
  // falls outside the core's input, ignores unused cores.
  void UpdateIfInside(int layer, int feature, int x, int y, uint64_t t,
                      OutputBatch* out);
  void HandleSpike(uint64_t t, int layer, int feature, int x, int y,
                   OutputBatch* out);
  void HandleDvsEvent(uint64_t timestamp_us, int sensor_x, int sensor_y,
                      bool on, OutputBatch* out);
  void Update(Core& core, int c, int x, int y, uint64_t t, OutputBatch* out);
  // Update() of a core that is neither tiled nor one_position: neurons fire
  // after all are updated, in (f, y, x) order.
  void UpdateSpread(Core& core, int c, const AxisSpan& xs, const AxisSpan& ys,
                    uint64_t t, OutputBatch* out);
  // Update() of a tiled core; then the fired neurons emit in (f, y, x)
  // order (FireTile).
  void UpdateTile(Core& core, int c, const AxisSpan& xs, const AxisSpan& ys,
                  uint64_t t, OutputBatch* out);
  void FireTile(Core& core, int ox0, int oy0, uint64_t t, OutputBatch* out);
  // UpdateSpread's loop when threshold_low >= threshold_high (firing is
  // decided per neuron before clamping); returns positions that fired.
  int UpdateExactPath(Core& core, int c, const AxisSpan& xs,
                      const AxisSpan& ys);
  void Leak(Core& core, uint64_t t, OutputBatch* out);
  // Fires the neurons of `keys` (FiredKey), in their order.
  void FireCollected(Core& core, const uint64_t* keys, size_t count, uint64_t t,
                     OutputBatch* out);
  // `neuron` and `weights` index the first feature of the touched position
  // (ox, oy) in state and weights.
  void UpdateOnePosition(Core& core, size_t neuron, size_t weights, int ox,
                         int oy, uint64_t t, OutputBatch* out);
  // Routes the spike of neuron (f, y, x): decimator, monitor, destinations.
  void Route(Core& core, int f, int y, int x, uint64_t t, OutputBatch* out);
  // The spike of neuron (f, y, x), already reset: counted and sent on.
  void Emit(Core& core, int f, int y, int x, uint64_t t, OutputBatch* out);
  // Resets the firing neuron `v` (at f, y, x) and emits its spike.
  void Fire(Core& core, int16_t& v, int f, int y, int x, uint64_t t,
            OutputBatch* out);
  bool SpikeMonitorOn() const;
  void CompileDvsLayer();

  SpeckConfig config_;
  std::vector<Core> cores_;
  Readout readout_;
  ModelStats stats_;

  uint64_t time_us_ = 0;
  bool slow_clock_on_ = false;
  double slow_clock_period_us_ = 0;
  // Tick k falls at ceil(k * period) on the stop-watch line.
  uint64_t next_tick_index_ = 0;
  // TickTime(next_tick_index_), or UINT64_MAX while the slow clock is off.
  uint64_t next_tick_us_ = UINT64_MAX;
  bool dvs_monitor_ = false;
  // The DVS layer compiled: the feature per polarity (-1: not passed), the
  // output coordinate per sensor x and y before the diagonal swap (-1:
  // outside the region), and the enabled destinations.
  std::array<int8_t, 2> dvs_channel_{};
  std::array<int16_t, kDvsSize> dvs_x_{};
  std::array<int16_t, kDvsSize> dvs_y_{};
  bool dvs_swap_ = false;
  std::vector<RouteTarget> dvs_routes_;

  // The cascade FIFO; drained completely by every RunCascade.
  std::vector<Delivery> fifo_;
  size_t fifo_head_ = 0;
  // Scratch for the firing neurons of a leak or an exact-path update,
  // sorted into (f, y, x) order.
  std::vector<uint64_t> fired_;
  // The same for spread updates, sized by Compile for the widest one (so
  // the SIMD loops write keys without capacity checks).
  std::vector<uint64_t> spread_keys_;
  // A tile update's fired neurons (TileFired), sized by Compile for the
  // widest core.
  std::vector<uint16_t> tile_positions_;
  std::vector<uint64_t> tile_features_;
  bool fast_paths_ = true;
  DirectPath direct_;
  // The spread loops of ChosenIsa() (identical results on every one).
  SpreadFn spread_ = BestSpread();
};

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_MODEL_H_
