// The dense-output fast path: inputs that go straight into one core whose
// output is a single position (a linear layer on a full-input kernel, as in
// sinabs' spike-count tutorial), with at most 8 features, whose spikes only
// go to the host. Every input then adds one weight row to the same F
// neurons, so they stay in an SSE register for the whole run instead of
// going through memory per input; results are identical to the general
// path (model_direct_test runs both).
#include <emmintrin.h>

#include <algorithm>
#include <utility>

#include "driver/chip/model.h"
#include "driver/chip/model_core.h"
#include "driver/chip/sse2_lanes.h"

namespace speckd::chip {

void ChipModel::CompileDirectPath() {
  direct_ = DirectPath();
  if (!fast_paths_) return;
  for (const Core& core : cores_) {
    // A dense core's rows are padded to 8 lanes: one load per input.
    if (!core.in_use || !core.dense || !core.monitor_only ||
        core.kernel_lanes != 8) {
      continue;
    }
    direct_.enabled = true;
    direct_.layer = core.id;
    break;
  }
  if (!direct_.enabled) return;
  const Core& core = cores_[direct_.layer];
  // Along one axis of the core's input: the span's kernel_offset, or why
  // not. (The padding lanes past F have zero weights and sit at
  // threshold_low: they never fire.)
  const auto axis = [](const std::vector<AxisSpan>& spans, int i) {
    if (i >= static_cast<int>(spans.size())) return DirectPath::kOutside;
    return spans[i].n != 0 ? spans[i].kernel_offset : DirectPath::kNoSynapse;
  };
  for (int i = 0; i < 256; ++i) {
    direct_.x_kernel[i] = axis(core.x_spans, i);
    direct_.y_kernel[i] = axis(core.y_spans, i);
  }
  if (dvs_routes_.size() != 1 || dvs_routes_[0].layer != direct_.layer) {
    return;
  }
  direct_.from_dvs = true;
  const RouteTarget& route = dvs_routes_[0];
  for (int p = 0; p < 2; ++p) {
    const int c = dvs_channel_[p] + route.feature_shift;
    direct_.dvs_channel_rows[p] =
        c < core.channels ? c * core.channel_stride : DirectPath::kOutside;
  }
  // A sensor coordinate's DVS-layer output (-1 outside the region) and,
  // pooled, the core's row offset: along y for sensor x when the DVS layer
  // swaps the axes.
  for (int i = 0; i < kDvsSize; ++i) {
    for (const bool is_x : {true, false}) {
      const int16_t out = is_x ? dvs_x_[i] : dvs_y_[i];
      const bool core_x = is_x != dvs_swap_;
      DirectPath::SensorAxis& a =
          is_x ? direct_.sensor_x[i] : direct_.sensor_y[i];
      a.dvs = out;
      a.kernel = out < 0 ? DirectPath::kOutside
                         : axis(core_x ? core.x_spans : core.y_spans,
                                out >> route.pooling_shift);
    }
  }
}

// What changes input by input on the direct path: RunDirect keeps a copy
// in registers and writes it back when it stops.
struct DirectRun {
  __m128i v;          // the direct core's 8 lanes (padding past F)
  uint64_t time = 0;  // model time
  // Counts not yet added to the model's statistics; the others follow
  // from them (FlushDirect).
  uint64_t consumed = 0;  // inputs taken
  // Only the rare outcomes are counted in the loop: a counter bumped per
  // input would be one more chain from input to input (through memory
  // when registers run out).
  uint64_t late = 0;
  uint64_t rejected = 0;    // DVS events the DVS layer does not pass
  uint64_t dropped = 0;     // past the core's input
  uint64_t no_synapse = 0;  // the one position's kernel does not reach
  // The output's spikes. ProcessDirect reserves room for a chunk's before
  // RunDirect, and Emit tells the compiler so: without the vector's growth
  // path (a call) in the loop, the loop's constants stay in registers.
  // Spike's uint8_t (char-typed) stores cannot alias the loop's values,
  // which are locals.
  std::vector<Spike>* spikes = nullptr;
  size_t spikes_before = 0;  // spikes->size() at the last flush

  void Emit(int f, int layer, int x, int y) {
    if (spikes->size() == spikes->capacity()) __builtin_unreachable();
    // Built in registers and stored whole (two 8-byte stores).
    spikes->push_back(Spike{time, static_cast<uint16_t>(f),
                            static_cast<uint8_t>(layer),
                            static_cast<uint8_t>(x), static_cast<uint8_t>(y)});
  }
};

void ChipModel::LoadDirect(DirectRun& run) const {
  // A dense core's 8 lanes, the padding past F included (Compile).
  run.v = _mm_loadu_si128(
      reinterpret_cast<const __m128i*>(cores_[direct_.layer].state.data()));
  run.time = time_us_;
  run.spikes_before = run.spikes->size();
}

void ChipModel::FlushDirect(DirectRun& run) {
  Core& core = cores_[direct_.layer];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(core.state.data()), run.v);
  time_us_ = run.time;
  // A run takes inputs of one kind: DVS events (each passed one emits a
  // monitor spike if dvs_monitor_) or spikes into the direct core.
  const uint64_t passed = direct_.from_dvs ? run.consumed - run.rejected : 0;
  const uint64_t arrived = direct_.from_dvs ? passed : run.consumed;
  const uint64_t monitored = dvs_monitor_ ? passed : 0;
  const uint64_t updates = arrived - run.dropped - run.no_synapse;
  if (direct_.from_dvs) stats_.dvs_events_in += run.consumed;
  stats_.dvs_events_passed += passed;
  stats_.late_inputs += run.late;
  core.stats->dropped_out_of_range += run.dropped;
  core.stats->input_spikes += arrived - run.dropped;
  core.stats->synops += updates * static_cast<uint64_t>(core.features);
  core.stats->spikes += run.spikes->size() - run.spikes_before - monitored;
  run.consumed = run.late = run.rejected = run.dropped = run.no_synapse = 0;
  run.spikes_before = run.spikes->size();
}

void ChipModel::ProcessDirect(const InputEvent* in, size_t count,
                              OutputBatch* out) {
  // Inputs per RunDirect call, and room for their spikes (the DVS
  // monitor's and F each), reserved growing geometrically.
  constexpr size_t kChunk = 512;
  const size_t most =
      kChunk * (static_cast<size_t>(cores_[direct_.layer].features) + 1);
  DirectRun run;
  run.spikes = &out->spikes;
  LoadDirect(run);
  const InputEvent* const end = in + count;
  while (in != end) {
    const InputEvent* const chunk_end =
        in + std::min(kChunk, static_cast<size_t>(end - in));
    std::vector<Spike>& spikes = out->spikes;
    if (spikes.capacity() - spikes.size() < most) {
      spikes.reserve(std::max(spikes.size() + most, 2 * spikes.capacity()));
    }
    const bool general =
        !direct_.from_dvs ? RunDirect<false, false, false>(in, chunk_end, run)
        : !dvs_monitor_   ? RunDirect<true, false, false>(in, chunk_end, run)
        : dvs_swap_       ? RunDirect<true, true, true>(in, chunk_end, run)
                          : RunDirect<true, true, false>(in, chunk_end, run);
    FlushDirect(run);
    if (general) {
      ProcessGeneral(in++, 1, out);
      LoadDirect(run);
    }
  }
}

template <bool kDvs, bool kMonitor, bool kSwap>
bool ChipModel::RunDirect(const InputEvent*& in_out, const InputEvent* end,
                          DirectRun& run_out) const {
  // Everything the loop reads in locals: nothing it stores can alias them.
  const Core& core = cores_[direct_.layer];
  DirectRun r = run_out;
  // s >= high as s > high - 1 (one compare): high > low >= INT16_MIN here.
  const __m128i above =
      _mm_set1_epi16(static_cast<int16_t>(core.threshold_high - 1));
  const __m128i vlow = core.vlow8;
  // A fired lane: zeroed (return_to_zero), else high subtracted.
  const __m128i zeroed = _mm_set1_epi16(core.return_to_zero ? -1 : 0);
  const __m128i subtracted =
      core.return_to_zero ? _mm_setzero_si128() : core.vhigh8;
  const int layer = core.id;
  const int channels = core.channels;
  const int32_t channel_stride = core.channel_stride;
  const int8_t* const weights = core.weights.data();
  const uint64_t next_tick = next_tick_us_;
  constexpr InputEvent::Kind kKind =
      kDvs ? InputEvent::Kind::kDvsEvent : InputEvent::Kind::kSpike;
  const InputEvent* in = in_out;
  bool general = false;
  for (; in != end; ++in) {
    const uint64_t ts = in->timestamp_us;
    if ((ts >= next_tick) | (in->kind != kKind) |
        (!kDvs && in->layer != layer)) {
      general = true;  // a tick is due, or the input goes elsewhere
      break;
    }
    r.late += ts < r.time;
    r.time = std::max(r.time, ts);
    // The weight row as three offsets (channel, x, y), each negative
    // (kOutside or kNoSynapse) when the input is dropped or touches nothing.
    int32_t row_c, row_x, row_y;
    if constexpr (kDvs) {
      const int x = in->x, y = in->y;
      const int c = dvs_channel_[in->p ? 1 : 0];
      if ((c < 0) | (x >= kDvsSize) | (y >= kDvsSize)) {
        ++r.rejected;
        continue;
      }
      const DirectPath::SensorAxis sx = direct_.sensor_x[x];
      const DirectPath::SensorAxis sy = direct_.sensor_y[y];
      if ((sx.dvs | sy.dvs) < 0) {  // outside the region
        ++r.rejected;
        continue;
      }
      if constexpr (kMonitor) {
        r.Emit(c, kDvsLayer, kSwap ? sy.dvs : sx.dvs, kSwap ? sx.dvs : sy.dvs);
      }
      row_c = direct_.dvs_channel_rows[in->p ? 1 : 0];
      row_x = sx.kernel;
      row_y = sy.kernel;
    } else {
      row_c = in->feature < channels
                  ? static_cast<int32_t>(in->feature) * channel_stride
                  : DirectPath::kOutside;
      row_x = direct_.x_kernel[in->x];
      row_y = direct_.y_kernel[in->y];
    }
    const int32_t worst = std::min(row_c, std::min(row_x, row_y));
    if (worst < 0) {
      r.dropped += worst == DirectPath::kOutside;
      r.no_synapse += worst == DirectPath::kNoSynapse;
      continue;
    }
    const __m128i w = WidenLow8(_mm_loadl_epi64(
        reinterpret_cast<const __m128i*>(weights + row_c + row_x + row_y)));
    const __m128i s = _mm_adds_epi16(r.v, w);
    const __m128i ge = _mm_cmpgt_epi16(s, above);
    const __m128i kept = _mm_andnot_si128(_mm_and_si128(ge, zeroed), s);
    r.v = _mm_max_epi16(_mm_subs_epi16(kept, _mm_and_si128(ge, subtracted)),
                        vlow);
    for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(ge));
         mask != 0; mask &= mask - 1, mask &= mask - 1) {
      r.Emit(__builtin_ctz(mask) / 2, layer, 0, 0);  // the one position
    }
  }
  r.consumed += static_cast<uint64_t>(in - in_out);
  in_out = in;
  run_out = r;
  return general;
}

}  // namespace speckd::chip
