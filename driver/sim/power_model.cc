#include "driver/sim/power_model.h"

namespace speckd::driver::sim {
namespace {

constexpr std::array<double, kPowerRails> kIdleW = {62e-6, 52e-6, 367e-6, 79e-6,
                                                    611e-6};
constexpr double kIoJoulePerEvent = 150e-12;
constexpr double kRamJoulePerSynop = 4e-12;
constexpr double kLogicJoulePerSynop = 3e-12;
constexpr double kLogicJoulePerSpike = 20e-12;

}  // namespace

std::array<double, kPowerRails> ModelPower(const Activity& delta,
                                           double interval_s) {
  std::array<double, kPowerRails> watts = kIdleW;
  if (interval_s <= 0) return watts;
  watts[0] += kIoJoulePerEvent * static_cast<double>(delta.boundary_events) /
              interval_s;
  watts[1] +=
      kRamJoulePerSynop * static_cast<double>(delta.synops) / interval_s;
  watts[2] += (kLogicJoulePerSynop * static_cast<double>(delta.synops) +
               kLogicJoulePerSpike * static_cast<double>(delta.spikes)) /
              interval_s;
  return watts;
}

}  // namespace speckd::driver::sim
