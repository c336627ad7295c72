// speckd with --samna_python, as a lab runs it, except that samna is the
// samna double (tests/samna_double: samna cannot be installed here; it
// computes with speckd's chip model and plays inputs in real time): the
// tutorial demo through speckd -> bridge -> "samna", exact; a bridge killed
// mid-run comes back with its configuration re-applied; samna's refusal of a
// configuration reaches speckctl in samna's words; without samna the device
// list says what to install.
#include <signal.h>

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/samna_double/samna_double.h"
#include "tests/util/speckctl_fixture.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

class SamnaDaemonTest : public ::testing::Test {
 protected:
  void Start(const SamnaDouble& samna, bool with_samna = true) {
    samna.SetEnvironment(with_samna);
    absl::StatusOr<StartedSpeckd> started =
        StartSpeckd(RunfilePath("server/speckd"),
                    {"--listen=127.0.0.1:0", "--web_listen=", "--sim_devices=0",
                     "--samna_python=/usr/bin/python3",
                     absl::StrCat("--data_dir=", samna.WorkDir())});
    ASSERT_TRUE(started.ok()) << started.status();
    speckd_ = std::move(started->process);
    address_ = started->address;
  }

  RunResult Speck(std::vector<std::string> args) {
    args.push_back(absl::StrCat("--server=", address_));
    return RunSpeckctl(args);
  }

  // Follows `speckctl devices --watch` until a line has every one of
  // `words`; the line, or "" at the deadline.
  std::string WaitForChange(Subprocess* watch,
                            const std::vector<std::string>& words) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      absl::StatusOr<std::string> line =
          watch->ReadStdoutLine(deadline - absl::Now());
      if (!line.ok()) return "";
      bool all = true;
      for (const std::string& w : words)
        all = all && absl::StrContains(*line, w);
      if (all) return *line;
    }
    return "";
  }

  std::unique_ptr<Subprocess> Watch() {
    absl::StatusOr<std::unique_ptr<Subprocess>> watch =
        Subprocess::Start(Speckctl(), {"devices", "--watch", "--duration=120s",
                                       absl::StrCat("--server=", address_)});
    EXPECT_TRUE(watch.ok()) << watch.status();
    return watch.ok() ? std::move(*watch) : nullptr;
  }

  // The demo's summary, checked line by line.
  void ExpectTutorialDemo(const RunResult& demo) {
    ASSERT_EQ(demo.exit_code, 0) << demo.stdout_text << demo.stderr_text;
    EXPECT_THAT(demo.stdout_text, HasSubstr("total spikes: 25001"));
    EXPECT_THAT(demo.stdout_text,
                HasSubstr("per class: top 12475, bottom 12526"));
    EXPECT_THAT(demo.stdout_text, HasSubstr("first window: [225, 0]"));
    EXPECT_THAT(demo.stdout_text, HasSubstr("last window: [0, 26]"));
    // Into a pipe the demo asks for as fast as possible; a board says no.
    EXPECT_THAT(demo.stderr_text, HasSubstr("the demo runs in real time"));
  }

  // The bridge's pid, from the device's driver detail.
  pid_t BridgePid() {
    RunResult info = Speck({"devices", "--output=json"});
    std::smatch m;
    static const std::regex kPid("bridge, pid ([0-9]+)");
    int pid = 0;
    if (std::regex_search(info.stdout_text, m, kPid)) {
      (void)absl::SimpleAtoi(m[1].str(), &pid);
    }
    return pid;
  }

  std::unique_ptr<Subprocess> speckd_;
  std::string address_;
};

TEST_F(SamnaDaemonTest, TheDemoIsExactAndABridgeCrashLosesNothingButTime) {
  SamnaDouble samna("daemon");
  Start(samna);
  std::unique_ptr<Subprocess> watch = Watch();
  ASSERT_NE(watch, nullptr);
  ASSERT_NE(WaitForChange(watch.get(), {"speck2edevkit:0", "samna", "ready"}),
            "");
  RunResult devices = Speck({"devices", "--output=json"});
  EXPECT_THAT(devices.stdout_text, HasSubstr("\"backend\": \"SAMNA\""));
  EXPECT_THAT(devices.stdout_text, HasSubstr("samna 0.48.6"));
  EXPECT_THAT(devices.stdout_text, HasSubstr("untested on hardware"));

  ExpectTutorialDemo(Speck({"demo", "spike-count"}));

  // The bridge dies: the device is lost, comes back, and has its
  // configuration again; the demo is exact again.
  const pid_t first = BridgePid();
  ASSERT_GT(first, 0) << Speck({"devices", "--output=json"}).stdout_text;
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  EXPECT_NE(WaitForChange(watch.get(), {"speck2edevkit:0", "lost"}), "");
  EXPECT_NE(WaitForChange(watch.get(), {"speck2edevkit:0", "configured"}), "");
  EXPECT_NE(BridgePid(), first);
  ExpectTutorialDemo(Speck({"demo", "spike-count"}));

  // samna refuses a configuration: its words, as bad input (exit 2).
  samna.Configure(
      R"json({"reject": "cnn_layers[0] weights: refused by samna (double)"})json");
  RunResult refused = Speck({"config", "apply", TutorialConfig()});
  EXPECT_EQ(refused.exit_code, 2) << refused.stderr_text;
  EXPECT_THAT(refused.stderr_text,
              HasSubstr("config.json: samna: cnn_layers[0] weights: refused by "
                        "samna (double)"));
  // The daemon still serves, the device is still configured.
  RunResult after = Speck({"devices"});
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_THAT(after.stdout_text, HasSubstr("configured"));
}

TEST_F(SamnaDaemonTest, WithoutSamnaTheDeviceListSaysWhatToInstall) {
  SamnaDouble samna("no-samna");
  Start(samna, /*with_samna=*/false);
  std::unique_ptr<Subprocess> watch = Watch();
  ASSERT_NE(watch, nullptr);
  ASSERT_NE(WaitForChange(watch.get(), {"samna-bridge:0", "unusable"}), "");
  RunResult devices = Speck({"devices"});
  EXPECT_EQ(devices.exit_code, 0);
  EXPECT_THAT(devices.stdout_text, HasSubstr("cannot import samna"));
  EXPECT_THAT(devices.stdout_text, HasSubstr("pip install samna"));
}

}  // namespace
}  // namespace speckd::testing
