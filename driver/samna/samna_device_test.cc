// SamnaDevice through the bridge's Python (Debian's python3) and the samna
// double in place of samna, which cannot be installed here
// (tests/samna_double): what a board does, exactly as the chip would (the
// double computes with speckd's chip model, paced by its stop watch in real
// time, so the tutorial takes its 5 s), and in the order sinabs calls samna.
#include <algorithm>
#include <string>
#include <vector>

#include "driver/samna/samna_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::samna {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(SamnaTest, TheTutorialThroughTheBridgeIsExactAndFollowsSinabsOrder) {
  testing::SamnaDouble samna("tutorial");
  StartBus(samna);
  Board* board = boards_.WaitFor("usb:", /*problem=*/false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  Device* device = board->device.get();
  EXPECT_EQ(board->id_prefix, "speck2edevkit");
  EXPECT_EQ(device->descriptor().backend, Backend::kSamna);
  EXPECT_EQ(device->descriptor().type_name, "Speck2eDevKit");
  EXPECT_EQ(device->descriptor().usb_bus_number, 2u);
  EXPECT_EQ(device->descriptor().usb_device_address, 9u);
  EXPECT_THAT(device->descriptor().driver_detail, HasSubstr("samna 0.48.6"));
  EXPECT_THAT(device->descriptor().driver_detail,
              HasSubstr("untested on hardware"));

  Counts counts;
  device->SetOutputListener(&counts);
  ASSERT_TRUE(device->ApplyConfiguration(tutorial_.config).ok());
  RunTutorial(device, &counts, 1);
  EXPECT_EQ(counts.total(), 25001u);
  EXPECT_THAT(counts.per_feature(), ElementsAre(12475u, 12526u));
  EXPECT_EQ(counts.dvs_monitor(), 25001u);
  EXPECT_EQ(device->counters().events_in, 25001u);
  EXPECT_EQ(device->counters().core_spikes_out[0], 25001u);
  EXPECT_EQ(device->counters().dropped_outputs, 0u);
  device->SetOutputListener(nullptr);
  boards_.Clear();
  bus_.reset();  // closes the board: the stop watch stops

  // sinabs' hw_forward: flush the sink, reset and start the stop watch,
  // write, read, stop; the graphs as DynapcnnNetwork.to() builds them.
  const std::vector<std::string> calls = samna.Calls();
  auto first = [&](const std::string& name) {
    return std::find(calls.begin(), calls.end(), name) - calls.begin();
  };
  auto last = [&](const std::string& name) {
    return calls.rend() - std::find(calls.rbegin(), calls.rend(), name) - 1;
  };
  ASSERT_THAT(calls, Contains("BasicSourceNode.write"));
  ASSERT_THAT(calls, Contains("StopWatch.stop"));
  EXPECT_LT(first("device.open_device"), first("EventFilterGraph.sequential"));
  EXPECT_LT(first("EventFilterGraph.start"), first("BasicSinkNode.get_events"));
  EXPECT_LT(first("BasicSinkNode.get_events"), first("StopWatch.reset"));
  EXPECT_LT(first("StopWatch.reset"), first("StopWatch.start"));
  EXPECT_LT(first("speck2e.validate_configuration"),
            first("Model.apply_configuration"));
  EXPECT_LT(first("Model.apply_configuration"), first("BasicSourceNode.write"));
  EXPECT_LT(last("BasicSourceNode.write"), last("StopWatch.stop"));
  EXPECT_LT(last("StopWatch.stop"), last("device.close_device"));
}

TEST_F(SamnaTest, SamnaRejectingAConfigurationIsInvalidArgumentWithItsWords) {
  testing::SamnaDouble samna("reject");
  samna.Configure(
      R"json({"reject": "cnn_layers[0]: kernel memory exceeded (double)"})json");
  StartBus(samna);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  absl::Status applied = board->device->ApplyConfiguration(tutorial_.config);
  EXPECT_EQ(applied.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(applied.message(), HasSubstr("kernel memory exceeded (double)"));
  // Still usable: nothing was applied, writes say so.
  EXPECT_EQ(board->device->Write(tutorial_.inputs, absl::Now()).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SamnaTest, OlderSpellingsStopWatchAndNonBlockingReadsWork) {
  testing::SamnaDouble samna("legacy");
  samna.Configure(R"({"stop_watch": "legacy", "blocking_read": false})");
  StartBus(samna);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  Counts counts;
  board->device->SetOutputListener(&counts);
  ASSERT_TRUE(board->device->ApplyConfiguration(tutorial_.config).ok());
  // The first 20 ms of the tutorial: every event goes to "top".
  std::vector<chip::InputEvent> head;
  for (const chip::InputEvent& e : tutorial_.inputs) {
    if (e.timestamp_us < 25000) head.push_back(e);
  }
  ASSERT_TRUE(board->device->SetStopWatch(true, true).ok());
  ASSERT_TRUE(board->device->Write(head, absl::Now() + absl::Seconds(5)).ok());
  board->device->Flush();
  ASSERT_TRUE(counts.WaitForFlush(1, absl::Seconds(30)));
  EXPECT_EQ(counts.total(), head.size());
  EXPECT_THAT(counts.per_feature(), ElementsAre(head.size(), 0u));
  board->device->SetOutputListener(nullptr);
  EXPECT_THAT(samna.Calls(), Contains("StopWatch.set_enable_value"));
  EXPECT_THAT(samna.Calls(), ::testing::Not(Contains("StopWatch.start")));
}

TEST_F(SamnaTest, PowerNeuronsAndTheSlowClockGoThroughSamna) {
  testing::SamnaDouble samna("power");
  StartBus(samna);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  Device* device = board->device.get();
  Counts counts;
  device->SetOutputListener(&counts);
  ASSERT_TRUE(device->ApplyConfiguration(tutorial_.config).ok());

  EXPECT_EQ(device->SetPowerMonitorRate(101).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(device->SetPowerMonitorRate(100).ok());
  EXPECT_EQ(device->power_monitor_rate(), 100);
  ASSERT_TRUE(counts.WaitForPower(20, absl::Seconds(30)));
  EXPECT_GT(counts.last_power_w(), 0);
  ASSERT_TRUE(device->SetPowerMonitorRate(0).ok());

  // Core 0 is 2 features of 1x1: write one, read the core.
  const NeuronAddress top_right[] = {{1, 0, 0}};
  const int16_t value[] = {42};
  ASSERT_TRUE(device->WriteNeurons(0, top_right, value).ok());
  std::vector<NeuronAddress> addresses;
  absl::StatusOr<std::vector<int16_t>> states =
      device->ReadNeurons(0, {}, &addresses);
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_THAT(*states, ElementsAre(0, 42));
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[1].feature, 1u);
  const NeuronAddress outside[] = {{2, 0, 0}};
  EXPECT_EQ(device->ReadNeurons(0, outside, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(device->SetSlowClock(true, 10).ok());
  EXPECT_TRUE(device->slow_clock().enabled);
  EXPECT_EQ(device->slow_clock().rate_hz, 10);
  device->SetOutputListener(nullptr);
  const std::vector<std::string> calls = samna.Calls();
  EXPECT_THAT(calls, Contains("PowerMonitor.start_auto_power_measurement"));
  EXPECT_THAT(calls, Contains("PowerMonitor.stop_auto_power_measurement"));
  EXPECT_THAT(calls, Contains("IoModule.set_slow_clk_rate"));
  EXPECT_THAT(calls, Contains("IoModule.set_slow_clk"));
  EXPECT_EQ(device->SetPacing(Pacing::kAsFastAsPossible).code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace speckd::driver::samna
