// `speckctl simulate` as a user runs it: the tutorial example end to end, and
// clear errors (file, field, exit code 2) for bad input.
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/speckctl_fixture.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SpeckctlSimulateTest, TutorialGivesSinabsCountsPerClass) {
  const std::string out = TempDir() + "/out.csv";
  RunResult run = RunSpeckctl(
      {"simulate", "--config=" + RunfilePath("examples/tutorial/config.json"),
       "--events=" + RunfilePath("examples/tutorial/events.csv"), out});
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_THAT(run.stderr_text, HasSubstr("simulated 25001 input events"));

  std::vector<std::string> lines =
      absl::StrSplit(ReadFile(out), '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "timestamp_us,layer,feature,x,y");
  // Monitored: the DVS layer (13) passes every event; core 0 spikes once per
  // event, class 0 for the top half, class 1 for the bottom half.
  std::map<std::string, int> per_layer_feature;
  std::map<uint64_t, std::vector<int>> windows;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    ASSERT_EQ(f.size(), 5u) << lines[i];
    ++per_layer_feature[f[1] + ":" + f[2]];
    if (f[1] == "0") {
      auto& w = windows[std::stoull(f[0]) / 50000];
      w.resize(2);
      ++w[std::stoi(f[2])];
    }
  }
  EXPECT_EQ(per_layer_feature["0:0"], 12475);
  EXPECT_EQ(per_layer_feature["0:1"], 12526);
  EXPECT_EQ(per_layer_feature["13:0"], 25001);
  EXPECT_EQ(windows[0], (std::vector<int>{225, 0}));
  EXPECT_EQ(windows[1], (std::vector<int>{250, 0}));
  EXPECT_EQ(windows[50], (std::vector<int>{0, 250}));
  EXPECT_EQ(windows[100], (std::vector<int>{0, 26}));
}

TEST(SpeckctlSimulateTest, InvalidConfigurationListsEveryProblemAndExits2) {
  const std::string config = WriteTempFile("bad.json", R"({"cnn_layers": [{
      "dimensions": {"input_shape": {"size": {"x": 16, "y": 16}, "feature_count": 1},
                     "output_shape": {"size": {"x": 1, "y": 1}, "feature_count": 2},
                     "kernel_size": 17},
      "threshold_high": 127, "threshold_low": -127,
      "destinations": [{"layer": 9, "enable": true}]}]})");
  const std::string events =
      WriteTempFile("ev.csv", "timestamp_us,x,y,p\n0,1,1,1\n");
  RunResult run = RunSpeckctl({"simulate", "--config=" + config,
                               "--events=" + events, TempDir() + "/never.csv"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.stderr_text,
              HasSubstr(config + ": cnn_layers[0].dimensions.kernel_size: 17 "
                                 "exceeds the chip limit 16"));
  EXPECT_THAT(run.stderr_text,
              HasSubstr(config + ": cnn_layers[0].destinations[0].layer"));
}

TEST(SpeckctlSimulateTest, UnknownConfigFieldNamesTheFileAndField) {
  const std::string config = WriteTempFile("typo.json", R"({"cnn_layer": []})");
  const std::string events = WriteTempFile("ev2.csv", "timestamp_us,x,y,p\n");
  RunResult run = RunSpeckctl({"simulate", "--config=" + config,
                               "--events=" + events, TempDir() + "/never.csv"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.stderr_text, HasSubstr(config));
  EXPECT_THAT(run.stderr_text, HasSubstr("cnn_layer"));
}

TEST(SpeckctlSimulateTest, BadEventRowNamesFileLineAndField) {
  const std::string events =
      WriteTempFile("bad.csv", "timestamp_us,x,y,p\n0,1,1,1\n10,1,130,0\n");
  RunResult run = RunSpeckctl(
      {"simulate", "--config=" + RunfilePath("examples/tutorial/config.json"),
       "--events=" + events, TempDir() + "/never.csv"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(
      run.stderr_text,
      HasSubstr(events + ":3: y: 130 is outside the DVS array (0..127)"));
}

TEST(SpeckctlSimulateTest, MissingFileAndMissingFlagsAreUsageErrors) {
  RunResult missing =
      RunSpeckctl({"simulate", "--config=/nonexistent/c.json",
                   "--events=/nonexistent/e.csv", "/tmp/x.csv"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.stderr_text, HasSubstr("/nonexistent/c.json"));

  RunResult no_flags = RunSpeckctl({"simulate"});
  EXPECT_EQ(no_flags.exit_code, 2);
  EXPECT_THAT(no_flags.stderr_text,
              HasSubstr("needs --config, --events (or --dataset) and OUT.csv"));
  // --output means the format everywhere; a file name there is a mistake.
  RunResult old_style = RunSpeckctl(
      {"simulate", "--config=c.json", "--events=e.csv", "--output=/tmp/o.csv"});
  EXPECT_EQ(old_style.exit_code, 2);
  EXPECT_THAT(old_style.stderr_text,
              HasSubstr("give the output file as the last argument"));
}

TEST(SpeckctlSimulateTest, SlowClockAndUntilExtendTheRun) {
  // One neuron with a positive bias fires on slow-clock ticks alone.
  const std::string config = WriteTempFile("leak.json", R"({"cnn_layers": [{
      "dimensions": {"input_shape": {"size": {"x": 1, "y": 1}, "feature_count": 1},
                     "output_shape": {"size": {"x": 1, "y": 1}, "feature_count": 1},
                     "kernel_size": 1},
      "weights": [0], "biases": [5], "leak_enable": true,
      "threshold_high": 10, "threshold_low": -10, "monitor_enable": true}]})");
  const std::string events =
      WriteTempFile("one.csv", "timestamp_us,layer,feature,x,y\n0,0,0,0,0\n");
  const std::string out = TempDir() + "/leak.csv";
  RunResult run =
      RunSpeckctl({"simulate", "--config=" + config, "--events=" + events, out,
                   "--slow_clock_hz=1000", "--until_us=5000"});
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  // Ticks at 0..5000 (6 ticks, +5 each): spikes at 1000, 3000 and 5000.
  EXPECT_EQ(ReadFile(out),
            "timestamp_us,layer,feature,x,y\n1000,0,0,0,0\n3000,0,0,0,0\n"
            "5000,0,0,0,0\n");
}

TEST(SpeckctlSimulateTest, HelpShowsUsageAndAnExample) {
  RunResult help = RunSpeckctl({"simulate", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("usage: speckctl simulate"));
  EXPECT_THAT(help.stdout_text, HasSubstr("examples:"));
  EXPECT_THAT(help.stdout_text, HasSubstr("--dataset=DIR|LIST.txt"));
  RunResult overview = RunSpeckctl({"help"});
  EXPECT_THAT(overview.stdout_text, HasSubstr("simulate"));
  RunResult unknown = RunSpeckctl({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.stderr_text, HasSubstr("unknown command 'frobnicate'"));
}

}  // namespace
}  // namespace speckd::testing
