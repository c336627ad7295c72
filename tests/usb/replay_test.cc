// The capture kit's harness: every recording under tests/usb/captures/NAME/
// (docs/hardware.md says how a lab makes one) is replayed against speckd's
// USB layer. `device` (umockdev-record) makes the board appear to Debian's
// real libusb; `capture.pcap` (usbmon, during samna's fixed sequence) answers
// its transfers, strictly in order, through umockdev; `ids` names its
// product. The test claims the board through UsbBus, as speckd does, and
// sends every bulk OUT samna sent, checking that each bulk IN returns what
// the board returned. `placeholder` is synthetic (make_placeholder_capture.py);
// a real capture becomes a test by being dropped next to it.
//
// Transfers are replayed one at a time in submission order: a capture in
// which samna kept several transfers in flight needs them replayed
// concurrently (the protocol driver will, with libusb's async API).
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "driver/usb/umockdev_testbed.h"
#include "driver/usb/usb_bus.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/usb/usbmon_pcap.h"

namespace speckd::testing {
namespace {

namespace usb = driver::usb;

std::string CapturesDir() {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/speckd/tests/usb/captures");
}

std::vector<std::string> CaptureNames() {
  std::vector<std::string> names;
  if (DIR* dir = opendir(CapturesDir().c_str())) {
    while (dirent* e = readdir(dir)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The sysfs path of the device a umockdev-record file describes.
std::string Syspath(const std::string& record) {
  const std::string first = record.substr(0, record.find('\n'));
  return absl::StrCat("/sys", absl::StripPrefix(first, "P: "));
}

// What the replay found, filled by the driver on the bus's worker thread.
struct Replayed {
  Mutex mu;
  CondVar done_cv;
  bool done ABSL_GUARDED_BY(mu) = false;
  int transfers ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::string> problems ABSL_GUARDED_BY(mu);
};

// A protocol driver that speaks exactly what the capture recorded.
class ReplayDriver final : public usb::ProtocolDriver {
 public:
  ReplayDriver(const UsbCapture* capture, Replayed* out)
      : capture_(capture), out_(out) {}
  const char* name() const override { return "replay"; }
  bool Accepts(usb::BoardKind, uint16_t, uint16_t) const override {
    return true;
  }
  absl::StatusOr<std::unique_ptr<driver::Device>> Open(
      std::unique_ptr<usb::UsbHandle> handle,
      const driver::DeviceDescriptor&) override {
    std::vector<std::string> problems;
    int n = 0;
    for (const BulkTransfer& t : capture_->bulk) {
      ++n;
      const std::string which = absl::StrCat("transfer ", n, " (endpoint 0x",
                                             absl::Hex(t.endpoint), ")");
      if (!t.in()) {
        absl::StatusOr<size_t> sent =
            handle->BulkOut(t.endpoint, t.data, absl::Seconds(2));
        if (!sent.ok() || *sent != t.data.size()) {
          problems.push_back(
              absl::StrCat(which, ": ", sent.status().ToString()));
        }
        continue;
      }
      std::vector<uint8_t> got(t.requested);
      absl::StatusOr<size_t> received =
          handle->BulkIn(t.endpoint, &got, absl::Seconds(2));
      if (!received.ok()) {
        problems.push_back(
            absl::StrCat(which, ": ", received.status().ToString()));
      } else if (got != t.data) {
        problems.push_back(absl::StrCat(which, ": got ", got.size(),
                                        " bytes, recorded ", t.data.size()));
      }
    }
    MutexLock lock(&out_->mu);
    out_->transfers = n;
    out_->problems = problems;
    out_->done = true;
    out_->done_cv.SignalAll();
    return absl::UnimplementedError("replay only");
  }

 private:
  const UsbCapture* const capture_;
  Replayed* const out_;
};

class NullListener final : public driver::BoardListener {
 public:
  void OnBoardArrived(driver::Board) override {}
  void OnBoardLeft(const std::string&, const std::string&) override {}
};

TEST(ReplayTest, EveryCaptureReplaysThroughTheUsbLayer) {
  if (!usb::testing::UmockdevAvailable().ok()) {
    GTEST_SKIP() << "SKIPPED (capture replay): "
                 << usb::testing::UmockdevAvailable().message();
  }
  const std::vector<std::string> names = CaptureNames();
  ASSERT_FALSE(names.empty()) << "no captures under " << CapturesDir();
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const std::string dir = absl::StrCat(CapturesDir(), "/", name);
    absl::StatusOr<UsbCapture> capture = ReadUsbmonPcap(dir + "/capture.pcap");
    ASSERT_TRUE(capture.ok()) << capture.status();
    ASSERT_FALSE(capture->bulk.empty()) << "no bulk transfers to replay";
    usb::testing::Testbed bed;
    const std::string record = ReadFile(dir + "/device");
    ASSERT_TRUE(bed.AddFile(dir + "/device").ok());
    absl::Status loaded = bed.LoadPcap(Syspath(record), dir + "/capture.pcap");
    ASSERT_TRUE(loaded.ok()) << loaded;

    Replayed replayed;
    ReplayDriver driver(&*capture, &replayed);
    usb::UsbBusOptions options;
    ASSERT_TRUE(options.ids.AddFile(dir + "/ids").ok());
    options.drivers = {&driver};
    NullListener listener;
    absl::StatusOr<std::unique_ptr<usb::UsbBus>> bus =
        usb::UsbBus::Start(std::move(options), &listener);
    ASSERT_TRUE(bus.ok()) << bus.status();
    ASSERT_TRUE((*bus)->WaitUntilSettled(absl::Seconds(30)));
    MutexLock lock(&replayed.mu);
    ASSERT_TRUE(replayed.done) << "the board was not handed to a driver";
    EXPECT_EQ(replayed.transfers, static_cast<int>(capture->bulk.size()));
    EXPECT_THAT(replayed.problems, ::testing::IsEmpty());
  }
}

TEST(ReplayTest, ThePcapReaderFindsTheRecordedTransfers) {
  absl::StatusOr<UsbCapture> capture =
      ReadUsbmonPcap(CapturesDir() + "/placeholder/capture.pcap");
  ASSERT_TRUE(capture.ok()) << capture.status();
  EXPECT_EQ(capture->bus, 2);
  EXPECT_EQ(capture->device, 3);
  ASSERT_EQ(capture->bulk.size(), 2u);
  EXPECT_EQ(capture->bulk[0].endpoint, 0x02);
  EXPECT_EQ(capture->bulk[0].data.size(), 8u);
  EXPECT_EQ(capture->bulk[1].endpoint, 0x81);
  EXPECT_EQ(capture->bulk[1].requested, 512u);
  EXPECT_EQ(std::string(capture->bulk[1].data.begin(),
                        capture->bulk[1].data.begin() + 14),
            "PLACEHOLDER-IN");
  EXPECT_EQ(capture->unmatched, 0);
  // Not a capture: named as such.
  absl::StatusOr<UsbCapture> bad =
      ReadUsbmonPcap(CapturesDir() + "/placeholder/ids");
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("editcap -F pcap"));
}

}  // namespace
}  // namespace speckd::testing

int main(int argc, char** argv) {
  (void)speckd::driver::usb::testing::ReexecUnderUmockdev(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
