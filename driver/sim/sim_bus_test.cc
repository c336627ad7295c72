#include "driver/sim/sim_bus.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Remembers what the bus told it, in order.
class Recorder final : public BoardListener {
 public:
  void OnBoardArrived(Board board) override {
    events.push_back("arrived " + board.key + " " + board.id_prefix + " " +
                     board.descriptor.serial_number +
                     (board.device != nullptr ? " device" : " none"));
  }
  void OnBoardLeft(const std::string& key, const std::string& why) override {
    events.push_back("left " + key + " " + why);
  }
  std::vector<std::string> events;
};

SimBusOptions Boards(int count) {
  SimBusOptions options;
  options.count = count;
  return options;
}

TEST(SimBusTest, ReportsEveryBoardWithADevice) {
  SimBus bus(Boards(2));
  Recorder recorder;
  bus.Start(&recorder);
  EXPECT_THAT(recorder.events,
              ElementsAre("arrived sim:0 speck2edevkit-sim sim-0 device",
                          "arrived sim:1 speck2edevkit-sim sim-1 device"));
}

TEST(SimBusTest, UnplugThenReplugGivesAFreshDevice) {
  SimBus bus(Boards(1));
  Recorder recorder;
  bus.Start(&recorder);
  ASSERT_TRUE(bus.Unplug("sim:0").ok());
  ASSERT_TRUE(bus.Replug("sim:0").ok());
  EXPECT_THAT(recorder.events,
              ElementsAre("arrived sim:0 speck2edevkit-sim sim-0 device",
                          "left sim:0 unplugged (simulated fault)",
                          "arrived sim:0 speck2edevkit-sim sim-0 device"));
}

TEST(SimBusTest, RefusesWhatCannotHappen) {
  SimBus bus(Boards(1));
  Recorder recorder;
  bus.Start(&recorder);
  EXPECT_THAT(bus.Replug("sim:0").message(), HasSubstr("is plugged in"));
  ASSERT_TRUE(bus.Unplug("sim:0").ok());
  EXPECT_THAT(bus.Unplug("sim:0").message(), HasSubstr("already unplugged"));
  EXPECT_TRUE(absl::IsNotFound(bus.Unplug("sim:1")));
  EXPECT_TRUE(absl::IsNotFound(bus.Unplug("usb:2-1")));
  EXPECT_EQ(recorder.events.size(), 2u);
}

}  // namespace
}  // namespace speckd::driver::sim
