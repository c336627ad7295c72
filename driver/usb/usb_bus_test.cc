// The USB layer with Debian's real libusb over umockdev's mocked sysfs and
// usbfs (re-executed under umockdev-wrapper; every test says so and skips
// when umockdev is not installed): discovery of one and two boards, the
// states that tell the user what to do, and hotplug.
#include "driver/usb/usb_bus.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "driver/usb/reading_driver.h"
#include "driver/usb/umockdev_testbed.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::usb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::PlaceholderSyspath;
using testing::Testbed;

// What the bus reported, in order, safe to wait on.
class Recorder final : public BoardListener {
 public:
  void OnBoardArrived(Board board) override {
    MutexLock lock(&mu_);
    log_.push_back("arrived " + board.key);
    boards_.push_back(std::move(board));
    changed_.SignalAll();
  }
  void OnBoardLeft(const std::string& key, const std::string& why) override {
    MutexLock lock(&mu_);
    log_.push_back("left " + key + " (" + why + ")");
    changed_.SignalAll();
  }
  // True once `n` events were reported; false after 10 s.
  bool WaitForEvents(size_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    MutexLock lock(&mu_);
    while (log_.size() < n) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) break;
    }
    return log_.size() >= n;
  }
  std::vector<std::string> log() {
    MutexLock lock(&mu_);
    return log_;
  }
  // The descriptor and problem of the i-th arrival (its device is dropped).
  Board board(size_t i) {
    MutexLock lock(&mu_);
    Board copy;
    copy.key = boards_.at(i).key;
    copy.id_prefix = boards_.at(i).id_prefix;
    copy.descriptor = boards_.at(i).descriptor;
    copy.problem = boards_.at(i).problem;
    return copy;
  }

 private:
  Mutex mu_;
  CondVar changed_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  std::vector<Board> boards_ ABSL_GUARDED_BY(mu_);
};

UsbBusOptions WithSpeck2eRule() {
  UsbBusOptions options;
  EXPECT_TRUE(options.ids.Add("337d:0001=speck2edevkit", "test").ok());
  return options;
}

class UsbBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::UmockdevAvailable().ok()) {
      GTEST_SKIP() << "SKIPPED (USB tests): "
                   << testing::UmockdevAvailable().message();
    }
    bed_ = std::make_unique<Testbed>();
  }
  void TearDown() override {
    bus_.reset();  // before the testbed it reads
    bed_.reset();
  }

  void Start(UsbBusOptions options) {
    absl::StatusOr<std::unique_ptr<UsbBus>> bus =
        UsbBus::Start(std::move(options), &recorder_);
    ASSERT_TRUE(bus.ok()) << bus.status();
    bus_ = *std::move(bus);
  }

  std::unique_ptr<Testbed> bed_;
  Recorder recorder_;
  std::unique_ptr<UsbBus> bus_;
};

TEST_F(UsbBusTest, FindsABoardWithItsLocationSpeedAndStrings) {
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  Start(WithSpeck2eRule());
  ASSERT_TRUE(recorder_.WaitForEvents(1));
  const Board board = recorder_.board(0);
  EXPECT_EQ(board.key, "usb:2-1");
  EXPECT_EQ(board.id_prefix, "speck2edevkit");
  const DeviceDescriptor& d = board.descriptor;
  EXPECT_EQ(d.type_name, "Speck2eDevKit");
  EXPECT_EQ(d.backend, Backend::kUsb);
  EXPECT_EQ(d.usb_bus_number, 2u);
  EXPECT_EQ(d.usb_device_address, 3u);
  EXPECT_EQ(d.usb_port_path, "1");
  EXPECT_EQ(d.usb_speed, "super");
  EXPECT_EQ(d.usb_vendor_id, 0x337d);
  EXPECT_EQ(d.usb_product_id, 0x0001);
  EXPECT_EQ(d.manufacturer, "FAKE SynSense");
  EXPECT_EQ(d.product, "FAKE Speck2e DevKit (placeholder PID)");
  EXPECT_EQ(d.serial_number, "FAKE0001");
  // Opened and claimed, then released: the protocol is not public.
  EXPECT_EQ(board.problem.kind, BoardProblem::Kind::kNoProtocolDriver);
  EXPECT_THAT(board.problem.detail, HasSubstr("docs/hardware.md"));
}

TEST_F(UsbBusTest, TwoBoardsPresentAtStartAreReportedByAddress) {
  // Added in the "wrong" order: the bus sorts what it finds at start.
  ASSERT_TRUE(bed_->Add("speck2e-placeholder-2.umockdev").ok());
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  Start(WithSpeck2eRule());
  ASSERT_TRUE(recorder_.WaitForEvents(2));
  EXPECT_THAT(recorder_.log(),
              ElementsAre("arrived usb:2-1", "arrived usb:2-2"));
  EXPECT_EQ(recorder_.board(0).descriptor.usb_device_address, 3u);
  EXPECT_EQ(recorder_.board(1).descriptor.usb_device_address, 7u);
  EXPECT_EQ(recorder_.board(1).descriptor.serial_number, "FAKE0002");
}

TEST_F(UsbBusTest, AnUnknownSynSenseProductSaysHowToNameIt) {
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  Start(UsbBusOptions());  // built-in rules: 337d:0001 is not known
  ASSERT_TRUE(recorder_.WaitForEvents(1));
  const Board board = recorder_.board(0);
  EXPECT_EQ(board.id_prefix, "synsense");
  EXPECT_EQ(board.descriptor.type_name, "SynSense board (product 0x0001)");
  EXPECT_EQ(board.problem.kind, BoardProblem::Kind::kUnknownBoard);
  EXPECT_THAT(board.problem.detail,
              HasSubstr("--usb_ids=337d:0001=speck2edevkit"));
}

TEST_F(UsbBusTest, AnFx3WithoutFirmwareSaysToFlashIt) {
  ASSERT_TRUE(bed_->Add("fx3-boot.umockdev").ok());
  Start(UsbBusOptions());
  ASSERT_TRUE(recorder_.WaitForEvents(1));
  const Board board = recorder_.board(0);
  EXPECT_EQ(board.key, "usb:2-3");
  EXPECT_EQ(board.id_prefix, "fx3");
  EXPECT_EQ(board.descriptor.usb_speed, "high");
  EXPECT_EQ(board.problem.kind, BoardProblem::Kind::kNeedsFirmware);
  EXPECT_THAT(board.problem.detail, HasSubstr("04b4:00f3"));
  EXPECT_THAT(board.problem.detail, HasSubstr("flash it"));
}

TEST_F(UsbBusTest, ListedOnlyWhenAnotherProgramMustOpenIt) {
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  UsbBusOptions options = WithSpeck2eRule();
  options.open_boards = false;
  Start(std::move(options));
  ASSERT_TRUE(recorder_.WaitForEvents(1));
  EXPECT_THAT(recorder_.board(0).problem.detail, HasSubstr("leaves the board"));
}

// The permission check needs a caller the node's mode stops: root keeps
// CAP_DAC_OVERRIDE, so as root the test re-runs itself without it.
constexpr char kNoDacChild[] = "SPECKD_USB_TEST_NO_DAC";

TEST_F(UsbBusTest, PermissionDeniedNamesTheNodeAndTheFix) {
  const bool child = std::getenv(kNoDacChild) != nullptr;
  if (geteuid() == 0 && !child) {
    if (access("/usr/bin/setpriv", X_OK) != 0) {
      GTEST_SKIP() << "SKIPPED: running as root and setpriv (util-linux) is "
                      "missing, so CAP_DAC_OVERRIDE cannot be dropped";
    }
    // The child must not write this test's XML or exit markers.
    const std::string command = absl::StrCat(
        "env -u XML_OUTPUT_FILE -u TEST_PREMATURE_EXIT_FILE -u GTEST_OUTPUT "
        "-u TEST_SHARD_STATUS_FILE ",
        kNoDacChild,
        "=1 /usr/bin/setpriv --bounding-set=-dac_override,-dac_read_search "
        "--inh-caps=-all -- /proc/self/exe "
        "--gtest_filter=UsbBusTest.PermissionDeniedNamesTheNodeAndTheFix "
        "2>&1");
    // /proc/self/exe of the shell is the shell: name this binary instead.
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    ASSERT_GT(n, 0);
    self[n] = '\0';
    std::string run = command;
    run.replace(run.find("/proc/self/exe"), 14, self);
    FILE* out = popen(run.c_str(), "r");
    ASSERT_NE(out, nullptr);
    std::string text;
    char buffer[4096];
    while (fgets(buffer, sizeof(buffer), out) != nullptr) text += buffer;
    const int status = pclose(out);
    EXPECT_EQ(status, 0) << text;
    EXPECT_THAT(text, HasSubstr("[  PASSED  ] 1 test")) << text;
    return;
  }
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  ASSERT_EQ(chmod((bed_->root() + "/dev/bus/usb/002/003").c_str(), 0444), 0);
  Start(WithSpeck2eRule());
  ASSERT_TRUE(recorder_.WaitForEvents(1));
  const Board board = recorder_.board(0);
  EXPECT_EQ(board.problem.kind, BoardProblem::Kind::kPermissionDenied);
  EXPECT_THAT(board.problem.detail,
              HasSubstr("permission denied on /dev/bus/usb/002/003"));
  EXPECT_THAT(board.problem.detail, HasSubstr("group speck"));
  EXPECT_THAT(board.problem.detail, HasSubstr("speckctl doctor"));
  // Strings come from sysfs, which needs no access to the node.
  EXPECT_EQ(board.descriptor.serial_number, "FAKE0001");
}

TEST_F(UsbBusTest, HotplugAddRemoveAddAHundredTimes) {
  Start(WithSpeck2eRule());
  ASSERT_TRUE(bus_->hotplug());
  ASSERT_TRUE(bus_->WaitUntilSettled(absl::Seconds(10)));
  EXPECT_TRUE(recorder_.log().empty());
  constexpr int kCycles = 100;
  for (int i = 0; i < kCycles; ++i) {
    ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
    ASSERT_TRUE(recorder_.WaitForEvents(2 * i + 1)) << "cycle " << i;
    bed_->Remove(PlaceholderSyspath(1));
    ASSERT_TRUE(recorder_.WaitForEvents(2 * i + 2)) << "cycle " << i;
  }
  const std::vector<std::string> log = recorder_.log();
  ASSERT_EQ(log.size(), 2u * kCycles);
  for (int i = 0; i < kCycles; ++i) {
    EXPECT_EQ(log[2 * i], "arrived usb:2-1");
    EXPECT_EQ(log[2 * i + 1], "left usb:2-1 (unplugged)");
  }
}

TEST_F(UsbBusTest, DevicesOfOtherVendorsAreIgnored) {
  // The same board under rules that do not name SynSense at all.
  UsbBusOptions options;
  options.ids = UsbIds();
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  Start(std::move(options));
  ASSERT_TRUE(bus_->WaitUntilSettled(absl::Seconds(10)));
  EXPECT_TRUE(recorder_.log().empty());
}

// --- a driven board: unplugged in the middle of a transfer -------------------

// Keeps the boards it is given (and destroys their devices on departure,
// from the bus's thread, as the daemon's manager does).
class Keeper final : public BoardListener {
 public:
  void OnBoardArrived(Board board) override {
    MutexLock lock(&mu_);
    kept_ = std::move(board);
    arrived_ = true;
    changed_.SignalAll();
  }
  void OnBoardLeft(const std::string&, const std::string&) override {
    Board gone;
    {
      MutexLock lock(&mu_);
      gone = std::move(kept_);
      left_ = true;
      changed_.SignalAll();
    }
  }
  bool WaitFor(bool Keeper::*flag, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (!(this->*flag)) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) break;
    }
    return this->*flag;
  }
  bool has_device() {
    MutexLock lock(&mu_);
    return kept_.device != nullptr;
  }
  bool arrived_ ABSL_GUARDED_BY(mu_) = false;
  bool left_ ABSL_GUARDED_BY(mu_) = false;

 private:
  Mutex mu_;
  CondVar changed_;
  Board kept_ ABSL_GUARDED_BY(mu_);
};

TEST_F(UsbBusTest, UnplugDuringATransferEndsItWithinItsTimeout) {
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  Testbed* bed = bed_.get();
  absl::Status loaded =
      bed->LoadPcap(PlaceholderSyspath(1), testing::PendingInCapture());
  ASSERT_TRUE(loaded.ok()) << loaded;
  testing::Reads reads;
  testing::ReadingDriver driver(&reads);
  Keeper keeper;
  UsbBusOptions options = WithSpeck2eRule();
  options.drivers = {&driver};
  absl::StatusOr<std::unique_ptr<UsbBus>> bus =
      UsbBus::Start(std::move(options), &keeper);
  ASSERT_TRUE(bus.ok()) << bus.status();
  ASSERT_TRUE(keeper.WaitFor(&Keeper::arrived_, absl::Seconds(10)));
  ASSERT_TRUE(keeper.has_device()) << "the driver did not get the board";
  // A read is in flight (the board never answers it) when the cable goes.
  {
    MutexLock lock(&reads.mu);
    while (reads.results.empty()) {
      ASSERT_FALSE(reads.changed.WaitWithDeadline(
          &reads.mu, absl::Now() + absl::Seconds(10)));
    }
  }
  const absl::Time pulled = absl::Now();
  bed->Remove(PlaceholderSyspath(1));
  ASSERT_TRUE(keeper.WaitFor(&Keeper::left_, absl::Seconds(5)))
      << "the board was not reported gone";
  // Leaving destroyed the device, whose reader was blocked in a transfer.
  EXPECT_LT(absl::Now() - pulled, absl::Seconds(2));
  MutexLock lock(&reads.mu);
  for (size_t i = 0; i < reads.results.size(); ++i) {
    EXPECT_LT(reads.took[i], absl::Milliseconds(1300)) << "read " << i;
    EXPECT_FALSE(reads.results[i].ok());
  }
  EXPECT_TRUE(absl::IsDeadlineExceeded(reads.results.front()))
      << reads.results.front();
}

}  // namespace
}  // namespace speckd::driver::usb

int main(int argc, char** argv) {
  // Returns only when preloaded, or when umockdev is missing (tests skip).
  (void)speckd::driver::usb::testing::ReexecUnderUmockdev(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
