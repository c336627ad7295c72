// speckctl as tests run it: the binary from the runfiles, against a speckd
// binary started for each test (one per test: tests change the device).
//
//   TEST_F(SpeckctlTest, Devices) {
//     RunResult r = Speck({"devices"});   // --server= this test's speckd
//   }
#ifndef SPECKD_TESTS_UTIL_SPECKCTL_FIXTURE_H_
#define SPECKD_TESTS_UTIL_SPECKCTL_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {

std::string Speckctl();
std::string TutorialConfig();

// Runs speckctl to completion (60 s at most) with `env` added.
RunResult RunSpeckctl(const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {});

// A speckd per test, as fast as possible (pacing_ before SetUp changes it),
// with --sim_faults and recordings in the test's scratch directory.
class SpeckctlTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // speckctl with --server pointing at this test's speckd.
  RunResult Speck(std::vector<std::string> args);
  std::unique_ptr<Subprocess> StartSpeck(std::vector<std::string> args);
  void ApplyTutorial();
  // A counter of the device (speckctl devices --output=json).
  uint64_t DeviceCounter(const std::string& name);

  std::string pacing_ = "as_fast_as_possible";
  std::unique_ptr<Subprocess> speckd_;
  std::string address_;
};

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_UTIL_SPECKCTL_FIXTURE_H_
