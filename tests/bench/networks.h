// Networks and inputs the benchmarks run (also used by tests that check the
// benchmarks measure what they claim).
#ifndef SPECKD_TESTS_BENCH_NETWORKS_H_
#define SPECKD_TESTS_BENCH_NETWORKS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "driver/chip/config.h"
#include "driver/chip/events.h"

namespace speckd::bench {

// sinabs' "Spike Count Visualization" tutorial: one 16x16 conv, 2 features
// (top half / bottom half of the input), weights 0/127, threshold 127,
// monitor on. Every input event makes exactly one output spike.
chip::SpeckConfig TutorialNetwork();

// `n` input spikes into core 0 of the tutorial network, one per µs,
// alternating top and bottom halves every 1000 events.
std::vector<chip::InputEvent> TutorialInput(size_t n);

// A 4-core DVS network shaped like sinabs' gesture examples: DVS pool 2 ->
// conv 2->16 k3 s2 p1 -> conv 16->32 k3 s2 p1 -> pool 2 -> conv 32->32 k3 ->
// linear (6x6x32 -> 11 classes), deterministic pseudo-random int8 weights.
chip::SpeckConfig GestureNetwork();

// `n` DVS events, uniform over the 128x128 array, 1 µs apart.
std::vector<chip::InputEvent> RandomDvsInput(size_t n, uint32_t seed);

}  // namespace speckd::bench

#endif  // SPECKD_TESTS_BENCH_NETWORKS_H_
