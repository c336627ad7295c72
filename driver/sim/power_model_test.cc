#include "driver/sim/power_model.h"

#include "gtest/gtest.h"

namespace speckd::driver::sim {
namespace {

TEST(PowerModelTest, IdleIsTheDevkitBaseline) {
  auto watts = ModelPower({}, 0.1);
  EXPECT_DOUBLE_EQ(watts[0], 62e-6);
  EXPECT_DOUBLE_EQ(watts[1], 52e-6);
  EXPECT_DOUBLE_EQ(watts[2], 367e-6);
  EXPECT_DOUBLE_EQ(watts[3], 79e-6);
  EXPECT_DOUBLE_EQ(watts[4], 611e-6);
}

TEST(PowerModelTest, ActivityRaisesIoRamAndLogicInProportion) {
  Activity a;
  a.boundary_events = 1000000;
  a.synops = 36000000;
  a.spikes = 500000;
  auto watts = ModelPower(a, 1.0);
  EXPECT_NEAR(watts[0], 62e-6 + 150e-6, 1e-12);
  EXPECT_NEAR(watts[1], 52e-6 + 144e-6, 1e-12);
  EXPECT_NEAR(watts[2], 367e-6 + 108e-6 + 10e-6, 1e-12);
  EXPECT_DOUBLE_EQ(watts[4], 611e-6);
  // Same activity in half the time: twice the dynamic power.
  auto faster = ModelPower(a, 0.5);
  EXPECT_NEAR(faster[0] - 62e-6, 2 * (watts[0] - 62e-6), 1e-12);
}

}  // namespace
}  // namespace speckd::driver::sim
