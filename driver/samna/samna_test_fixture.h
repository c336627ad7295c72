// What the samna backend's tests share: a BoardListener that keeps the
// boards it is given (the daemon's part), an OutputListener counting the
// tutorial's spikes, and a fixture that starts a SamnaBus on Debian's
// python3 with the samna double (tests/samna_double) in place of samna.
#ifndef SPECKD_DRIVER_SAMNA_SAMNA_TEST_FIXTURE_H_
#define SPECKD_DRIVER_SAMNA_SAMNA_TEST_FIXTURE_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "driver/board.h"
#include "driver/device.h"
#include "driver/samna/samna_bus.h"
#include "driver/util/mutex.h"
#include "gtest/gtest.h"
#include "tests/samna_double/samna_double.h"
#include "tests/util/tutorial_example.h"

namespace speckd::driver::samna {

inline constexpr absl::Duration kStartDeadline = absl::Seconds(60);

// The daemon's part, as far as these tests need it: boards as they come and
// go.
class Boards final : public BoardListener {
 public:
  void OnBoardArrived(Board board) override {
    MutexLock lock(&mu_);
    events_.push_back(absl::StrCat("arrived ", board.key));
    present_[board.key] = std::move(board);
    cv_.SignalAll();
  }
  void OnBoardLeft(const std::string& key, const std::string& why) override {
    MutexLock lock(&mu_);
    events_.push_back(absl::StrCat("left ", key, ": ", why));
    gone_.push_back(std::move(present_[key]));
    present_.erase(key);
    cv_.SignalAll();
  }

  // Waits until a board with `key_prefix` is present with a device (or a
  // problem, with `problem`), its arrival number `n` (from 1) or later.
  Board* WaitFor(const std::string& key_prefix, bool problem, int n = 1) {
    const absl::Time deadline = absl::Now() + kStartDeadline;
    MutexLock lock(&mu_);
    while (true) {
      int arrivals = 0;
      for (const std::string& e : events_) {
        if (absl::StartsWith(e, "arrived " + key_prefix)) ++arrivals;
      }
      for (auto& [key, board] : present_) {
        if (absl::StartsWith(key, key_prefix) && arrivals >= n &&
            (board.device == nullptr) == problem) {
          return &board;
        }
      }
      if (cv_.WaitWithDeadline(&mu_, deadline)) return nullptr;
    }
  }

  bool WaitForLeft(const std::string& key_prefix) {
    const absl::Time deadline = absl::Now() + kStartDeadline;
    MutexLock lock(&mu_);
    while (true) {
      for (const std::string& e : events_) {
        if (absl::StartsWith(e, "left " + key_prefix)) return true;
      }
      if (cv_.WaitWithDeadline(&mu_, deadline)) return false;
    }
  }

  std::string Events() const {
    MutexLock lock(&mu_);
    return absl::StrJoin(events_, "\n");
  }

  // Before the bus goes: devices hold its links.
  void Clear() {
    MutexLock lock(&mu_);
    present_.clear();
    gone_.clear();
  }

 private:
  mutable Mutex mu_;
  CondVar cv_;
  std::vector<std::string> events_;
  std::map<std::string, Board> present_;
  std::vector<Board> gone_;
};

// Spikes per output feature of core 0 and whether a flush came.
class Counts final : public OutputListener {
 public:
  void OnOutput(const DeviceOutput& output) override {
    MutexLock lock(&mu_);
    for (const chip::Spike& s : output.events.spikes) {
      if (s.layer == chip::kDvsLayer) {
        ++dvs_monitor_;
      } else if (s.layer == 0) {
        ++total_;
        if (s.feature < per_feature_.size()) ++per_feature_[s.feature];
      }
    }
    for (const PowerMeasurement& p : output.power) {
      if (p.channel < power_.size()) ++power_[p.channel];
      last_power_w_ = p.value_w;
    }
    if (output.flush) ++flushes_;
    cv_.SignalAll();
  }
  // Until every one of the 5 power channels has `n` samples.
  bool WaitForPower(uint64_t n, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (*std::min_element(power_.begin(), power_.end()) < n) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) return false;
    }
    return true;
  }
  double last_power_w() const {
    MutexLock lock(&mu_);
    return last_power_w_;
  }
  bool WaitForFlush(int n, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (flushes_ < n) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) return false;
    }
    return true;
  }
  // Core 0's spikes.
  uint64_t total() const {
    MutexLock lock(&mu_);
    return total_;
  }
  // The DVS layer's monitor: one per event it passed.
  uint64_t dvs_monitor() const {
    MutexLock lock(&mu_);
    return dvs_monitor_;
  }
  std::array<uint64_t, 2> per_feature() const {
    MutexLock lock(&mu_);
    return per_feature_;
  }
  void Clear() {
    MutexLock lock(&mu_);
    total_ = dvs_monitor_ = 0;
    per_feature_ = {};
  }

 private:
  mutable Mutex mu_;
  CondVar cv_;
  uint64_t total_ = 0;
  uint64_t dvs_monitor_ = 0;
  std::array<uint64_t, 2> per_feature_{};
  int flushes_ = 0;
  std::array<uint64_t, 5> power_{};
  double last_power_w_ = 0;
};

class SamnaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::TutorialExample> tutorial =
        testing::LoadTutorialExample();
    ASSERT_TRUE(tutorial.ok()) << tutorial.status();
    tutorial_ = std::move(*tutorial);
  }
  void TearDown() override {
    boards_.Clear();
    bus_.reset();
  }

  void StartBus(const testing::SamnaDouble& samna, bool with_samna = true,
                SamnaBusOptions options = {}) {
    samna.SetEnvironment(with_samna);
    options.python = "/usr/bin/python3";
    options.work_dir = samna.WorkDir();
    options.min_backoff = absl::Milliseconds(100);
    options.log = [](absl::string_view line) {
      std::fprintf(stderr, "bridge| %.*s\n", static_cast<int>(line.size()),
                   line.data());
    };
    bus_ = SamnaBus::Start(std::move(options), &boards_);
  }

  // Runs the tutorial on `device` from a fresh epoch; true once flushed.
  void RunTutorial(Device* device, Counts* counts, int flush_number) {
    counts->Clear();
    ASSERT_TRUE(device->SetStopWatch(true, /*reset=*/true).ok());
    ASSERT_TRUE(
        device->Write(tutorial_.inputs, absl::Now() + absl::Seconds(10)).ok());
    device->Flush();
    ASSERT_TRUE(counts->WaitForFlush(flush_number, absl::Seconds(30)));
  }

  testing::TutorialExample tutorial_;
  Boards boards_;
  std::unique_ptr<SamnaBus> bus_;
};

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_SAMNA_TEST_FIXTURE_H_
