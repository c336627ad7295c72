// The samna bridge and SamnaDevice end to end: speckd's C++ side, the
// bridge's Python (Debian's python3), and the samna double in place of
// samna, which cannot be installed here (tests/samna_double). The double
// computes what the chip computes (speckd's chip model) and paces inputs by
// its stop watch in real time, so the tutorial takes its 5 s.
#include <signal.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "driver/board.h"
#include "driver/device.h"
#include "driver/samna/samna_bus.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/samna_double/samna_double.h"
#include "tests/util/tutorial_example.h"

namespace speckd::driver::samna {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kStartDeadline = absl::Seconds(60);

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
    if (output.flush) {
      ++flushes_;
      cv_.SignalAll();
    }
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
};

class SamnaDeviceTest : public ::testing::Test {
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

TEST_F(SamnaDeviceTest,
       TheTutorialThroughTheBridgeIsExactAndFollowsSinabsOrder) {
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

TEST_F(SamnaDeviceTest,
       AKilledBridgeLosesTheBoardAndBringsItBackUnderTheSameKey) {
  testing::SamnaDouble samna("kill");
  StartBus(samna);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  const std::string key = board->key;
  Counts counts;
  board->device->SetOutputListener(&counts);
  ASSERT_TRUE(board->device->ApplyConfiguration(tutorial_.config).ok());
  ASSERT_TRUE(
      board->device->Write(tutorial_.inputs, absl::Now() + absl::Seconds(10))
          .ok());
  const pid_t first = bus_->bridge_pid();
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(boards_.WaitForLeft(key)) << boards_.Events();
  EXPECT_THAT(boards_.Events(), HasSubstr("killed by signal 9"));

  // Back under the same key with a new device and a new bridge; configured
  // again (the daemon's job), the tutorial is exact again.
  Board* back = boards_.WaitFor(key, false, /*n=*/2);
  ASSERT_NE(back, nullptr) << boards_.Events();
  EXPECT_NE(bus_->bridge_pid(), first);
  Counts again;
  back->device->SetOutputListener(&again);
  ASSERT_TRUE(back->device->ApplyConfiguration(tutorial_.config).ok());
  RunTutorial(back->device.get(), &again, 1);
  EXPECT_EQ(again.total(), 25001u);
  EXPECT_THAT(again.per_feature(), ElementsAre(12475u, 12526u));
  back->device->SetOutputListener(nullptr);
}

TEST_F(SamnaDeviceTest,
       SamnaRejectingAConfigurationIsInvalidArgumentWithItsWords) {
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

TEST_F(SamnaDeviceTest, NoSamnaIsAnUnusableBridgeBoardSayingWhatToInstall) {
  testing::SamnaDouble samna("missing");
  StartBus(samna, /*with_samna=*/false);
  Board* board = boards_.WaitFor("samna:bridge", /*problem=*/true);
  ASSERT_NE(board, nullptr) << boards_.Events();
  EXPECT_EQ(board->id_prefix, "samna-bridge");
  EXPECT_THAT(board->problem.detail, HasSubstr("cannot import samna"));
  EXPECT_THAT(board->problem.detail, HasSubstr("pip install samna"));
  EXPECT_THAT(board->problem.detail, HasSubstr("tries again"));
}

TEST_F(SamnaDeviceTest, ASamnaOlderThanSinabsNeedsIsRefusedANewerOneWarned) {
  testing::SamnaDouble old_samna("old");
  old_samna.Configure(R"({"version": "0.30.2"})");
  StartBus(old_samna);
  Board* board = boards_.WaitFor("samna:bridge", true);
  ASSERT_NE(board, nullptr) << boards_.Events();
  EXPECT_THAT(board->problem.detail,
              HasSubstr("samna 0.30.2 is older than 0.33"));
  TearDown();

  testing::SamnaDouble new_samna("new");
  new_samna.Configure(R"({"version": "0.61.0"})");
  StartBus(new_samna);
  Board* newer = boards_.WaitFor("usb:", false);
  ASSERT_NE(newer, nullptr) << boards_.Events();
  EXPECT_THAT(newer->device->descriptor().driver_detail,
              HasSubstr("samna 0.61.0 is newer than the versions"));
}

TEST_F(SamnaDeviceTest, ABoardOpenElsewhereIsBusyWithWhatToDo) {
  testing::SamnaDouble samna("busy");
  samna.Configure(R"({"busy": [9]})");
  SamnaBusOptions options;
  options.retry_interval = absl::Milliseconds(300);
  StartBus(samna, true, options);
  Board* board = boards_.WaitFor("usb:", true);
  ASSERT_NE(board, nullptr) << boards_.Events();
  EXPECT_EQ(board->problem.kind, BoardProblem::Kind::kBusy);
  EXPECT_THAT(board->problem.detail,
              HasSubstr("already opened in another process"));
  EXPECT_THAT(board->problem.detail, HasSubstr("one process per machine"));
  EXPECT_THAT(board->problem.detail, HasSubstr("tries again every 300ms"));

  // Freed: the bus opens it on its next try.
  samna.Configure("{}");
  Board* freed = boards_.WaitFor("usb:", false, 2);
  ASSERT_NE(freed, nullptr) << boards_.Events();
}

TEST_F(SamnaDeviceTest, AHungSamnaCallIsADeadlineAndTheBridgeIsRestarted) {
  testing::SamnaDouble samna("hang");
  samna.Configure(R"({"hang": "Model.apply_configuration"})");
  SamnaBusOptions options;
  options.device.apply_timeout = absl::Seconds(2);
  StartBus(samna, true, options);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  const std::string key = board->key;
  absl::Status applied = board->device->ApplyConfiguration(tutorial_.config);
  EXPECT_EQ(applied.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(applied.message(),
              HasSubstr("did not answer apply_configuration"));
  ASSERT_TRUE(boards_.WaitForLeft(key)) << boards_.Events();
  samna.Configure("{}");
  ASSERT_NE(boards_.WaitFor(key, false, 2), nullptr) << boards_.Events();
}

TEST_F(SamnaDeviceTest, OlderSpellingsStopWatchAndNonBlockingReadsWork) {
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

}  // namespace
}  // namespace speckd::driver::samna
