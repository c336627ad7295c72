#include "proto/codec/device_codec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::codec {
namespace {

namespace v1 = ::speckd::v1;

TEST(DeviceCodecTest, PacingBothWays) {
  for (driver::Pacing p :
       {driver::Pacing::kRealTime, driver::Pacing::kAsFastAsPossible}) {
    EXPECT_EQ(PacingFromProto(ToProto(p)), p);
  }
  EXPECT_EQ(ToProto(driver::Pacing::kAsFastAsPossible),
            v1::AS_FAST_AS_POSSIBLE);
}

TEST(DeviceCodecTest, DescriptorAndCountersFillTheirFields) {
  driver::DeviceDescriptor d;
  d.id = "speck2edevkit:1";
  d.type_name = "Speck2eDevKit";
  d.serial_number = "0042";
  d.backend = driver::Backend::kUsb;
  d.usb_bus_number = 3;
  d.usb_device_address = 7;
  d.logic_version = "2";
  driver::DeviceCounters c;
  c.events_in = 1;
  c.events_out = 2;
  c.queued_inputs = 3;
  c.dropped_inputs = 4;
  c.synops = 5;
  c.late_inputs = 6;
  c.cascade_overflow = 7;
  c.core_spikes_out[3] = 8;
  c.dvs_monitor_out = 9;
  c.readout_out = 10;
  v1::Device out;
  ToProto(d, &out);
  ToProto(c, &out);
  EXPECT_EQ(out.id(), "speck2edevkit:1");
  EXPECT_EQ(out.backend(), v1::USB);
  EXPECT_EQ(out.usb_bus_number(), 3u);
  EXPECT_EQ(out.usb_device_address(), 7u);
  EXPECT_EQ(out.serial_number(), "0042");
  EXPECT_EQ(out.events_in(), 1u);
  EXPECT_EQ(out.events_out(), 2u);
  EXPECT_EQ(out.queued_inputs(), 3u);
  EXPECT_EQ(out.dropped_inputs(), 4u);
  EXPECT_EQ(out.synops(), 5u);
  EXPECT_EQ(out.late_inputs(), 6u);
  EXPECT_EQ(out.cascade_overflow(), 7u);
  ASSERT_EQ(out.core_spikes_out_size(), 9);
  EXPECT_EQ(out.core_spikes_out(3), 8u);
  EXPECT_EQ(out.dvs_monitor_out(), 9u);
  EXPECT_EQ(out.readout_out(), 10u);
}

TEST(DeviceCodecTest, StopWatchAndSlowClock) {
  v1::StopWatch watch;
  ToProto(driver::StopWatchState{true, 1234, 5}, &watch);
  EXPECT_TRUE(watch.enabled());
  EXPECT_EQ(watch.time_us(), 1234u);
  EXPECT_EQ(watch.epoch(), 5u);
  v1::SlowClock clock;
  ToProto(driver::SlowClockState{true, 20.5}, &clock);
  EXPECT_TRUE(clock.enabled());
  EXPECT_EQ(clock.rate_hz(), 20.5);
}

}  // namespace
}  // namespace speckd::codec
