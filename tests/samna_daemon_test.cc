// speckd with --samna_python, as a lab runs it, except that samna is the
// samna double (tests/samna_double: samna cannot be installed here; it
// computes with speckd's chip model and plays inputs in real time): the
// tutorial demo through speckd -> bridge -> "samna", exact; a bridge killed
// mid-run comes back with its configuration re-applied; samna's refusal of a
// configuration reaches speckctl in samna's words; without samna the device
// list says what to install.
#include <signal.h>

#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

  // The demo's summary, and every window as the simulated devkit gives them
  // (tests/tutorial_e2e_test.cc): one row "START_US TOP BOTTOM" each.
  void ExpectTutorialDemo(const RunResult& demo) {
    ASSERT_EQ(demo.exit_code, 0) << demo.stdout_text << demo.stderr_text;
    EXPECT_THAT(demo.stdout_text, HasSubstr("total spikes: 25001"));
    EXPECT_THAT(demo.stdout_text,
                HasSubstr("per class: top 12475, bottom 12526"));
    EXPECT_THAT(demo.stdout_text, HasSubstr("first window: [225, 0]"));
    EXPECT_THAT(demo.stdout_text, HasSubstr("last window: [0, 26]"));
    std::map<uint64_t, std::pair<int, int>> windows;
    static const std::regex kRow(R"(^\s*([0-9]+)\s+([0-9]+)\s+([0-9]+)\s*$)");
    for (absl::string_view line : absl::StrSplit(demo.stdout_text, '\n')) {
      std::smatch m;
      const std::string text(line);
      if (std::regex_match(text, m, kRow)) {
        windows[std::stoull(m[1]) / 50000] = {std::stoi(m[2]), std::stoi(m[3])};
      }
    }
    ASSERT_EQ(windows.size(), 101u) << demo.stdout_text;
    EXPECT_EQ(windows[0], std::make_pair(225, 0));
    for (uint64_t w = 1; w <= 49; ++w)
      EXPECT_EQ(windows[w], std::make_pair(250, 0)) << w;
    for (uint64_t w = 50; w <= 99; ++w)
      EXPECT_EQ(windows[w], std::make_pair(0, 250)) << w;
    EXPECT_EQ(windows[100], std::make_pair(0, 26));
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

  // The bridge dies while the demo streams: the demo ends saying the device
  // was lost; the device comes back with its configuration, and the demo is
  // exact again.
  const pid_t first = BridgePid();
  ASSERT_GT(first, 0) << Speck({"devices", "--output=json"}).stdout_text;
  absl::StatusOr<std::unique_ptr<Subprocess>> demo = Subprocess::Start(
      Speckctl(), {"demo", "spike-count", absl::StrCat("--server=", address_)});
  ASSERT_TRUE(demo.ok()) << demo.status();
  ASSERT_TRUE((*demo)->ReadStdoutLine(absl::Seconds(30)).ok());  // a window
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  EXPECT_NE(WaitForChange(watch.get(), {"speck2edevkit:0", "lost"}), "");
  absl::StatusOr<int> ended = (*demo)->Wait(absl::Seconds(30));
  ASSERT_TRUE(ended.ok());
  EXPECT_NE(*ended, 0);
  // Whichever noticed first: the device (lost) or its bridge (gone).
  EXPECT_THAT(
      (*demo)->stderr_text(),
      ::testing::AnyOf(HasSubstr("is lost"), HasSubstr("samna bridge")));
  EXPECT_THAT((*demo)->stderr_text(), HasSubstr("killed by signal 9"));
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
