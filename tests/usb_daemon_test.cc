// speckd as a lab runs it, with boards on USB: the real speckd and speckctl
// binaries over umockdev's mocked sysfs and usbfs (this test re-runs itself
// under umockdev-wrapper; the children inherit the testbed). Skipped, saying
// so, when umockdev is not installed. What a user sees: the mocked board
// listed next to the simulated devkit with its location, state and next
// step; hotplug in `speckctl devices --watch`; the permission hint; doctor.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "driver/usb/umockdev_testbed.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using driver::usb::testing::PlaceholderSyspath;
using driver::usb::testing::Testbed;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr absl::Duration kTimeout = absl::Seconds(30);
constexpr char kSetpriv[] = "/usr/bin/setpriv";

std::string Speckctl() { return RunfilePath("clients/cli/speckctl"); }

class UsbDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!driver::usb::testing::UmockdevAvailable().ok()) {
      GTEST_SKIP() << "SKIPPED (USB daemon tests): "
                   << driver::usb::testing::UmockdevAvailable().message();
    }
    bed_ = std::make_unique<Testbed>();
  }
  void TearDown() override {
    if (speckd_ != nullptr) {
      speckd_->Signal(SIGTERM);
      EXPECT_TRUE(speckd_->Wait(absl::Seconds(10)).ok());
    }
  }

  // As root, runs `*path` through setpriv without CAP_DAC_OVERRIDE, so that
  // node modes count as they do for a user.
  static void WithoutDacOverride(std::string* path,
                                 std::vector<std::string>* args) {
    if (geteuid() != 0) return;
    args->insert(args->begin(),
                 {"--bounding-set=-dac_override,-dac_read_search",
                  "--inh-caps=-all", "--", *path});
    *path = kSetpriv;
  }

  // speckd with the placeholder product id named a Speck2e devkit; as root
  // without CAP_DAC_OVERRIDE when `as_user` (so node modes count).
  void StartDaemon(bool as_user = false) {
    std::vector<std::string> args = {"--listen=127.0.0.1:0", "--web_listen=",
                                     "--usb_ids=337d:0001=speck2edevkit"};
    std::string path = RunfilePath("server/speckd");
    if (as_user) WithoutDacOverride(&path, &args);
    absl::StatusOr<StartedSpeckd> started = StartSpeckd(path, args);
    ASSERT_TRUE(started.ok()) << started.status();
    speckd_ = std::move(started->process);
    address_ = started->address;
  }

  RunResult Speck(std::vector<std::string> args, bool as_user = false) {
    args.push_back("--server=" + address_);
    std::string path = Speckctl();
    if (as_user) WithoutDacOverride(&path, &args);
    absl::StatusOr<RunResult> run = Subprocess::Run(path, args, kTimeout);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.value_or(RunResult{});
  }

  std::unique_ptr<Testbed> bed_;
  std::unique_ptr<Subprocess> speckd_;
  std::string address_;
};

TEST_F(UsbDaemonTest, ListsTheBoardsNextToTheSimulatedDevkitWithNextSteps) {
  // The second board first: ids still rank by USB address.
  ASSERT_TRUE(bed_->Add("speck2e-placeholder-2.umockdev").ok());
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  ASSERT_TRUE(bed_->Add("fx3-boot.umockdev").ok());
  StartDaemon();
  RunResult devices = Speck({"devices"});
  ASSERT_EQ(devices.exit_code, 0) << devices.stderr_text;
  EXPECT_THAT(devices.stdout_text,
              HasSubstr("speck2edevkit:0      Speck2eDevKit         usb      "
                        "unusable  usb 2-1 #3 super"));
  EXPECT_THAT(devices.stdout_text,
              HasSubstr("speck2edevkit:1      Speck2eDevKit         usb      "
                        "unusable  usb 2-2 #7 super"));
  EXPECT_THAT(devices.stdout_text, HasSubstr("fx3:0  "));
  EXPECT_THAT(devices.stdout_text, HasSubstr("speck2edevkit-sim:0  "));
  EXPECT_THAT(devices.stdout_text,
              HasSubstr("\nspeck2edevkit:0 is unusable: speckd found the "
                        "board but has no driver for its USB protocol"));
  EXPECT_THAT(devices.stdout_text,
              HasSubstr("\nfx3:0 is unusable: a Cypress FX3 in its boot "
                        "loader (04b4:00f3 on USB bus 2 port 3)"));

  RunResult json = Speck({"info", "--device=speck2edevkit:0", "--output=json"});
  ASSERT_EQ(json.exit_code, 0) << json.stderr_text;
  EXPECT_THAT(json.stdout_text,
              HasSubstr("\"problem\":\"NO_PROTOCOL_DRIVER\""));
  EXPECT_THAT(json.stdout_text, HasSubstr("\"serial_number\":\"FAKE0001\""));
  EXPECT_THAT(json.stdout_text, HasSubstr("\"usb_port_path\":\"1\""));
  EXPECT_THAT(json.stdout_text, HasSubstr("\"usb_speed\":\"super\""));

  // The default device is still the simulated one: no board can be used.
  RunResult info = Speck({"info"});
  EXPECT_THAT(info.stdout_text,
              HasSubstr("device          speck2edevkit-sim:0"));
  // Commands on the board say why they cannot work.
  RunResult reset = Speck({"stopwatch", "reset", "--device=speck2edevkit:0"});
  EXPECT_EQ(reset.exit_code, 1);
  EXPECT_THAT(reset.stderr_text,
              HasSubstr("device speck2edevkit:0 cannot be used: speckd found "
                        "the board but has no driver"));

  RunResult doctor = Speck({"doctor"});
  EXPECT_EQ(doctor.exit_code, 1) << doctor.stdout_text;
  EXPECT_THAT(doctor.stdout_text,
              HasSubstr("FAIL speck2edevkit:0 (usb): unusable: speckd found "
                        "the board"));
  EXPECT_THAT(doctor.stdout_text,
              HasSubstr("ok   speck2edevkit-sim:0 (sim): ready"));
  EXPECT_THAT(doctor.stdout_text,
              HasSubstr("SynSense board 337d:0001 at usb 2-1 "
                        "(/dev/bus/usb/002/003)"));
  EXPECT_THAT(doctor.stdout_text,
              HasSubstr("FX3 without firmware 04b4:00f3 at usb 2-3"));
}

TEST_F(UsbDaemonTest, HotplugShowsInWatchAndAReturningBoardKeepsItsId) {
  StartDaemon();
  absl::StatusOr<std::unique_ptr<Subprocess>> watch = Subprocess::Start(
      Speckctl(), {"devices", "--watch", "--server=" + address_});
  ASSERT_TRUE(watch.ok()) << watch.status();
  auto wait_for = [&](absl::string_view what) -> bool {
    const absl::Time deadline = absl::Now() + kTimeout;
    while (absl::Now() < deadline) {
      absl::StatusOr<std::string> line =
          (*watch)->ReadStdoutLine(deadline - absl::Now());
      if (!line.ok()) return false;
      if (absl::StrContains(*line, what)) return true;
    }
    return false;
  };
  ASSERT_TRUE(wait_for("added    speck2edevkit-sim:0"));
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
    ASSERT_TRUE(wait_for("added    speck2edevkit:0")) << "round " << round;
    bed_->Remove(PlaceholderSyspath(1));
    ASSERT_TRUE(wait_for("removed  speck2edevkit:0")) << "round " << round;
  }
  RunResult devices = Speck({"devices"});
  EXPECT_THAT(devices.stdout_text,
              ::testing::Not(HasSubstr("speck2edevkit:0")));
}

TEST_F(UsbDaemonTest, PermissionDeniedTellsTheUserWhatToInstall) {
  if (geteuid() == 0 && access(kSetpriv, X_OK) != 0) {
    GTEST_SKIP() << "SKIPPED: root without setpriv cannot drop "
                    "CAP_DAC_OVERRIDE, so no node is ever denied";
  }
  ASSERT_TRUE(bed_->Add("speck2e-placeholder.umockdev").ok());
  ASSERT_EQ(chmod((bed_->root() + "/dev/bus/usb/002/003").c_str(), 0444), 0);
  StartDaemon(/*as_user=*/true);
  RunResult devices = Speck({"devices"});
  EXPECT_THAT(devices.stdout_text,
              HasSubstr("speck2edevkit:0 is unusable: permission denied on "
                        "/dev/bus/usb/002/003"));
  EXPECT_THAT(devices.stdout_text, HasSubstr("deploy/install-udev-rule.sh"));
  RunResult doctor = Speck({"doctor"}, /*as_user=*/true);
  EXPECT_EQ(doctor.exit_code, 1);
  EXPECT_THAT(doctor.stdout_text, HasSubstr("mode 0444"));
  EXPECT_THAT(doctor.stdout_text, HasSubstr("cannot open it"));
}

}  // namespace
}  // namespace speckd::testing

int main(int argc, char** argv) {
  (void)speckd::driver::usb::testing::ReexecUnderUmockdev(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
