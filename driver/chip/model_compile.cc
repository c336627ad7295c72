// Building a ChipModel from a configuration: each core's layout, spans,
// weights and initial state, the DVS layer's tables, and Reset() back to
// that state. Running it is model.cc.
#include <algorithm>
#include <utility>

#include "driver/chip/dvs_region.h"
#include "driver/chip/model.h"
#include "driver/chip/model_core.h"
#include "driver/chip/validate.h"

namespace speckd::chip {
namespace {

// Validation allows pooling 1, 2 and 4: a shift instead of a division
// (an integer division costs as much as the rest of a DVS event).
int PoolingShift(uint32_t pooling) {
  int shift = 0;
  while ((1u << (shift + 1)) <= pooling) ++shift;
  return shift;
}

}  // namespace

ChipModel::AxisSpan ChipModel::SpanFor(int in, int pad, int kernel, int stride,
                                       int out) {
  AxisSpan span;
  int first = -1;
  int count = 0;
  int k0 = 0;
  for (int o = 0; o < out; ++o) {
    const int k = in + pad - o * stride;
    if (k < 0 || k >= kernel) continue;
    if (first < 0) {
      first = o;
      k0 = k;
    }
    ++count;
  }
  if (first >= 0) {
    span.o0 = static_cast<int16_t>(first);
    span.k0 = static_cast<int16_t>(k0);
    span.n = static_cast<int16_t>(count);
  }
  return span;
}

absl::StatusOr<std::unique_ptr<ChipModel>> ChipModel::Create(
    const SpeckConfig& config) {
  ValidationReport report = Validate(config);
  if (!report.ok()) return report.ToStatus();
  std::unique_ptr<ChipModel> model(new ChipModel(config));
  model->Compile();
  return model;
}

ChipModel::ChipModel(const SpeckConfig& config) : config_(config) {}

ChipModel::~ChipModel() = default;

void ChipModel::Compile() {
  cores_.assign(kNumCores, Core());
  for (int i = 0; i < kNumCores; ++i) {
    const CnnLayerConfig& cfg = config_.cnn_layers[i];
    Core& core = cores_[i];
    core.id = i;
    core.stats = &stats_.cores[i];
    core.in_use = cfg.InUse();
    if (!core.in_use) continue;
    const CnnLayerDimensions& d = cfg.dimensions;
    core.channels = static_cast<int>(d.input_shape.feature_count);
    core.features = static_cast<int>(d.output_shape.feature_count);
    core.feature_words = (core.features + 63) / 64;
    core.kernel = static_cast<int>(d.kernel_size);
    core.in_w = static_cast<int>(d.input_shape.size.x);
    core.in_h = static_cast<int>(d.input_shape.size.y);
    core.out_w = static_cast<int>(d.output_shape.size.x);
    core.out_h = static_cast<int>(d.output_shape.size.y);
    core.stride_x = static_cast<int>(d.stride.x);
    core.stride_y = static_cast<int>(d.stride.y);
    core.threshold_high = static_cast<int16_t>(cfg.threshold_high);
    core.threshold_low = static_cast<int16_t>(cfg.threshold_low);
#ifdef __SSE2__
    core.vhigh8 = _mm_set1_epi16(core.threshold_high);
    core.vlow8 = _mm_set1_epi16(core.threshold_low);
#endif
    core.exact_path = cfg.threshold_low >= cfg.threshold_high;
    core.return_to_zero = cfg.return_to_zero;
    core.leak = cfg.leak_enable;
    core.monitor = cfg.monitor_enable && SpikeMonitorOn();
    core.decimator_n = cfg.output_decimator_enable
                           ? DecimatorN(cfg.output_decimator_interval)
                           : 0;
    for (const Destination& dest : cfg.destinations) {
      if (!dest.enable) continue;
      core.routes.push_back({static_cast<int>(dest.layer),
                             PoolingShift(dest.pooling), dest.feature_shift});
    }
    core.monitor_only =
        core.monitor && core.decimator_n == 0 && core.routes.empty();
    core.route_only = !core.monitor && core.decimator_n == 0 &&
                      core.routes.size() == 1 &&
                      core.routes[0].layer != kReadoutLayer;
    const int F = core.features, C = core.channels, K = core.kernel;
    // A single output position: its neurons and kernel rows are padded to
    // a multiple of 8 lanes (padding neurons held at threshold_low with
    // zero weights never fire), so its updates are whole SIMD blocks.
    core.dense = !core.exact_path && core.out_w == 1 && core.out_h == 1;
    const int row = core.dense ? (F + 7) / 8 * 8 : F;
    core.kernel_lanes = row;
    for (int x = 0; x < core.in_w; ++x) {
      AxisSpan& span = core.x_spans.emplace_back(
          SpanFor(x, static_cast<int>(d.padding.x), core.kernel, core.stride_x,
                  core.out_w));
      span.neuron_offset = span.o0 * F;
      span.kernel_offset = span.k0 * row;
      span.synops = static_cast<uint16_t>(span.n * F);
    }
    for (int y = 0; y < core.in_h; ++y) {
      AxisSpan& span = core.y_spans.emplace_back(
          SpanFor(y, static_cast<int>(d.padding.y), core.kernel, core.stride_y,
                  core.out_h));
      span.neuron_offset = span.o0 * core.out_w * F;
      span.kernel_offset = span.k0 * K * row;
      span.synops = static_cast<uint16_t>(span.n);
    }
    core.channel_stride = K * K * row;
    core.weights.assign(static_cast<size_t>(C) * K * K * row, 0);
    // samna order [f][c][x][y] -> [c][ky][kx][f].
    for (int f = 0; f < F; ++f) {
      for (int c = 0; c < C; ++c) {
        for (int kx = 0; kx < K; ++kx) {
          for (int ky = 0; ky < K; ++ky) {
            const size_t src =
                ((static_cast<size_t>(f) * C + c) * K + kx) * K + ky;
            core.weights[((static_cast<size_t>(c) * K + ky) * K + kx) * row +
                         f] = static_cast<int8_t>(cfg.weights[src]);
          }
        }
      }
    }
    core.biases.assign(static_cast<size_t>(F), 0);
    for (size_t f = 0; f < cfg.biases.size() && f < core.biases.size(); ++f) {
      core.biases[f] = static_cast<int16_t>(cfg.biases[f]);
    }
    core.state.assign(static_cast<size_t>(core.out_h) * core.out_w * F, 0);
    if (!cfg.neurons_initial_value.empty()) {
      // samna order [f][x][y] -> [y][x][f].
      for (int f = 0; f < F; ++f) {
        for (int x = 0; x < core.out_w; ++x) {
          for (int y = 0; y < core.out_h; ++y) {
            core.neuron(y, x)[f] = static_cast<int16_t>(
                cfg.neurons_initial_value
                    [(static_cast<size_t>(f) * core.out_w + x) * core.out_h +
                     y]);
          }
        }
      }
    }
    if (core.dense) {
      core.state.resize(static_cast<size_t>(row), core.threshold_low);
    }
    core.initial_state = core.state;
    size_t widest_x = 0, widest_y = 0;
    for (const AxisSpan& span : core.x_spans) {
      widest_x = std::max<size_t>(widest_x, span.n);
    }
    for (const AxisSpan& span : core.y_spans) {
      widest_y = std::max<size_t>(widest_y, span.n);
    }
    core.one_position = !core.exact_path && widest_x == 1 && widest_y == 1;
    core.tiled = !core.exact_path && !core.one_position &&
                 widest_x <= kTileSide && widest_y <= kTileSide;
    if (!core.exact_path && !core.tiled && !core.one_position) {
      // Only UpdateSpread's key path uses them.
      spread_keys_.resize(
          std::max(spread_keys_.size(), widest_x * widest_y * core.features));
    }
    if (core.tiled) {
      // Only UpdateTile uses them.
      core.tile = BestTile(F);
      core.tile_core =
          TileCore::For(core.state.data(), core.weights.data(), F, core.out_w,
                        K, core.stride_x, core.stride_y, core.threshold_high,
                        core.threshold_low, core.return_to_zero);
      tile_positions_.resize(std::max(tile_positions_.size(),
                                      static_cast<size_t>(F + 15) / 16 * 16));
      tile_features_.resize(std::max(tile_features_.size(),
                                     static_cast<size_t>(core.feature_words)));
    }
  }
  CompileDvsLayer();
  CompileDirectPath();
  readout_.Configure(config_.readout,
                     config_.quirks.readout_class_spacing_erratum);
  SetSlowClock(config_.slow_clock.enable, config_.slow_clock.rate_hz);
}

void ChipModel::Reset() {
  for (Core& core : cores_) {
    // Copied in place: tile_core points into the state.
    std::copy(core.initial_state.begin(), core.initial_state.end(),
              core.state.begin());
    core.decimator_count = 0;
  }
  stats_ = ModelStats();
  fifo_.clear();
  fifo_head_ = 0;
  time_us_ = 0;
  readout_.Configure(config_.readout,
                     config_.quirks.readout_class_spacing_erratum);
  SetSlowClock(config_.slow_clock.enable, config_.slow_clock.rate_hz);
}

void ChipModel::CompileDvsLayer() {
  const DvsLayerConfig& dvs = config_.dvs_layer;
  dvs_monitor_ = dvs.monitor_enable && SpikeMonitorOn();
  dvs_channel_[0] = dvs.off_channel ? 0 : -1;
  dvs_channel_[1] = dvs.on_channel ? (dvs.merge ? 0 : 1) : -1;
  dvs_swap_ = dvs.mirror_diagonal;
  // MapDvsPixel axis by axis (its swap aside): one table lookup per axis.
  DvsLayerConfig unswapped = dvs;
  unswapped.mirror_diagonal = false;
  const int inside_x = static_cast<int>(dvs.origin.x * dvs.pooling.x);
  const int inside_y = static_cast<int>(dvs.origin.y * dvs.pooling.y);
  for (int i = 0; i < kDvsSize; ++i) {
    int x = 0, y = 0;
    dvs_x_[i] = static_cast<int16_t>(
        MapDvsPixel(unswapped, i, inside_y, &x, &y) ? x : -1);
    dvs_y_[i] = static_cast<int16_t>(
        MapDvsPixel(unswapped, inside_x, i, &x, &y) ? y : -1);
  }
  dvs_routes_.clear();
  for (const Destination& dest : dvs.destinations) {
    if (!dest.enable) continue;
    dvs_routes_.push_back({static_cast<int>(dest.layer),
                           PoolingShift(dest.pooling), dest.feature_shift});
  }
}

bool ChipModel::SpikeMonitorOn() const {
  return !(config_.quirks.readout_monitor_suppresses_spikes &&
           config_.readout.enable && config_.readout.monitor_enable);
}

}  // namespace speckd::chip
