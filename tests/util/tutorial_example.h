// sinabs' spike-count tutorial as this repository ships it
// (examples/tutorial: config.json and events.csv), for end-to-end tests that
// must run in any clone. The golden comparisons with the real sinabs
// (../shared/reference) are driver/chip:reference_test's.
#ifndef SPECKD_TESTS_UTIL_TUTORIAL_EXAMPLE_H_
#define SPECKD_TESTS_UTIL_TUTORIAL_EXAMPLE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"

namespace speckd::testing {

struct TutorialExample {
  chip::SpeckConfig config;
  // 25001 DVS events, 5000..5005000 µs.
  std::vector<chip::InputEvent> inputs;
};

// Reads examples/tutorial from the test's runfiles (data:
// "//examples:tutorial").
absl::StatusOr<TutorialExample> LoadTutorialExample();

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_UTIL_TUTORIAL_EXAMPLE_H_
