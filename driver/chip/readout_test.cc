// Readout layer (Part A rule 7): class mapping with and without the ×4
// erratum, moving average, ReadoutValue bits and ReadoutPinValue.
#include "driver/chip/readout.h"

#include "driver/chip/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

ReadoutConfig Sel3(uint32_t threshold) {
  ReadoutConfig config;
  config.enable = true;
  config.readout_configuration_sel = 3;
  config.threshold = threshold;
  config.monitor_enable = true;
  config.readout_pin_monitor_enable = true;
  config.output_mode_sel = 3;
  config.low_pass_filter_disable = true;  // window of 1 tick
  return config;
}

TEST(ReadoutTest, ErratumMapsFeatureFourKMinusOneToClassK) {
  Readout readout;
  readout.Configure(Sel3(0), /*class_spacing_erratum=*/true);
  EXPECT_EQ(readout.ClassOf(0, 0, 0), 1);
  EXPECT_EQ(readout.ClassOf(4, 0, 0), 2);
  EXPECT_EQ(readout.ClassOf(8, 0, 0), 3);
  EXPECT_EQ(readout.ClassOf(56, 0, 0), 15);
  EXPECT_EQ(readout.ClassOf(1, 0, 0), 0);
  EXPECT_EQ(readout.ClassOf(5, 0, 0), 0);
  EXPECT_EQ(readout.ClassOf(60, 0, 0), 0);
  EXPECT_EQ(readout.ClassOf(0, 1, 0), 0);  // sel 3 is 1x1
}

TEST(ReadoutTest, WithoutTheErratumFeatureFIsClassFPlusOne) {
  Readout readout;
  readout.Configure(Sel3(0), /*class_spacing_erratum=*/false);
  EXPECT_EQ(readout.ClassOf(0, 0, 0), 1);
  EXPECT_EQ(readout.ClassOf(1, 0, 0), 2);
  EXPECT_EQ(readout.ClassOf(14, 0, 0), 15);
  EXPECT_EQ(readout.ClassOf(15, 0, 0), 0);
}

TEST(ReadoutTest, AddressingModesUseTheirBlock) {
  Readout readout;
  ReadoutConfig config = Sel3(0);
  config.readout_configuration_sel = 0;  // 2x * 2y * 4f
  readout.Configure(config, false);
  EXPECT_EQ(readout.ClassOf(3, 0, 0), 4);
  EXPECT_EQ(readout.ClassOf(0, 1, 0), 5);
  EXPECT_EQ(readout.ClassOf(2, 1, 1), 15);  // index 14
  EXPECT_EQ(readout.ClassOf(3, 1, 1), 0);   // index 15: no class
  EXPECT_EQ(readout.ClassOf(4, 0, 0), 0);   // outside the block
  config.readout_configuration_sel = 2;     // 4x * 4y * 1f
  readout.Configure(config, false);
  EXPECT_EQ(readout.ClassOf(0, 3, 2), 12);
  EXPECT_EQ(readout.ClassOf(1, 0, 0), 0);
}

TEST(ReadoutTest, ValueCarriesValidBitIndexAndMaxAverage) {
  Readout readout;
  readout.Configure(Sel3(1), false);
  OutputBatch out;
  for (int i = 0; i < 3; ++i) readout.Add(2, 0, 0);  // class 3
  readout.Add(0, 0, 0);                              // class 1
  readout.Tick(1000, &out);
  ASSERT_EQ(out.readout_values.size(), 1u);
  EXPECT_EQ(out.readout_values[0].timestamp_us, 1000u);
  EXPECT_EQ(out.readout_values[0].value, (1u << 20) | (3u << 16) | 3u);
  ASSERT_EQ(out.readout_pins.size(), 1u);
  EXPECT_EQ(out.readout_pins[0].index, 3u);
  // Host decoding as in SynSense's notebook.
  EXPECT_EQ((out.readout_values[0].value & 0x0F0000) >> 16, 3u);

  // A tick with nothing above the threshold: no pin, valid bit clear.
  readout.Add(2, 0, 0);
  readout.Tick(2000, &out);
  ASSERT_EQ(out.readout_values.size(), 2u);
  EXPECT_EQ(out.readout_values[1].value, 1u);  // avg 1 of class 3, not > 1
  EXPECT_EQ(out.readout_pins.size(), 1u);
}

TEST(ReadoutTest, MovingAverageOverSixteenTicks) {
  Readout readout;
  ReadoutConfig config = Sel3(0);
  config.low_pass_filter_disable = false;  // 16 ticks
  readout.Configure(config, false);
  OutputBatch out;
  for (int i = 0; i < 32; ++i) readout.Add(0, 0, 0);
  readout.Tick(0, &out);  // sum 32 over 16 -> 2
  EXPECT_EQ(out.readout_values.back().value & 0xFFFF, 2u);
  for (int tick = 1; tick < 16; ++tick) readout.Tick(tick, &out);
  EXPECT_EQ(out.readout_values.back().value & 0xFFFF, 2u);
  readout.Tick(16, &out);  // the 32-spike tick left the window
  EXPECT_EQ(out.readout_values.back().value & 0xFFFF, 0u);
  EXPECT_EQ(out.readout_values.back().value >> 16, 0u);
}

TEST(ReadoutTest, ThresholdCompareBitsInMode1) {
  Readout readout;
  ReadoutConfig config = Sel3(1);
  config.output_mode_sel = 1;
  readout.Configure(config, false);
  OutputBatch out;
  readout.Add(0, 0, 0);
  readout.Add(0, 0, 0);  // class 1: 2 > 1
  readout.Add(4, 0, 0);  // class 5: 1, not > 1
  readout.Add(6, 0, 0);
  readout.Add(6, 0, 0);  // class 7: 2 > 1
  readout.Tick(0, &out);
  EXPECT_EQ(out.readout_values[0].value & 0xFFFF, (1u << 0) | (1u << 6));
  EXPECT_EQ((out.readout_values[0].value >> 16) & 0xF, 1u);  // tie -> lower
}

TEST(ReadoutTest, ModelRoutesLayer12SpikesToTheReadoutOnTicks) {
  SpeckConfig config;
  CnnLayerConfig& core = config.cnn_layers[0];
  core.dimensions.input_shape = {{1, 1}, 1};
  core.dimensions.output_shape = {{1, 1}, 5};
  core.dimensions.kernel_size = 1;
  core.weights = {0, 0, 0, 0, 10};  // only feature 4 (class 2) fires
  core.threshold_high = 10;
  core.threshold_low = -10;
  core.destinations = {{kReadoutLayer, true, 1, 0}};
  config.readout = Sel3(0);
  config.slow_clock = {true, 20.0};  // ticks every 50 ms
  absl::StatusOr<std::unique_ptr<ChipModel>> model = ChipModel::Create(config);
  ASSERT_TRUE(model.ok()) << model.status();
  OutputBatch out;
  (*model)->ProcessSpike({10, 0, 0, 0, 0}, &out);
  (*model)->ProcessSpike({20, 0, 0, 0, 0}, &out);
  (*model)->AdvanceTo(50000, &out);  // ticks at 0 and 50000
  ASSERT_EQ(out.readout_values.size(), 2u);
  EXPECT_EQ(out.readout_values[0].value, 0u);
  EXPECT_EQ(out.readout_values[1].timestamp_us, 50000u);
  EXPECT_EQ(out.readout_values[1].value, (1u << 20) | (2u << 16) | 2u);
  ASSERT_EQ(out.readout_pins.size(), 1u);
  EXPECT_EQ(out.readout_pins[0].index, 2u);
}

}  // namespace
}  // namespace speckd::chip
