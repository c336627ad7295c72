// The Speck2e configuration as the chip model sees it: plain structs in
// samna's names (samna.speck2e.configuration.SpeckConfiguration), samna's
// defaults already applied. Values are kept wide (int32) so that validation
// can report out-of-range input instead of silently truncating it; the model
// compiles a validated SpeckConfig into its own compact form.
//
//   SpeckConfig config;                       // samna defaults
//   config.cnn_layers[0].dimensions.kernel_size = 16;
//   ValidationReport report = Validate(config);
#ifndef SPECKD_DRIVER_CHIP_CONFIG_H_
#define SPECKD_DRIVER_CHIP_CONFIG_H_

#include <cstdint>
#include <vector>

namespace speckd::chip {

inline constexpr int kNumCores = 9;         // cnn_layers 0..8
inline constexpr int kReadoutLayer = 12;    // destination layer of the readout
inline constexpr int kDvsLayer = 13;        // monitor layer of the DVS layer
inline constexpr int kDvsSize = 128;        // pixel array is 128 x 128
inline constexpr int kMaxDestinations = 2;  // per core and for the DVS layer

struct Vec2 {
  uint32_t x = 0;
  uint32_t y = 0;
  bool operator==(const Vec2& o) const { return x == o.x && y == o.y; }
};

struct Shape {
  Vec2 size;
  uint32_t feature_count = 0;
};

struct CnnLayerDimensions {
  Shape input_shape;
  // The convolution (neuron) map, before destination pooling.
  Shape output_shape;
  Vec2 padding;
  Vec2 stride{1, 1};
  uint32_t kernel_size = 0;
};

struct Destination {
  // Core 0..8, or kReadoutLayer.
  uint32_t layer = 0;
  bool enable = false;
  uint32_t pooling = 1;
  int32_t feature_shift = 0;
};

struct CnnLayerConfig {
  CnnLayerDimensions dimensions;
  // int8 values, flat [f][c][x][y] (samna order).
  std::vector<int32_t> weights;
  // int16 per output feature; empty means all zero.
  std::vector<int32_t> biases;
  // int16 initial membrane state, flat [f][x][y]; empty means all zero.
  std::vector<int32_t> neurons_initial_value;
  int32_t threshold_high = 0;
  int32_t threshold_low = 0;
  bool return_to_zero = false;
  bool leak_enable = false;
  bool leak_internal_slow_clk_enable = false;
  bool monitor_enable = false;
  bool input_congestion_balancer_enable = false;
  bool output_decimator_enable = false;
  // 0..7 -> N = 2, 4, 8, 16, 32, 128, 256, 512.
  uint32_t output_decimator_interval = 0;
  // At most kMaxDestinations.
  std::vector<Destination> destinations;

  // A core is in use once it has an output map; unused cores take no input.
  bool InUse() const { return dimensions.output_shape.feature_count > 0; }
};

struct Mirror {
  bool x = false;
  bool y = false;
};

struct DvsLayerConfig {
  std::vector<Destination> destinations;
  bool merge = false;
  bool on_channel = true;
  bool off_channel = true;
  Vec2 pooling{1, 1};
  // Region of interest in pooled coordinates; both corners inclusive.
  Vec2 origin{0, 0};
  Vec2 cut{kDvsSize - 1, kDvsSize - 1};
  Mirror mirror;
  bool mirror_diagonal = false;
  bool pass_sensor_events = false;
  bool monitor_enable = false;
  bool raw_monitor_enable = false;
};

struct DvsFilterConfig {
  bool enable = false;
  Vec2 filter_size;
  uint32_t threshold = 0;
  bool hot_pixel_filter_enable = false;
  bool low_pass_mode_enable = false;
  bool internal_slow_clk = false;
};

struct ReadoutConfig {
  bool enable = false;
  uint32_t readout_configuration_sel = 0;
  uint32_t threshold = 0;
  bool low_pass_filter_disable = false;
  bool low_pass_filter32_not16 = false;
  uint32_t output_mode_sel = 0;
  bool monitor_enable = false;
  bool readout_pin_monitor_enable = false;
  bool override_threshold_max = false;
  uint32_t output_neuron_num = 0;
  bool internal_slow_clk = false;
};

struct SlowClockConfig {
  bool enable = false;
  double rate_hz = 0;
};

// Behaviours of the real chip reproduced on purpose; on by default.
struct ChipQuirks {
  // Readout class k receives feature 4(k-1) (Speck2e/2f erratum).
  bool readout_class_spacing_erratum = true;
  // While readout.monitor_enable is set, no Spike monitor events reach the
  // host.
  bool readout_monitor_suppresses_spikes = true;
};

struct SpeckConfig {
  // kNumCores entries for a well-formed configuration (validation reports any
  // other count).
  std::vector<CnnLayerConfig> cnn_layers =
      std::vector<CnnLayerConfig>(kNumCores);
  DvsLayerConfig dvs_layer;
  DvsFilterConfig dvs_filter;
  ReadoutConfig readout;
  SlowClockConfig slow_clock;
  ChipQuirks quirks;
};

// Output map size along one axis: floor((in + 2 * padding - kernel) / stride)
// + 1, or 0 if the kernel does not fit.
inline uint32_t ConvOutputSize(uint32_t in, uint32_t padding, uint32_t kernel,
                               uint32_t stride) {
  if (stride == 0 || in + 2 * padding < kernel) return 0;
  return (in + 2 * padding - kernel) / stride + 1;
}

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_CONFIG_H_
