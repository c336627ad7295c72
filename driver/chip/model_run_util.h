// Running a ChipModel through a whole input and comparing what two runs
// leave, for the tests that check one way of computing against another
// (model_direct_test, model_isa_test). Not a public header.
#ifndef SPECKD_DRIVER_CHIP_MODEL_RUN_UTIL_H_
#define SPECKD_DRIVER_CHIP_MODEL_RUN_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "driver/chip/model.h"
#include "gtest/gtest.h"

namespace speckd::chip {

// Everything a run leaves: outputs, statistics, neurons, time.
struct RunResult {
  OutputBatch out;
  ModelStats stats;
  std::vector<std::vector<int16_t>> neurons;
  uint64_t time_us = 0;
};

inline RunResult RunAll(ChipModel& model, const std::vector<InputEvent>& inputs,
                        std::mt19937& split) {
  RunResult r;
  for (size_t i = 0; i < inputs.size();) {
    const size_t n = std::min(
        inputs.size() - i,
        static_cast<size_t>(std::uniform_int_distribution<int>(1, 700)(split)));
    model.Process(&inputs[i], n, &r.out);
    i += n;
  }
  model.AdvanceTo(model.time_us() + 10000, &r.out);
  r.stats = model.stats();
  for (int layer = 0; layer < kNumCores; ++layer) {
    r.neurons.push_back(model.NeuronStates(layer));
  }
  r.time_us = model.time_us();
  return r;
}

inline void ExpectSameStats(const ModelStats& a, const ModelStats& b) {
  for (int i = 0; i < kNumCores; ++i) {
    EXPECT_EQ(a.cores[i].input_spikes, b.cores[i].input_spikes) << "core " << i;
    EXPECT_EQ(a.cores[i].synops, b.cores[i].synops) << "core " << i;
    EXPECT_EQ(a.cores[i].spikes, b.cores[i].spikes) << "core " << i;
    EXPECT_EQ(a.cores[i].dropped_out_of_range, b.cores[i].dropped_out_of_range)
        << "core " << i;
  }
  EXPECT_EQ(a.dvs_events_in, b.dvs_events_in);
  EXPECT_EQ(a.dvs_events_passed, b.dvs_events_passed);
  EXPECT_EQ(a.slow_clock_ticks, b.slow_clock_ticks);
  EXPECT_EQ(a.readout_spikes, b.readout_spikes);
  EXPECT_EQ(a.late_inputs, b.late_inputs);
  EXPECT_EQ(a.cascade_overflow, b.cascade_overflow);
}

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_MODEL_RUN_UTIL_H_
