#include "driver/samna/bridge_columns.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::samna {
namespace {

TEST(BridgeColumnsTest, InputsBecomeColumnsOfEqualLength) {
  std::vector<chip::InputEvent> events = {
      chip::InputEvent::FromDvs({5000, 3, 4, true}),
      chip::InputEvent::FromSpike({7000, 300, 2, 5, 6})};
  bridge::WriteEvents w;
  ToColumns(events, &w);
  ASSERT_EQ(w.timestamp_us().size(), 16u);
  EXPECT_EQ(w.kind(), std::string("\0\1", 2));
  EXPECT_EQ(w.layer(), std::string("\0\2", 2));
  EXPECT_EQ(w.feature(), std::string("\0\0\x2c\x01", 4));
  EXPECT_EQ(w.x(), "\3\5");
  EXPECT_EQ(w.y(), "\4\6");
  EXPECT_EQ(w.p(), std::string("\1\0", 2));
}

TEST(BridgeColumnsTest, OutputsComeBackAndUnevenColumnsAreRefusedWhole) {
  bridge::Outputs o;
  o.set_board("Speck2eDevKit@2-9");
  const uint64_t t[2] = {10, 20};
  o.set_spike_timestamp_us(std::string(reinterpret_cast<const char*>(t), 16));
  o.set_spike_layer(std::string("\0\15", 2));
  const uint16_t f[2] = {1, 513};
  o.set_spike_feature(std::string(reinterpret_cast<const char*>(f), 4));
  o.set_spike_x("\1\2");
  o.set_spike_y("\3\4");
  chip::OutputBatch events;
  std::vector<PowerMeasurement> power;
  ASSERT_TRUE(FromColumns(o, &events, &power).ok());
  ASSERT_EQ(events.spikes.size(), 2u);
  EXPECT_EQ(events.spikes[1], (chip::Spike{20, 513, 13, 2, 4}));
  EXPECT_TRUE(power.empty());

  o.set_spike_y("\3");
  events.clear();
  absl::Status uneven = FromColumns(o, &events, &power);
  EXPECT_EQ(uneven.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(uneven.message(), ::testing::HasSubstr("Speck2eDevKit@2-9"));
  EXPECT_TRUE(events.spikes.empty());
}

}  // namespace
}  // namespace speckd::driver::samna
