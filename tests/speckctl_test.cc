// speckctl against a real speckd binary, as a lab user runs them: both
// binaries started as processes, talking over loopback gRPC. No sleeps:
// background commands are waited on by reading their output with deadlines.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/speckctl_fixture.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

// How long a background command may take to say what the test waits for.
constexpr absl::Duration kTimeout = absl::Seconds(60);

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// A loopback port nothing listens on (bound, then closed).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// The daemon as it runs by default: real-time pacing.
class SpeckctlRealTimeTest : public SpeckctlTest {
 protected:
  SpeckctlRealTimeTest() { pacing_ = "real_time"; }
};

TEST_F(SpeckctlTest, DemoSpikeCountGivesSinabsResult) {
  RunResult demo = Speck({"demo", "spike-count"});
  ASSERT_EQ(demo.exit_code, 0) << demo.stderr_text;
  EXPECT_THAT(demo.stdout_text, HasSubstr("total spikes: 25001\n"));
  EXPECT_THAT(demo.stdout_text,
              HasSubstr("per class: top 12475, bottom 12526\n"));
  EXPECT_THAT(demo.stdout_text, HasSubstr("first window: [225, 0]\n"));
  EXPECT_THAT(demo.stdout_text, HasSubstr("last window: [0, 26]\n"));
  // Not a terminal: a header and one row per window, 0..100.
  std::vector<std::string> lines = Lines(demo.stdout_text);
  ASSERT_GE(lines.size(), 102u);
  EXPECT_THAT(lines[0], MatchesRegex(" *window_start_us +top +bottom"));
  EXPECT_THAT(lines[1], MatchesRegex(" +0 +225 +0"));
  EXPECT_THAT(lines[101], MatchesRegex(" +5000000 +0 +26"));

  // The demo gave the lease back, and the labels follow --labels.
  RunResult lease = Speck({"lease"});
  EXPECT_THAT(lease.stdout_text, HasSubstr("speck2edevkit-sim:0: free"));
  RunResult again = Speck({"demo", "spike-count", "--labels=up,down"});
  ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
  EXPECT_THAT(again.stdout_text, HasSubstr("per class: up 12475, down 12526"));
}

// A demo stopped early, by Ctrl-C or by its pipe's reader going away (as
// `| head` does), leaves the shared device as it found it: its pacing back
// (this daemon runs as fast as possible; the demo asked for real time), its
// unplayed input dropped, the lease free.
TEST_F(SpeckctlTest, ADemoStoppedEarlyLeavesTheDeviceAsItFoundIt) {
  for (const bool close_pipe : {true, false}) {
    SCOPED_TRACE(close_pipe ? "pipe closed" : "Ctrl-C");
    std::unique_ptr<Subprocess> demo =
        StartSpeck({"demo", "spike-count", "--realtime=true"});
    ASSERT_NE(demo, nullptr);
    ASSERT_TRUE(demo->ReadStdoutLine(kTimeout).ok());  // the header
    // A first window: the input is playing, most of it still queued.
    ASSERT_TRUE(demo->ReadStdoutLine(kTimeout).ok());
    if (close_pipe) {
      demo->CloseStdout();
    } else {
      demo->Signal(SIGINT);
    }
    absl::StatusOr<int> code = demo->Wait(kTimeout);
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 1) << demo->stderr_text();
    EXPECT_THAT(demo->stderr_text(),
                HasSubstr(close_pipe ? "the output was closed"
                                     : "speckctl: interrupted"));
    EXPECT_THAT(demo->stderr_text(),
                HasSubstr("accepted inputs the device had not played yet"));
    const RunResult info = Speck({"info"});
    EXPECT_THAT(info.stdout_text, ContainsRegex("pacing +as_fast_as_possible"));
    EXPECT_THAT(info.stdout_text, HasSubstr(" 0 queued"));
    EXPECT_THAT(Speck({"lease"}).stdout_text,
                HasSubstr("speck2edevkit-sim:0: free"));
  }
}

TEST_F(SpeckctlTest, VersionShowsSpeckctlsAndTheDaemons) {
  RunResult table = Speck({"version"});
  ASSERT_EQ(table.exit_code, 0) << table.stderr_text;
  EXPECT_THAT(table.stdout_text, HasSubstr("speckctl  0.2.0 (speckd.v1)\n"));
  EXPECT_THAT(table.stdout_text, HasSubstr("speckd    0.2.0 (speckd.v1; "));
  EXPECT_THAT(table.stdout_text, HasSubstr("backends  SIMULATED"));
  EXPECT_THAT(table.stdout_text, HasSubstr("request 4 MiB"));

  RunResult json = Speck({"version", "--output=json"});
  ASSERT_EQ(json.exit_code, 0) << json.stderr_text;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json.stdout_text, &parsed)
          .ok())
      << json.stdout_text;
  EXPECT_EQ(parsed.fields().at("speckctl").string_value(), "0.2.0");
  EXPECT_EQ(parsed.fields()
                .at("server")
                .struct_value()
                .fields()
                .at("api")
                .string_value(),
            "speckd.v1");

  // Nobody there: speckctl's own version, then the reason, exit 1.
  RunResult nobody = RunSpeckctl({"version", "--server=127.0.0.1:1"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_THAT(nobody.stdout_text, HasSubstr("speckctl  0.2.0"));
  EXPECT_THAT(nobody.stderr_text, HasSubstr("cannot reach speckd"));
}

TEST_F(SpeckctlTest, DevicesAsTableJsonAndCsv) {
  RunResult table = Speck({"devices"});
  ASSERT_EQ(table.exit_code, 0) << table.stderr_text;
  std::vector<std::string> rows = Lines(table.stdout_text);
  ASSERT_EQ(rows.size(), 2u) << table.stdout_text;
  EXPECT_THAT(rows[0], MatchesRegex("ID +TYPE +BACKEND +STATE +WHERE +LEASE "
                                    "+EVENTS IN +EVENTS OUT"));
  EXPECT_THAT(
      rows[1],
      MatchesRegex(
          "speck2edevkit-sim:0 +Speck2eDevKit +sim +ready +- +- +0 +0"));

  RunResult json = Speck({"devices", "--output=json"});
  ASSERT_EQ(json.exit_code, 0) << json.stderr_text;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json.stdout_text, &parsed)
          .ok())
      << json.stdout_text;
  const auto& devices = parsed.fields().at("devices").list_value();
  ASSERT_EQ(devices.values_size(), 1);
  const auto& device = devices.values(0).struct_value().fields();
  EXPECT_EQ(device.at("id").string_value(), "speck2edevkit-sim:0");
  EXPECT_EQ(device.at("backend").string_value(), "SIM");

  RunResult csv = Speck({"devices", "--output=csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.stderr_text;
  EXPECT_THAT(
      Lines(csv.stdout_text),
      ElementsAre("id,type,backend,state,where,lease_holder,events_in,"
                  "events_out,state_detail",
                  "speck2edevkit-sim:0,Speck2eDevKit,sim,ready,,,0,0,"));
}

// The recovery path as a user meets it: unplug, see why, replug, run again.
TEST_F(SpeckctlTest, SimUnplugShowsLostWithTheReasonAndReplugRestores) {
  ASSERT_EQ(Speck({"config", "apply", TutorialConfig()}).exit_code, 0);
  RunResult unplug = Speck({"sim", "unplug"});
  ASSERT_EQ(unplug.exit_code, 0) << unplug.stderr_text;
  EXPECT_THAT(unplug.stdout_text,
              StartsWith("speck2edevkit-sim:0: lost: unplugged (simulated "
                         "fault); its configuration and settings are kept"));
  RunResult table = Speck({"devices"});
  EXPECT_THAT(table.stdout_text, HasSubstr(" lost "));
  EXPECT_THAT(table.stdout_text,
              HasSubstr("\nspeck2edevkit-sim:0 is lost: unplugged (simulated "
                        "fault)"));
  RunResult write = Speck({"write", "--pattern=tutorial"});
  EXPECT_EQ(write.exit_code, 1);
  EXPECT_THAT(write.stderr_text, HasSubstr("is lost"));
  RunResult again = Speck({"sim", "unplug"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.stderr_text, HasSubstr("already unplugged"));

  RunResult replug = Speck({"sim", "replug"});
  ASSERT_EQ(replug.exit_code, 0) << replug.stderr_text;
  EXPECT_EQ(replug.stdout_text, "speck2edevkit-sim:0: configured\n");
  RunResult demo = Speck({"demo", "spike-count"});
  ASSERT_EQ(demo.exit_code, 0) << demo.stderr_text;
  EXPECT_THAT(demo.stdout_text, HasSubstr("total spikes: 25001"));
  EXPECT_EQ(Speck({"sim", "wiggle"}).exit_code, 2);
  // Misbehaviour, timed.
  RunResult stall = Speck({"sim", "stall", "100ms"});
  EXPECT_EQ(stall.exit_code, 0) << stall.stderr_text;
  RunResult jump = Speck({"sim", "jump", "2s"});
  EXPECT_EQ(jump.exit_code, 0) << jump.stderr_text;
  RunResult burst = Speck({"sim", "burst", "100ms"});
  EXPECT_EQ(burst.exit_code, 0) << burst.stderr_text;
  // Shorter than the daemon's watchdog: the device stays as it was.
  RunResult wedge = Speck({"sim", "wedge", "100ms"});
  EXPECT_EQ(wedge.exit_code, 0) << wedge.stderr_text;
  EXPECT_THAT(wedge.stdout_text, Not(HasSubstr("lost")));
  RunResult bad = Speck({"sim", "stall", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.stderr_text, HasSubstr("'soon' is not a duration"));
  RunResult missing = Speck({"sim", "fill-queue"});
  EXPECT_EQ(missing.exit_code, 2);
}

TEST_F(SpeckctlTest, ConfigValidateNamesFileAndFieldPath) {
  RunResult good = Speck({"config", "validate", TutorialConfig()});
  EXPECT_EQ(good.exit_code, 0) << good.stderr_text;
  EXPECT_THAT(good.stdout_text,
              HasSubstr(TutorialConfig() + ": valid (1 core in use"));

  const std::string bad = WriteTempFile("bad.json", R"({"cnn_layers": [{
      "dimensions": {"input_shape": {"size": {"x": 16, "y": 16}, "feature_count": 1},
                     "output_shape": {"size": {"x": 1, "y": 1}, "feature_count": 2},
                     "kernel_size": 17},
      "threshold_high": 127, "threshold_low": -127,
      "destinations": [{"layer": 9, "enable": true}]}]})");
  RunResult invalid = Speck({"config", "validate", bad});
  EXPECT_EQ(invalid.exit_code, 2);
  // One line per problem, each naming the file and the field path.
  EXPECT_THAT(Lines(invalid.stderr_text),
              ElementsAre("speckctl: " + bad +
                              ": cnn_layers[0].dimensions.kernel_size: 17 "
                              "exceeds the chip limit 16",
                          StartsWith("speckctl: " + bad +
                                     ": cnn_layers[0].destinations[0].layer: "
                                     "9 is")));

  // Applying it fails the same way and leaves the device unconfigured.
  RunResult apply = Speck({"config", "apply", bad});
  EXPECT_EQ(apply.exit_code, 2);
  EXPECT_THAT(apply.stderr_text,
              HasSubstr("speckctl: " + bad +
                        ": cnn_layers[0].dimensions.kernel_size: 17 exceeds"));
  EXPECT_THAT(Speck({"info"}).stdout_text,
              HasSubstr("not applied (chip defaults)"));

  const std::string typo = WriteTempFile("typo.json", R"({"cnn_layer": []})");
  RunResult unknown = Speck({"config", "validate", typo});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.stderr_text, HasSubstr("speckctl: " + typo + ": "));
  EXPECT_THAT(unknown.stderr_text, HasSubstr("cnn_layer"));
}

TEST_F(SpeckctlTest, ConfigApplyThenGetRoundTrips) {
  ApplyTutorial();
  RunResult info = Speck({"info"});
  EXPECT_THAT(info.stdout_text, HasSubstr("configuration   applied"));
  EXPECT_THAT(info.stdout_text, HasSubstr("16x16x1 -> 1x1x2, kernel 16"));

  RunResult get = Speck({"config", "get"});
  ASSERT_EQ(get.exit_code, 0) << get.stderr_text;
  const std::string saved = WriteTempFile("applied.json", get.stdout_text);
  RunResult valid = Speck({"config", "validate", saved});
  EXPECT_EQ(valid.exit_code, 0) << valid.stderr_text;
  EXPECT_THAT(valid.stdout_text, HasSubstr(saved + ": valid (1 core in use"));

  // The saved file runs the tutorial offline with sinabs' result.
  RunResult simulated =
      RunSpeckctl({"simulate", "--config=" + saved,
                   "--events=" + RunfilePath("examples/tutorial/events.csv"),
                   TempDir() + "/roundtrip_out.csv"});
  ASSERT_EQ(simulated.exit_code, 0) << simulated.stderr_text;
  EXPECT_THAT(simulated.stderr_text,
              HasSubstr("neuron spikes core 0: 25001 [12475, 12526]"));
}

TEST_F(SpeckctlTest, WatchSpikesSeesWhatWriteSends) {
  ApplyTutorial();
  auto watch =
      StartSpeck({"watch", "spikes", "--layer=0", "--count=3", "--output=csv"});
  ASSERT_NE(watch, nullptr);
  // The header comes once the subscription is attached.
  auto header = watch->ReadStdoutLine(absl::Seconds(20));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(*header, "timestamp_us,layer,feature,x,y");

  // One spike into each half of core 0's input, and one more in the top.
  const std::string spikes = WriteTempFile(
      "spikes.csv",
      "timestamp_us,layer,feature,x,y\n100,0,0,1,2\n200,0,0,3,12\n"
      "300,0,0,5,5\n");
  RunResult write = Speck({"write", spikes});
  ASSERT_EQ(write.exit_code, 0) << write.stderr_text;
  EXPECT_THAT(write.stdout_text,
              StartsWith("wrote 3 events (100..300 us) in "));

  std::vector<std::string> received;
  for (int i = 0; i < 3; ++i) {
    auto line = watch->ReadStdoutLine(absl::Seconds(20));
    ASSERT_TRUE(line.ok()) << line.status();
    received.push_back(*line);
  }
  EXPECT_THAT(received,
              ElementsAre("100,0,0,0,0", "200,0,1,0,0", "300,0,0,0,0"));
  absl::StatusOr<int> code = watch->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << watch->stderr_text();
  EXPECT_THAT(watch->stderr_text(), HasSubstr("speckctl: watching spikes"));
  EXPECT_THAT(watch->stderr_text(),
              HasSubstr("speckctl: watched 3 spikes, 0 dropped\n"));
}

TEST_F(SpeckctlTest, WatchCountsRowsForTheTutorialPattern) {
  ApplyTutorial();
  auto watch =
      StartSpeck({"watch", "counts", "--interval=50ms", "--features=2",
                  "--labels=top,bottom", "--windows=3", "--output=csv"});
  ASSERT_NE(watch, nullptr);
  auto header = watch->ReadStdoutLine(absl::Seconds(20));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(*header, "window_start_us,top,bottom");

  RunResult write = Speck({"write", "--pattern=tutorial"});
  ASSERT_EQ(write.exit_code, 0) << write.stderr_text;
  EXPECT_THAT(write.stdout_text,
              StartsWith("wrote 25001 events (5000..5005000 us) in "));
  std::vector<std::string> rows;
  for (int i = 0; i < 3; ++i) {
    auto line = watch->ReadStdoutLine(absl::Seconds(20));
    ASSERT_TRUE(line.ok()) << line.status();
    rows.push_back(*line);
  }
  EXPECT_THAT(rows, ElementsAre("0,225,0", "50000,250,0", "100000,250,0"));
  absl::StatusOr<int> code = watch->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << watch->stderr_text();
  EXPECT_THAT(watch->stderr_text(), Not(HasSubstr("stay 0")));
  // More features than the core has: said, not silently zero.
  RunResult wide =
      Speck({"watch", "counts", "--features=5", "--duration=100ms"});
  EXPECT_EQ(wide.exit_code, 0) << wide.stderr_text;
  EXPECT_THAT(wide.stderr_text,
              HasSubstr("speckctl: --features=5, but the watched cores have "
                        "at most 2 features: columns 2..4 stay 0"));
  // The device's own counters: 25001 in; nothing late, nothing cut off.
  RunResult info = Speck({"info"});
  EXPECT_THAT(info.stdout_text,
              HasSubstr("events          in 25001, out 50002 (core 0: 25001 "
                        "spikes, DVS monitor: 25001)\n"));
  EXPECT_THAT(
      info.stdout_text,
      ContainsRegex("work +[1-9][0-9]* synops, [0-9]+ queued, 0 late\n"));
}

TEST_F(SpeckctlTest, WatchStopsOnCtrlCWithExitZero) {
  ApplyTutorial();
  auto watch = StartSpeck({"watch", "spikes", "--output=csv"});
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(watch->ReadStdoutLine(absl::Seconds(20)).ok());  // header
  // 11 events, each a DVS monitor spike and a core 0 spike.
  ASSERT_EQ(
      Speck({"write", "--pattern=tutorial", "--rate=100", "--duration=100ms"})
          .exit_code,
      0);
  for (int i = 0; i < 22; ++i) {
    ASSERT_TRUE(watch->ReadStdoutLine(absl::Seconds(20)).ok()) << i;
  }
  watch->Signal(SIGINT);
  absl::StatusOr<int> code = watch->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok()) << "watch did not stop on SIGINT";
  EXPECT_EQ(*code, 0) << watch->stderr_text();
  // It ends with what it saw.
  EXPECT_THAT(watch->stderr_text(),
              HasSubstr("speckctl: watched 22 spikes, 0 dropped\n"));
}

// A daemon restart does not end a watch: it says so, waits, subscribes
// again and goes on.
TEST_F(SpeckctlTest, WatchReconnectsWhenTheDaemonRestarts) {
  auto watch = StartSpeck({"watch", "spikes", "--output=csv"});
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(watch->ReadStdoutLine(absl::Seconds(20)).ok());  // header
  speckd_->Signal(SIGTERM);
  ASSERT_TRUE(speckd_->Wait(absl::Seconds(10)).ok());
  absl::StatusOr<StartedSpeckd> again =
      StartSpeckd(RunfilePath("server/speckd"),
                  {"--listen=" + address_,
                   "--web_listen=", "--sim_pacing=as_fast_as_possible"});
  ASSERT_TRUE(again.ok()) << again.status();
  speckd_ = std::move(again->process);
  ApplyTutorial();
  // Until the watch has subscribed again, what is written is not for it:
  // write one event at a time until a spike comes through.
  const absl::Time deadline = absl::Now() + kTimeout;
  absl::StatusOr<std::string> line = absl::DeadlineExceededError("none yet");
  while (!line.ok() && absl::Now() < deadline) {
    RunResult write =
        Speck({"write", "--pattern=tutorial", "--rate=10", "--duration=0s"});
    ASSERT_EQ(write.exit_code, 0) << write.stderr_text << watch->stderr_text();
    line = watch->ReadStdoutLine(absl::Seconds(1));
  }
  ASSERT_TRUE(line.ok()) << "no spike reached the watch after the restart";
  watch->Signal(SIGINT);
  ASSERT_TRUE(watch->Wait(absl::Seconds(20)).ok());
  EXPECT_THAT(
      watch->stderr_text(),
      HasSubstr("speckctl: notice: shutting_down: speckd is shutting "
                "down\nspeckctl: lost speckd at " +
                address_ + "; waiting for it to come back (Ctrl-C to stop)\n"));
  EXPECT_THAT(watch->stderr_text(),
              ContainsRegex("speckctl: reconnected after [0-9.]+ s; what the "
                            "device did in between was not seen"));
  EXPECT_THAT(watch->stderr_text(), HasSubstr(", 1 reconnect\n"));
}

TEST_F(SpeckctlTest, WriteRejectsABadRowWithFileLineAndField) {
  ApplyTutorial();
  const std::string spikes =
      WriteTempFile("bad_spikes.csv",
                    "timestamp_us,layer,feature,x,y\n100,0,0,1,2\n"
                    "200,0,0,3,16\n");
  RunResult write = Speck({"write", spikes});
  EXPECT_EQ(write.exit_code, 2);
  EXPECT_EQ(write.stderr_text,
            "speckctl: " + spikes +
                ":3: y: 16 is outside core 0's input height (0..15)\n");
  EXPECT_THAT(Speck({"lease"}).stdout_text, HasSubstr("free"));
}

TEST_F(SpeckctlRealTimeTest, CtrlCInAWriteDropsWhatTheDeviceHasNotPlayed) {
  ApplyTutorial();
  // A minute of input: accepted at once, played as the stop watch runs.
  auto write = StartSpeck({"write", "--pattern=tutorial", "--duration=60s"});
  ASSERT_NE(write, nullptr);
  const absl::Time deadline = absl::Now() + kTimeout;
  while (DeviceCounter("queued_inputs") == 0 && absl::Now() < deadline) {
  }
  ASSERT_GT(DeviceCounter("queued_inputs"), 0u);
  write->Signal(SIGINT);
  absl::StatusOr<int> code = write->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok()) << "write did not stop on SIGINT";
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(write->stderr_text(),
              ContainsRegex("interrupted.*; dropped the [1-9][0-9]* accepted "
                            "inputs the device had not played yet"));
  EXPECT_EQ(DeviceCounter("queued_inputs"), 0u);
  EXPECT_GT(DeviceCounter("dropped_inputs"), 0u);
  EXPECT_THAT(Speck({"lease"}).stdout_text, HasSubstr("free"));
}

TEST_F(SpeckctlRealTimeTest, CancelDropsWhatANowaitWriteLeftPlaying) {
  ApplyTutorial();
  RunResult write =
      Speck({"write", "--nowait", "--pattern=tutorial", "--duration=60s"});
  ASSERT_EQ(write.exit_code, 0) << write.stderr_text;
  EXPECT_THAT(write.stdout_text, HasSubstr("wrote 300001 events"));
  RunResult cancel = Speck({"cancel", "--output=json"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.stderr_text;
  EXPECT_THAT(cancel.stdout_text,
              ContainsRegex("\"dropped_inputs\":\"?[1-9][0-9]*"));
  EXPECT_EQ(DeviceCounter("queued_inputs"), 0u);
  RunResult again = Speck({"cancel"});
  EXPECT_THAT(
      again.stdout_text,
      HasSubstr("speck2edevkit-sim:0: dropped 0 inputs not yet played"));
}

// The tutorial's DVS layer passes a 16x16 patch; uniform input over the
// whole array mostly falls outside it, and the writer hears so.
TEST_F(SpeckctlTest, WriteWarnsOfEventsOutsideTheDvsRegion) {
  ApplyTutorial();
  RunResult write =
      Speck({"write", "--pattern=uniform", "--rate=1000", "--duration=1s"});
  ASSERT_EQ(write.exit_code, 0) << write.stderr_text;
  EXPECT_THAT(write.stderr_text,
              ContainsRegex("speckctl: warning: [0-9]+ of 1001 DVS events lie "
                            "outside the DVS layer's region"));
  RunResult inside = Speck({"write", "--pattern=tutorial"});
  EXPECT_THAT(inside.stderr_text, Not(HasSubstr("warning")));
}

TEST_F(SpeckctlTest, GraphCreateShowDelete) {
  const std::string spec = WriteTempFile("graph.json", R"({"name": "counts",
      "nodes": [{"name": "src", "device_source": {}},
                {"name": "win", "spike_collection": {"interval_milli_sec": 50}},
                {"name": "count", "spike_count": {"feature_count": 2}},
                {"name": "out", "endpoint": {}}],
      "edges": [{"source": "src", "target": "win"},
                {"source": "win", "target": "count"},
                {"source": "count", "target": "out"}]})");
  RunResult create = Speck({"graph", "create", spec});
  ASSERT_EQ(create.exit_code, 0) << create.stderr_text;
  const std::string id(absl::StripAsciiWhitespace(create.stdout_text));
  EXPECT_THAT(id, MatchesRegex("g[0-9]+"));
  EXPECT_THAT(Speck({"graph", "list"}).stdout_text,
              MatchesRegex("(.|\n)*" + id +
                           " +speck2edevkit-sim:0 +counts +running "
                           "+4\n"));

  ApplyTutorial();
  // The endpoint's output, from the command line.
  auto watch = StartSpeck({"graph", "watch", id, "out", "--output=csv"});
  ASSERT_NE(watch, nullptr);
  auto header = watch->ReadStdoutLine(absl::Seconds(20));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(*header, "kind,timestamp_us,detail");
  ASSERT_EQ(Speck({"write", "--pattern=tutorial"}).exit_code, 0);
  auto first = watch->ReadStdoutLine(absl::Seconds(20));
  ASSERT_TRUE(first.ok()) << first.status();
  // Both monitors count: 225 DVS events and their 225 core 0 spikes.
  EXPECT_EQ(*first, "counts,0,450 0");
  watch->Signal(SIGINT);
  ASSERT_TRUE(watch->Wait(absl::Seconds(20)).ok());
  EXPECT_THAT(watch->stderr_text(), HasSubstr("watched "));
  RunResult show = Speck({"graph", "show", id, "--output=csv"});
  ASSERT_EQ(show.exit_code, 0) << show.stderr_text;
  // Every tutorial event gives a DVS monitor spike and a core 0 spike; the
  // counts node made one window per 50 ms.
  EXPECT_THAT(Lines(show.stdout_text),
              ElementsAre("node,kind,inputs,received,emitted,dropped",
                          "src,device_source,,50002,50002,0",
                          "win,spike_collection,src,50002,101,0",
                          "count,spike_count,win,101,101,0",
                          "out,endpoint,count,101,0,0"));

  EXPECT_EQ(Speck({"graph", "delete", id}).stdout_text, "deleted " + id + "\n");
  RunResult gone = Speck({"graph", "show", id});
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_EQ(gone.stderr_text, "speckctl: no graph '" + id + "'\n");
  RunResult gone_json = Speck({"graph", "show", id, "--output=json"});
  EXPECT_EQ(gone_json.exit_code, 2);
  EXPECT_EQ(gone_json.stderr_text,
            "{\"error\":{\"code\":\"not_found\",\"message\":\"no graph '" + id +
                "'\"}}\n");
}

TEST_F(SpeckctlTest, StopWatchResetStartsANewEpoch) {
  RunResult reset = Speck({"stopwatch", "reset", "--output=json"});
  ASSERT_EQ(reset.exit_code, 0) << reset.stderr_text;
  EXPECT_THAT(reset.stdout_text, HasSubstr("\"epoch\":\"1\""));
  EXPECT_THAT(Speck({"stopwatch"}).stdout_text, HasSubstr("epoch 1"));
}

TEST_F(SpeckctlTest, ServerFromEnvironmentUnlessTheFlagSaysOtherwise) {
  RunResult from_env =
      RunSpeckctl({"devices", "--output=csv"}, {"SPECKD_SERVER=" + address_});
  ASSERT_EQ(from_env.exit_code, 0) << from_env.stderr_text;
  EXPECT_THAT(from_env.stdout_text, HasSubstr("speck2edevkit-sim:0,"));

  const std::string nobody = absl::StrCat("127.0.0.1:", FreePort());
  RunResult flag_wins = RunSpeckctl({"devices", "--server=" + address_},
                                    {"SPECKD_SERVER=" + nobody});
  EXPECT_EQ(flag_wins.exit_code, 0) << flag_wins.stderr_text;
  RunResult env_is_used = RunSpeckctl({"devices"}, {"SPECKD_SERVER=" + nobody});
  EXPECT_EQ(env_is_used.exit_code, 1);
  EXPECT_THAT(env_is_used.stderr_text,
              HasSubstr("cannot reach speckd at " + nobody));
}

TEST(SpeckctlNoDaemonTest, OneClearLineAndExitCode1) {
  const std::string nobody = absl::StrCat("127.0.0.1:", FreePort());
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"devices"}, {"watch", "spikes"}, {"demo", "spike-count"}}) {
    std::vector<std::string> with_server = args;
    with_server.push_back("--server=" + nobody);
    RunResult run = RunSpeckctl(with_server);
    EXPECT_EQ(run.exit_code, 1) << args[0];
    EXPECT_EQ(run.stderr_text,
              "speckctl: cannot reach speckd at " + nobody +
                  ": connection refused \xE2\x80\x94 is it running? (start it "
                  "with deploy/run.sh)\n")
        << args[0];
    EXPECT_EQ(run.stdout_text, "") << args[0];
  }
}

TEST(SpeckctlHelpTest, EveryCommandHasUsageAndAnExample) {
  RunResult overview = RunSpeckctl({"help"});
  EXPECT_EQ(overview.exit_code, 0);
  for (const char* command :
       {"devices", "info", "config", "write", "watch", "demo", "graph",
        "stopwatch", "lease", "simulate"}) {
    EXPECT_THAT(overview.stdout_text,
                HasSubstr(absl::StrCat("  ", command, " ")))
        << command;
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{command, "--help"},
                                               {"help", command}}) {
      RunResult help = RunSpeckctl(args);
      EXPECT_EQ(help.exit_code, 0) << command;
      EXPECT_THAT(help.stdout_text,
                  AllOf(HasSubstr(absl::StrCat("usage: speckctl ", command)),
                        HasSubstr("example")))
          << command;
    }
  }
  // A subcommand's --help shows its command's help.
  EXPECT_THAT(RunSpeckctl({"config", "apply", "--help"}).stdout_text,
              HasSubstr("usage: speckctl config validate FILE"));
}

TEST(SpeckctlUsageTest, BadUsageExits2WithOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"devices", "--frobnicate"}, "unknown flag --frobnicate"},
           {{"devices", "--timeout=soon"}, "--timeout=soon"},
           {{"config", "validate"}, "validate expects one FILE"},
           {{"watch", "counts", "--server=127.0.0.1:1"}, "--features=N"},
           {{"watch", "colours"}, "unknown stream 'colours'"},
           {{"write", "--pattern=sine", "--server=127.0.0.1:1"},
            "--pattern=sine"},
           {{"devices", "--output=xml"}, "--output=xml"}}) {
    RunResult run = RunSpeckctl(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args[0] << " " << c.message;
    EXPECT_THAT(run.stderr_text, StartsWith("speckctl: ")) << c.message;
    EXPECT_THAT(run.stderr_text, HasSubstr(c.message));
    EXPECT_EQ(Lines(run.stderr_text).size(), 1u) << run.stderr_text;
  }
}

}  // namespace
}  // namespace speckd::testing
