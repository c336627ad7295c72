#include "driver/chip/readout.h"

#include <algorithm>

namespace speckd::chip {
namespace {

struct Block {
  int x;
  int y;
  int f;
};

// readout_configuration_sel -> the X x Y x F block of inputs it addresses.
Block AddressingBlock(uint32_t sel) {
  switch (sel) {
    case 0:
      return {2, 2, 4};
    case 1:
      return {2, 4, 2};
    case 2:
      return {4, 4, 1};
    default:
      return {1, 1, 16};
  }
}

}  // namespace

void Readout::Configure(const ReadoutConfig& config,
                        bool class_spacing_erratum) {
  config_ = config;
  erratum_ = class_spacing_erratum;
  window_ = config.low_pass_filter_disable   ? 1
            : config.low_pass_filter32_not16 ? 32
                                             : 16;
  counts_.fill(0);
  sums_.fill(0);
  history_.assign(static_cast<size_t>(window_), {});
  history_next_ = 0;
}

int Readout::ClassOf(int feature, int x, int y) const {
  const Block b = AddressingBlock(config_.readout_configuration_sel);
  if (x < 0 || y < 0 || feature < 0 || x >= b.x || y >= b.y) return 0;
  int feature_limit = b.f;
  // The erratum spaces classes 4 features apart; in the 1x1x16 mode sinabs
  // widens the last layer to 4(n-1)+1 features to match.
  if (erratum_ && config_.readout_configuration_sel == 3) {
    feature_limit = 4 * (kClasses - 1) + 1;
  }
  if (feature >= feature_limit) return 0;
  const int index = (y * b.x + x) * b.f + feature;
  if (erratum_) return index % 4 == 0 ? index / 4 + 1 : 0;
  return index < kClasses ? index + 1 : 0;
}

void Readout::Add(int feature, int x, int y) {
  const int k = ClassOf(feature, x, y);
  if (k > 0 && counts_[k] < 0xFFFF) ++counts_[k];
}

void Readout::Tick(uint64_t t, OutputBatch* out) {
  // Slide the window: drop the oldest tick, add this one.
  auto& slot = history_[history_next_];
  for (int k = 1; k <= kClasses; ++k) {
    sums_[k] += counts_[k];
    sums_[k] -= slot[k];
  }
  slot = counts_;
  history_next_ = (history_next_ + 1) % history_.size();
  counts_.fill(0);

  std::array<uint32_t, kClasses + 1> avg{};
  int best = 0;
  uint32_t best_avg = 0;
  uint32_t compare_bits = 0;
  for (int k = 1; k <= kClasses; ++k) {
    avg[k] = static_cast<uint32_t>(sums_[k] / static_cast<uint64_t>(window_));
    if (avg[k] > best_avg) {
      best_avg = avg[k];
      best = k;
    }
    if (avg[k] > config_.threshold) compare_bits |= 1u << (k - 1);
  }
  const bool exceeds = best > 0 && best_avg > config_.threshold;
  const int index = exceeds ? best : 0;

  if (config_.monitor_enable) {
    uint32_t low = 0;
    switch (config_.output_mode_sel) {
      case 1:
        low = compare_bits;
        break;
      case 2: {
        const uint32_t k = config_.output_neuron_num;
        low = (k >= 1 && k <= kClasses) ? avg[k] : 0;
        break;
      }
      case 3:
        low = best_avg;
        break;
      default:
        low = 0;  // power-down mode: data_out = 0
    }
    const uint32_t value = (exceeds ? 1u << 20 : 0u) |
                           (static_cast<uint32_t>(index) << 16) |
                           std::min<uint32_t>(low, 0xFFFF);
    out->readout_values.push_back({t, value});
  }
  if (config_.readout_pin_monitor_enable &&
      (exceeds || config_.override_threshold_max)) {
    out->readout_pins.push_back(
        {t, static_cast<uint32_t>(exceeds ? index : best)});
  }
}

}  // namespace speckd::chip
