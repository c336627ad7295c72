// Running a ChipModel: inputs, the cascade, firing and routing, slow-clock
// ticks and leak, neuron access. Building one is model_compile.cc.
#include "driver/chip/model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "driver/chip/accumulate.h"
#include "driver/chip/limits.h"
#include "driver/chip/model_core.h"

#ifdef __SSE2__
#include "driver/chip/sse2_lanes.h"
#endif

namespace speckd::chip {

namespace {

inline __attribute__((always_inline)) int16_t Saturate16(int32_t v) {
  // Not std::clamp: GCC leaves it out of line in the big inlined loops.
  return static_cast<int16_t>(v < kStateMin ? kStateMin
                                            : (v > kStateMax ? kStateMax : v));
}

// One neuron's update: v = sat16(v + add); a neuron at or above `high`
// keeps its value for Fire() to reset (returns true), the others are clamped
// to `low`.
inline __attribute__((always_inline)) bool AddAndClamp(int16_t* v, int32_t add,
                                                       int16_t high,
                                                       int16_t low) {
  const int16_t s = Saturate16(int32_t{*v} + add);
  if (s >= high) {
    *v = s;
    return true;
  }
  *v = s < low ? low : s;
  return false;
}

inline uint32_t Position(int y, int x) {
  return (static_cast<uint32_t>(y) << 16) | static_cast<uint32_t>(x);
}

// Writes the spike's fields straight into the output: building it on the
// stack and copying it costs a store-forwarding stall per spike.
inline __attribute__((always_inline)) void EmitSpike(OutputBatch* out,
                                                     uint64_t t, int feature,
                                                     int layer, int x, int y) {
  Spike& s = out->spikes.emplace_back();
  s.timestamp_us = t;
  s.feature = static_cast<uint16_t>(feature);
  s.layer = static_cast<uint8_t>(layer);
  s.x = static_cast<uint8_t>(x);
  s.y = static_cast<uint8_t>(y);
}

}  // namespace

uint64_t ModelStats::TotalSynops() const {
  uint64_t total = 0;
  for (const CoreStats& c : cores) total += c.synops;
  return total;
}

uint64_t ModelStats::TotalSpikes() const {
  uint64_t total = 0;
  for (const CoreStats& c : cores) total += c.spikes;
  return total;
}

// Output positions touched along one axis by input coordinate `in`:
// o = (in + pad - k) / stride for kernel index k with exact division.
void ChipModel::SetSlowClock(bool enable, double rate_hz) {
  // Validation refuses rates outside [kMinSlowClockHz, kMaxSlowClockHz];
  // anything else keeps the clock off rather than step on a broken period.
  slow_clock_on_ = enable && std::isfinite(rate_hz) &&
                   rate_hz >= kMinSlowClockHz && rate_hz <= kMaxSlowClockHz;
  if (slow_clock_on_) slow_clock_period_us_ = 1e6 / rate_hz;
  ScheduleNextTick();
}

void ChipModel::SetTime(uint64_t timestamp_us) {
  time_us_ = timestamp_us;
  ScheduleNextTick();
}

void ChipModel::ScheduleNextTick() {
  next_tick_us_ = UINT64_MAX;
  if (!slow_clock_on_) return;
  // Ticks stay on multiples of the period on the stop-watch line; the next one
  // is the first at or after the current time (tick 0 at t = 0 included).
  next_tick_index_ = static_cast<uint64_t>(
      std::ceil(static_cast<double>(time_us_) / slow_clock_period_us_ - 1e-9));
  next_tick_us_ = TickTime(next_tick_index_);
}

uint64_t ChipModel::TickTime(uint64_t index) const {
  // ceil, tolerant of the rounding in k * (1e6 / rate): a tick due at
  // 333333.33 us runs before inputs stamped 333334 and later.
  return static_cast<uint64_t>(
      std::ceil(static_cast<double>(index) * slow_clock_period_us_ - 1e-6));
}

void ChipModel::RunTicks(uint64_t timestamp_us, OutputBatch* out) {
  while (slow_clock_on_ && next_tick_us_ <= timestamp_us) {
    const uint64_t t = next_tick_us_;
    time_us_ = std::max(time_us_, t);
    next_tick_us_ = TickTime(++next_tick_index_);
    Tick(t, out);
  }
}

void ChipModel::Tick(uint64_t t, OutputBatch* out) {
  ++stats_.slow_clock_ticks;
  // The readout closes the counts of [previous tick, t) first; spikes the
  // leak causes now belong to the next interval.
  if (readout_.enabled()) readout_.Tick(t, out);
  for (Core& core : cores_) {
    if (core.in_use && core.leak) {
      Leak(core, t, out);
      RunCascade(t, out);
    }
  }
}

// Inline: a cascade delivers a few spikes per input, and the call cost as
// much as the append.
inline __attribute__((always_inline)) void ChipModel::Deliver(int layer,
                                                              int feature,
                                                              int x, int y) {
  if (__builtin_expect(fifo_.size() - fifo_head_ >= kMaxCascadeSpikes, 0)) {
    ++stats_.cascade_overflow;
    return;
  }
  // Field by field into the FIFO's slot: a Delivery built on the stack and
  // copied costs a store-forwarding stall (narrow stores, one wide load).
  Delivery& d = fifo_.emplace_back();
  d.feature = static_cast<uint16_t>(feature);
  d.layer = static_cast<uint16_t>(layer);
  d.x = static_cast<uint16_t>(x);
  d.y = static_cast<uint16_t>(y);
}

inline __attribute__((always_inline)) void ChipModel::BeginInput(
    uint64_t t, OutputBatch* out) {
  if (t < time_us_) ++stats_.late_inputs;
  AdvanceTo(t, out);
}

inline __attribute__((always_inline)) void ChipModel::UpdateIfInside(
    int layer, int feature, int x, int y, uint64_t t, OutputBatch* out) {
  if (layer >= kNumCores || !cores_[layer].in_use) return;
  Core& core = cores_[layer];
  // One branch (| not ||): the comparisons are cheaper than mispredicts.
  if ((feature >= core.channels) | (x >= core.in_w) | (y >= core.in_h)) {
    ++stats_.cores[layer].dropped_out_of_range;
    return;
  }
  Update(core, feature, x, y, t, out);
}

inline __attribute__((always_inline)) void ChipModel::HandleSpike(
    uint64_t t, int layer, int feature, int x, int y, OutputBatch* out) {
  BeginInput(t, out);
  // The input's own update comes first in its cascade: run it directly.
  UpdateIfInside(layer, feature, x, y, time_us_, out);
  if (fifo_head_ < fifo_.size()) RunCascade(time_us_, out);
}

void ChipModel::Process(const InputEvent& input, OutputBatch* out) {
  Process(&input, 1, out);
}

void ChipModel::Process(const InputEvent* inputs, size_t count,
                        OutputBatch* out) {
  if (direct_.enabled) {
    ProcessDirect(inputs, count, out);
    return;
  }
  ProcessGeneral(inputs, count, out);
}

void ChipModel::ProcessGeneral(const InputEvent* inputs, size_t count,
                               OutputBatch* out) {
  for (const InputEvent* in = inputs; in != inputs + count; ++in) {
    if (in->kind == InputEvent::Kind::kSpike) {
      HandleSpike(in->timestamp_us, in->layer, in->feature, in->x, in->y, out);
    } else {
      HandleDvsEvent(in->timestamp_us, in->x, in->y, in->p, out);
    }
  }
}

void ChipModel::ProcessSpike(const Spike& spike, OutputBatch* out) {
  HandleSpike(spike.timestamp_us, spike.layer, spike.feature, spike.x, spike.y,
              out);
}

void ChipModel::ProcessDvsEvent(const DvsEvent& event, OutputBatch* out) {
  HandleDvsEvent(event.timestamp_us, event.x, event.y, event.p, out);
}

inline __attribute__((always_inline)) void ChipModel::HandleDvsEvent(
    uint64_t timestamp_us, int sensor_x, int sensor_y, bool on,
    OutputBatch* out) {
  BeginInput(timestamp_us, out);
  ++stats_.dvs_events_in;
  const int c = dvs_channel_[on ? 1 : 0];
  if (c < 0 || sensor_x >= kDvsSize || sensor_y >= kDvsSize) return;
  int x = dvs_x_[sensor_x];
  int y = dvs_y_[sensor_y];
  if (x < 0 || y < 0) return;
  if (dvs_swap_) std::swap(x, y);
  ++stats_.dvs_events_passed;
  const uint64_t t = time_us_;
  if (dvs_monitor_) EmitSpike(out, t, c, kDvsLayer, x, y);
  if (dvs_routes_.size() == 1) {
    // One destination: its update is the whole cascade's first step, so it
    // can run directly, as a host spike's does.
    const RouteTarget& r = dvs_routes_[0];
    UpdateIfInside(r.layer, c + r.feature_shift, x >> r.pooling_shift,
                   y >> r.pooling_shift, t, out);
    if (fifo_head_ < fifo_.size()) RunCascade(t, out);
    return;
  }
  for (const RouteTarget& r : dvs_routes_) {
    Deliver(r.layer, c + r.feature_shift, x >> r.pooling_shift,
            y >> r.pooling_shift);
  }
  RunCascade(t, out);
}

void ChipModel::RunCascade(uint64_t t, OutputBatch* out) {
  size_t processed = 0;
  while (fifo_head_ < fifo_.size()) {
    if (++processed > kMaxCascadeSpikes) {
      // A network that never settles (recurrence with enough gain): stop the
      // cascade here and account for what is left.
      stats_.cascade_overflow += fifo_.size() - fifo_head_;
      break;
    }
    const Delivery d = fifo_[fifo_head_++];
    UpdateIfInside(d.layer, d.feature, d.x, d.y, t, out);
  }
  fifo_.clear();
  fifo_head_ = 0;
}

inline __attribute__((always_inline)) void ChipModel::Emit(Core& core, int f,
                                                           int y, int x,
                                                           uint64_t t,
                                                           OutputBatch* out) {
  ++core.stats->spikes;
  if (core.route_only) {
    // The common hidden-layer case: one destination core, nothing else.
    const RouteTarget& r = core.routes[0];
    Deliver(r.layer, f + r.feature_shift, x >> r.pooling_shift,
            y >> r.pooling_shift);
    return;
  }
  if (core.monitor_only) {
    // The common output-layer case, kept small enough to inline.
    EmitSpike(out, t, f, core.id, x, y);
    return;
  }
  Route(core, f, y, x, t, out);
}

inline __attribute__((always_inline)) void ChipModel::Fire(
    Core& core, int16_t& v, int f, int y, int x, uint64_t t, OutputBatch* out) {
  v = core.return_to_zero ? int16_t{0}
                          : Saturate16(int32_t{v} - core.threshold_high);
  v = std::max(v, core.threshold_low);
  Emit(core, f, y, x, t, out);
}

inline __attribute__((always_inline)) void ChipModel::Route(Core& core, int f,
                                                            int y, int x,
                                                            uint64_t t,
                                                            OutputBatch* out) {
  if (core.decimator_n != 0) {
    // One counter per core; the N-th spike passes, to monitor and routes alike.
    if (++core.decimator_count < core.decimator_n) return;
    core.decimator_count = 0;
  }
  if (core.monitor) EmitSpike(out, t, f, core.id, x, y);
  for (const RouteTarget& route : core.routes) {
    const int feature = f + route.feature_shift;
    const int px = x >> route.pooling_shift;
    const int py = y >> route.pooling_shift;
    if (route.layer == kReadoutLayer) {
      ++stats_.readout_spikes;
      readout_.Add(feature, px, py);
    } else {
      Deliver(route.layer, feature, px, py);
    }
  }
}

inline __attribute__((always_inline)) void ChipModel::UpdateOnePosition(
    Core& core, size_t neuron, size_t weights, int ox, int oy, uint64_t t,
    OutputBatch* out) {
  int16_t* v = &core.state[neuron];
  const int8_t* w = &core.weights[weights];
  // A dense core's padded lanes: whole blocks of 8, no scalar tail.
  const int n = core.kernel_lanes;
  const int16_t high = core.threshold_high;
  const int16_t low = core.threshold_low;
  int f = 0;
#ifdef __SSE2__
  if (n >= 8) {
    const __m128i vhigh = core.vhigh8;
    const __m128i vlow = core.vlow8;
    const __m128i vmin = _mm_set1_epi16(kStateMin);
    for (; f + 8 <= n; f += 8) {
      const __m128i w8 =
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + f));
      const __m128i ge =
          AddClampLanes8(v + f, WidenLow8(w8), vhigh, vlow, vmin);
      for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(ge));
           mask != 0; mask &= mask - 1, mask &= mask - 1) {
        const int lane = f + __builtin_ctz(mask) / 2;
        Fire(core, v[lane], lane, oy, ox, t, out);
      }
    }
  }
#endif
  for (; f < n; ++f) {
    if (AddAndClamp(v + f, w[f], high, low)) {
      Fire(core, v[f], f, oy, ox, t, out);
    }
  }
}

inline __attribute__((always_inline)) void ChipModel::Update(Core& core, int c,
                                                             int x, int y,
                                                             uint64_t t,
                                                             OutputBatch* out) {
  CoreStats& stats = *core.stats;
  ++stats.input_spikes;
  const AxisSpan& xs = core.x_spans[x];
  const AxisSpan& ys = core.y_spans[y];
  const uint64_t synops = uint64_t{xs.synops} * ys.synops;
  if (synops == 0) return;  // the input touches no neuron
  stats.synops += synops;
  if (core.one_position) {
    // Feature order is emission order, so neurons fire as soon as they are
    // updated. Inline: per input, a call costs as much as this. (Decided per
    // core, not per update: a branch on the spans' sizes mispredicts.)
    UpdateOnePosition(core,
                      static_cast<size_t>(xs.neuron_offset + ys.neuron_offset),
                      static_cast<size_t>(c * core.channel_stride +
                                          xs.kernel_offset + ys.kernel_offset),
                      xs.o0, ys.o0, t, out);
    return;
  }
  if (core.tiled) {
    UpdateTile(core, c, xs, ys, t, out);
    return;
  }
  UpdateSpread(core, c, xs, ys, t, out);
}

void ChipModel::UpdateSpread(Core& core, int c, const AxisSpan& xs,
                             const AxisSpan& ys, uint64_t t, OutputBatch* out) {
  if (core.exact_path) {
    fired_.clear();
    const int positions_fired = UpdateExactPath(core, c, xs, ys);
    if (positions_fired > 1) std::sort(fired_.begin(), fired_.end());
    FireCollected(core, fired_.data(), fired_.size(), t, out);
    return;
  }
  const SpreadUpdate update{core.state.data(),
                            core.kernel_row(c, 0, 0),
                            core.features,
                            core.out_w,
                            core.kernel,
                            xs.o0,
                            ys.o0,
                            xs.n,
                            ys.n,
                            xs.k0,
                            ys.k0,
                            core.stride_x,
                            core.stride_y,
                            core.threshold_high,
                            core.threshold_low};
  // Room for every touched neuron (Compile sized it for the widest spread).
  FiredKeys fired{spread_keys_.data()};
  const int positions_fired = spread_(update, &fired);
  if (fired.count == 0) return;
  // Emit in ascending (f, y, x) order (Part A rule 3); keys from one
  // position are already in feature order. Fire() may route into other
  // cores but never back into an update: the keys stay valid.
  if (positions_fired > 1) std::sort(fired.keys, fired.keys + fired.count);
  FireCollected(core, fired.keys, fired.count, t, out);
}

inline __attribute__((always_inline)) void ChipModel::UpdateTile(
    Core& core, int c, const AxisSpan& xs, const AxisSpan& ys, uint64_t t,
    OutputBatch* out) {
  core.tile(core.tile_core, c, xs, ys,
            TileFired{tile_positions_.data(), tile_features_.data()});
  FireTile(core, xs.o0, ys.o0, t, out);
}

// Emission order (f, y, x): features ascending, then the feature's positions
// in bit order (bit i * kTileSide + j is row i, column j). Emit() may route
// into other cores but never back into an update: the masks stay valid.
inline __attribute__((always_inline)) void ChipModel::FireTile(
    Core& core, int ox0, int oy0, uint64_t t, OutputBatch* out) {
  for (int word = 0; word < core.feature_words; ++word) {
    for (uint64_t fs = tile_features_[word]; fs != 0; fs &= fs - 1) {
      const int f = word * 64 + __builtin_ctzll(fs);
      for (unsigned ps = tile_positions_[f]; ps != 0; ps &= ps - 1) {
        const int p = __builtin_ctz(ps);
        Emit(core, f, oy0 + p / kTileSide, ox0 + p % kTileSide, t, out);
      }
    }
  }
}

int ChipModel::UpdateExactPath(Core& core, int c, const AxisSpan& xs,
                               const AxisSpan& ys) {
  int positions_fired = 0;
  for (int i = 0; i < ys.n; ++i) {
    const int oy = ys.o0 + i;
    const int ky = ys.k0 - i * core.stride_y;
    for (int j = 0; j < xs.n; ++j) {
      const int ox = xs.o0 + j;
      const int kx = xs.k0 - j * core.stride_x;
      int16_t* v = core.neuron(oy, ox);
      const int8_t* w = core.kernel_row(c, ky, kx);
      const uint32_t pos = Position(oy, ox);
      const size_t before = fired_.size();
      for (int f = 0; f < core.features; ++f) {
        if (AddAndClamp(v + f, w[f], core.threshold_high, core.threshold_low)) {
          fired_.push_back(FiredKey(f, pos));
        }
      }
      positions_fired += fired_.size() != before;
    }
  }
  return positions_fired;
}

void ChipModel::FireCollected(Core& core, const uint64_t* keys, size_t count,
                              uint64_t t, OutputBatch* out) {
  for (const uint64_t* key = keys; key != keys + count; ++key) {
    const uint32_t pos = static_cast<uint32_t>(*key);
    const int f = static_cast<int>(*key >> 32);
    const int y = static_cast<int>(pos >> 16);
    const int x = static_cast<int>(pos & 0xFFFF);
    Fire(core, core.neuron(y, x)[f], f, y, x, t, out);
  }
}

void ChipModel::Leak(Core& core, uint64_t t, OutputBatch* out) {
  const int F = core.features;
  fired_.clear();
  for (int y = 0; y < core.out_h; ++y) {
    for (int x = 0; x < core.out_w; ++x) {
      int16_t* v = core.neuron(y, x);
      for (int f = 0; f < F; ++f) {
        if (AddAndClamp(v + f, core.biases[f], core.threshold_high,
                        core.threshold_low)) {
          fired_.push_back(FiredKey(f, Position(y, x)));
        }
      }
    }
  }
  std::sort(fired_.begin(), fired_.end());
  // Fire() may not touch fired_: the leak's spikes only enter the FIFO.
  FireCollected(core, fired_.data(), fired_.size(), t, out);
}

absl::StatusOr<int16_t> ChipModel::ReadNeuron(int layer, int feature, int x,
                                              int y) const {
  if (layer < 0 || layer >= kNumCores || !cores_[layer].in_use) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer: core ", layer, " is not configured"));
  }
  const Core& core = cores_[layer];
  if (feature < 0 || feature >= core.features || x < 0 || x >= core.out_w ||
      y < 0 || y >= core.out_h) {
    return absl::OutOfRangeError(absl::StrCat(
        "neuron (feature ", feature, ", x ", x, ", y ", y, ") is outside core ",
        layer, "'s ", core.features, "x", core.out_w, "x", core.out_h, " map"));
  }
  return core.state[(static_cast<size_t>(y) * core.out_w + x) * core.features +
                    feature];
}

absl::Status ChipModel::WriteNeuron(int layer, int feature, int x, int y,
                                    int16_t value) {
  absl::StatusOr<int16_t> current = ReadNeuron(layer, feature, x, y);
  if (!current.ok()) return current.status();
  cores_[layer].neuron(y, x)[feature] = value;
  return absl::OkStatus();
}

std::vector<int16_t> ChipModel::NeuronStates(int layer) const {
  std::vector<int16_t> out;
  if (layer < 0 || layer >= kNumCores || !cores_[layer].in_use) return out;
  const Core& core = cores_[layer];
  out.reserve(core.state.size());
  for (int f = 0; f < core.features; ++f) {
    for (int y = 0; y < core.out_h; ++y) {
      for (int x = 0; x < core.out_w; ++x) {
        out.push_back(core.state[(static_cast<size_t>(y) * core.out_w + x) *
                                     core.features +
                                 f]);
      }
    }
  }
  return out;
}

}  // namespace speckd::chip
