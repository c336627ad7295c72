// Recordings through a real daemon: the tutorial recorded (inputs, spikes,
// notices) holds exactly what was written and computed; the file downloads
// byte for byte; a quota ends a recording cleanly with a status while other
// streams go on; speckd killed mid-recording leaves a file that lists as not
// ended cleanly and holds an exact prefix of the inputs.
#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/recording/record_reader.h"
#include "proto/speckd/v1/recording_service.grpc.pb.h"
#include "tests/bench/networks.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"
#include "tests/util/subprocess.h"
#include "tests/util/tutorial_example.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

// What a recording file holds, decoded.
struct Contents {
  std::vector<uint64_t> input_timestamps;
  std::vector<uint64_t> spikes_by_feature = std::vector<uint64_t>(2, 0);
  uint64_t core_spikes = 0;
  // Core 0's spikes in order, as "t:feature".
  std::vector<std::string> core_spike_list;
  uint64_t notices = 0;
  bool ended_cleanly = false;
  std::string problem;
};

Contents Read(const std::string& path) {
  Contents c;
  auto reader = recording::RecordReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return c;
  std::map<uint32_t, v1::RecordingStream> kinds;
  for (const v1::RecordedStream& s : (*reader)->header().streams()) {
    kinds[s.id()] = s.kind();
  }
  while (std::optional<recording::Record> r = (*reader)->Next()) {
    if (r->type != recording::RecordType::kData) continue;
    if (kinds[r->stream] == v1::INPUTS) {
      v1::RecordedInputs inputs;
      EXPECT_TRUE(inputs.ParseFromString(r->body));
      const std::string& t = inputs.dvs_events().timestamp_us();
      for (size_t i = 0; i + 8 <= t.size(); i += 8) {
        uint64_t v;
        std::memcpy(&v, t.data() + i, 8);
        c.input_timestamps.push_back(v);
      }
      continue;
    }
    v1::StreamMessage m;
    EXPECT_TRUE(m.ParseFromString(r->body));
    if (m.has_notice()) ++c.notices;
    for (int i = 0; i < m.spikes().timestamp_us_size(); ++i) {
      if (m.spikes().layer(i) != 0) continue;
      ++c.core_spikes;
      c.core_spike_list.push_back(
          absl::StrCat(m.spikes().timestamp_us(i), ":", m.spikes().feature(i)));
      if (m.spikes().feature(i) < 2)
        ++c.spikes_by_feature[m.spikes().feature(i)];
    }
  }
  c.ended_cleanly = (*reader)->ended_cleanly();
  c.problem = std::string((*reader)->problem().message());
  return c;
}

std::string RecordingPath(const std::string& dir, const std::string& name) {
  return absl::StrCat(dir, "/recordings/", name, ".speckrec");
}

std::string TmpDir(const std::string& sub) {
  const std::string dir = absl::StrCat(TempDir(), "/", sub);
  mkdir(dir.c_str(), 0750);
  return dir;
}

class RecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TutorialExample> c = LoadTutorialExample();
    ASSERT_TRUE(c.ok()) << c.status();
    case_ = *std::move(c);
  }

  static grpc::Status Start(v1::RecordingService::Stub* stub,
                            const std::string& name, v1::Recording* out) {
    grpc::ClientContext context;
    v1::StartRecordingRequest request;
    request.set_name(name);
    return stub->StartRecording(&context, request, out);
  }
  static grpc::Status Stop(v1::RecordingService::Stub* stub,
                           const std::string& name, v1::Recording* out) {
    grpc::ClientContext context;
    v1::StopRecordingRequest request;
    request.set_name(name);
    return stub->StopRecording(&context, request, out);
  }
  static grpc::Status Get(v1::RecordingService::Stub* stub,
                          const std::string& name, v1::Recording* out) {
    grpc::ClientContext context;
    v1::GetRecordingRequest request;
    request.set_name(name);
    return stub->GetRecording(&context, request, out);
  }

  TutorialExample case_;
};

uint64_t ItemsOf(const v1::Recording& r, v1::RecordingStream kind) {
  for (const v1::StreamCount& c : r.counts()) {
    if (c.kind() == kind) return c.items();
  }
  return 0;
}

TEST_F(RecordingTest, TheTutorialRecordedHoldsExactlyWhatRan) {
  FixtureOptions options;
  options.data_dir = TmpDir("tutorial");
  SpeckdFixture speckd(options);
  auto stub = v1::RecordingService::NewStub(speckd.channel);
  const std::string lease = speckd.AcquireLease("rec");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  v1::Recording started;
  grpc::Status s = Start(stub.get(), "tutorial", &started);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(started.active());
  EXPECT_EQ(started.device_id(), kDevice);
  // The wall-clock anchor the recording keeps is the one GetDevice shows.
  EXPECT_NEAR(static_cast<double>(
                  speckd.GetDevice().stop_watch().epoch_start_unix_us()),
              static_cast<double>(started.epoch_start_unix_us()), 1e6);

  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &written).ok());
  speckd.WaitIdle();
  v1::Recording stopped;
  ASSERT_TRUE(Stop(stub.get(), "tutorial", &stopped).ok());
  EXPECT_FALSE(stopped.active());
  EXPECT_TRUE(stopped.ended_cleanly());
  EXPECT_EQ(stopped.end_status_code(), 0);
  EXPECT_EQ(ItemsOf(stopped, v1::INPUTS), 25001u);
  EXPECT_EQ(ItemsOf(stopped, v1::SPIKES), 50002u);  // core 0 and DVS monitor
  EXPECT_TRUE(stopped.has_configuration());

  const Contents c = Read(RecordingPath(options.data_dir, "tutorial"));
  EXPECT_TRUE(c.ended_cleanly) << c.problem;
  ASSERT_EQ(c.input_timestamps.size(), case_.inputs.size());
  for (size_t i = 0; i < case_.inputs.size(); ++i) {
    ASSERT_EQ(c.input_timestamps[i], case_.inputs[i].timestamp_us) << i;
  }
  EXPECT_EQ(c.core_spikes, 25001u);
  EXPECT_EQ(c.spikes_by_feature, (std::vector<uint64_t>{12475, 12526}));

  // Listed, and the same again from the file alone.
  v1::Recording got;
  ASSERT_TRUE(Get(stub.get(), "tutorial", &got).ok());
  EXPECT_TRUE(got.ended_cleanly());
  EXPECT_EQ(ItemsOf(got, v1::INPUTS), 25001u);
  EXPECT_EQ(got.size_bytes(), stopped.size_bytes());
  {
    grpc::ClientContext context;
    v1::ListRecordingsResponse list;
    ASSERT_TRUE(stub->ListRecordings(&context, {}, &list).ok());
    ASSERT_EQ(list.recordings_size(), 1);
    EXPECT_EQ(list.recordings(0).name(), "tutorial");
    EXPECT_EQ(list.total_bytes(), got.size_bytes());
  }

  // Downloaded in chunks, byte for byte.
  std::string downloaded;
  {
    grpc::ClientContext context;
    v1::ReadRecordingRequest request;
    request.set_name("tutorial");
    auto reader = stub->ReadRecording(&context, request);
    v1::RecordingChunk chunk;
    while (reader->Read(&chunk)) {
      EXPECT_EQ(chunk.offset(), downloaded.size());
      downloaded += chunk.data();
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  std::ifstream in(RecordingPath(options.data_dir, "tutorial"),
                   std::ios::binary);
  std::stringstream on_disk;
  on_disk << in.rdbuf();
  EXPECT_EQ(downloaded, on_disk.str());

  // Deleted: gone from the list and the disk.
  {
    grpc::ClientContext context;
    v1::DeleteRecordingRequest request;
    request.set_name("tutorial");
    v1::DeleteRecordingResponse response;
    ASSERT_TRUE(stub->DeleteRecording(&context, request, &response).ok());
    EXPECT_EQ(response.freed_bytes(), got.size_bytes());
  }
  v1::Recording gone;
  EXPECT_EQ(Get(stub.get(), "tutorial", &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RecordingTest, BadRequestsSayWhatIsWrong) {
  FixtureOptions options;
  options.data_dir = TmpDir("bad");
  SpeckdFixture speckd(options);
  auto stub = v1::RecordingService::NewStub(speckd.channel);
  v1::Recording out;
  grpc::Status bad = Start(stub.get(), "../escape", &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("name: '../escape'"));
  ASSERT_TRUE(Start(stub.get(), "once", &out).ok());
  grpc::Status twice = Start(stub.get(), "once", &out);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  {
    grpc::ClientContext context;
    v1::DeleteRecordingRequest request;
    request.set_name("once");
    v1::DeleteRecordingResponse response;
    grpc::Status busy = stub->DeleteRecording(&context, request, &response);
    EXPECT_EQ(busy.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  EXPECT_EQ(Get(stub.get(), "never", &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// A quota far below what the run writes: the recording ends by itself,
// cleanly, with RESOURCE_EXHAUSTED; a subscriber meanwhile gets every spike.
TEST_F(RecordingTest, AQuotaEndsTheRecordingNotTheRun) {
  FixtureOptions options;
  options.data_dir = TmpDir("quota");
  options.recordings_quota_bytes = 64 << 10;
  SpeckdFixture speckd(options);
  auto stub = v1::RecordingService::NewStub(speckd.channel);
  const std::string lease = speckd.AcquireLease("rec");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  const v1::SubscribeEventsRequest request =
      CoreSpikesRequest(v1::LOSSLESS, lease);
  StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, request);
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(1, absl::Seconds(10)));
  v1::Recording out;
  ASSERT_TRUE(Start(stub.get(), "small", &out).ok());
  for (int copy = 0; copy < 4; ++copy) {
    std::vector<chip::InputEvent> inputs = case_.inputs;
    for (chip::InputEvent& e : inputs) e.timestamp_us += copy * 6000000;
    v1::WriteEventsResponse written;
    ASSERT_TRUE(speckd.WriteStream(lease, inputs, 5000, &written).ok());
  }
  speckd.WaitIdle();
  ASSERT_TRUE(spikes.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= 4 * 25001;
  }));
  EXPECT_EQ(SpikesIn(spikes.messages()), 4u * 25001);
  // The recording ends at its next flush.
  v1::Recording ended;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    ASSERT_TRUE(Get(stub.get(), "small", &ended).ok());
    if (ended.active()) absl::SleepFor(absl::Milliseconds(20));
  } while (ended.active() && absl::Now() < deadline);
  EXPECT_FALSE(ended.active());
  EXPECT_TRUE(ended.ended_cleanly());
  EXPECT_EQ(ended.end_status_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(ended.end_status_message(), HasSubstr("quota"));
  const Contents c = Read(RecordingPath(options.data_dir, "small"));
  EXPECT_TRUE(c.ended_cleanly) << c.problem;
  EXPECT_GT(c.input_timestamps.size(), 0u);
  EXPECT_EQ(speckd.Health(), "SERVING");
  // No new recording while over the quota.
  grpc::Status refused = Start(stub.get(), "more", &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// kill -9 mid-recording: after a restart the recording lists as cut off
// (not ended cleanly), opens, and holds an exact prefix of the inputs
// written, at most the last flush interval short.
TEST_F(RecordingTest, AKilledDaemonLeavesAnExactPrefix) {
  const std::string dir = TmpDir("killed");
  const std::vector<std::string> args = {
      "--listen=127.0.0.1:0",
      "--web_listen=", "--sim_pacing=as_fast_as_possible",
      absl::StrCat("--data_dir=", dir)};
  absl::StatusOr<StartedSpeckd> speckd =
      StartSpeckd(RunfilePath("server/speckd"), args);
  ASSERT_TRUE(speckd.ok()) << speckd.status();
  std::vector<chip::InputEvent> inputs;
  {
    SpeckdClient client(speckd->address);
    auto stub = v1::RecordingService::NewStub(client.channel);
    const std::string lease = client.AcquireLease("rec");
    ASSERT_TRUE(client.ApplyConfig(case_.config, lease).ok());
    v1::Recording started;
    ASSERT_TRUE(Start(stub.get(), "killed", &started).ok());
    for (int copy = 0; copy < 20; ++copy) {
      for (chip::InputEvent e : case_.inputs) {
        e.timestamp_us += copy * 6000000;
        inputs.push_back(e);
      }
    }
    v1::WriteEventsResponse written;
    ASSERT_TRUE(client.WriteStream(lease, inputs, 20000, &written).ok());
    client.WaitIdle();
    // Some of it is on disk by now (every flush interval, or 4 MiB).
    v1::Recording now;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    do {
      ASSERT_TRUE(Get(stub.get(), "killed", &now).ok());
      if (now.size_bytes() < (1 << 20)) absl::SleepFor(absl::Milliseconds(20));
    } while (now.size_bytes() < (1 << 20) && absl::Now() < deadline);
    ASSERT_TRUE(now.active());
  }
  speckd->process->Signal(SIGKILL);
  ASSERT_TRUE(speckd->process->Wait(absl::Seconds(10)).ok());

  absl::StatusOr<StartedSpeckd> again =
      StartSpeckd(RunfilePath("server/speckd"), args);
  ASSERT_TRUE(again.ok()) << again.status();
  SpeckdClient client(again->address);
  auto stub = v1::RecordingService::NewStub(client.channel);
  v1::Recording after;
  ASSERT_TRUE(Get(stub.get(), "killed", &after).ok());
  EXPECT_FALSE(after.active());
  EXPECT_FALSE(after.ended_cleanly());
  const Contents c = Read(RecordingPath(dir, "killed"));
  EXPECT_FALSE(c.ended_cleanly);
  EXPECT_EQ(c.problem, "");  // cut off, not damaged
  ASSERT_GT(c.input_timestamps.size(), 0u);
  ASSERT_LE(c.input_timestamps.size(), inputs.size());
  for (size_t i = 0; i < c.input_timestamps.size(); ++i) {
    ASSERT_EQ(c.input_timestamps[i], inputs[i].timestamp_us) << i;
  }
  EXPECT_EQ(ItemsOf(after, v1::INPUTS), c.input_timestamps.size());
  RecordProperty("inputs_kept", static_cast<int>(c.input_timestamps.size()));
}

// The tutorial recorded, then replayed into the same simulated devkit (its
// configuration applied again, so the neurons start from rest): the outputs
// are those of the recording, spike for spike.
TEST_F(RecordingTest, ReplayReproducesTheRecordedOutputsExactly) {
  FixtureOptions options;
  options.data_dir = TmpDir("replay");
  SpeckdFixture speckd(options);
  auto stub = v1::RecordingService::NewStub(speckd.channel);
  const std::string lease = speckd.AcquireLease("rec");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  v1::Recording out;
  ASSERT_TRUE(Start(stub.get(), "original", &out).ok());
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &written).ok());
  speckd.WaitIdle();
  ASSERT_TRUE(Stop(stub.get(), "original", &out).ok());
  const Contents recorded = Read(RecordingPath(options.data_dir, "original"));
  ASSERT_EQ(recorded.core_spike_list.size(), 25001u);

  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  const v1::SubscribeEventsRequest subscribe =
      CoreSpikesRequest(v1::LOSSLESS, lease);
  StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, subscribe);
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(1, absl::Seconds(10)));
  v1::ReplayRecordingResponse replayed;
  {
    grpc::ClientContext context;
    v1::ReplayRecordingRequest replay;
    replay.set_name("original");
    replay.set_device_id(kDevice);
    replay.set_lease_id(lease);
    replay.set_pacing(v1::AS_FAST_AS_POSSIBLE);
    grpc::Status s = stub->ReplayRecording(&context, replay, &replayed);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(replayed.events_written(), 25001u);
  EXPECT_EQ(replayed.last_timestamp_us(), case_.inputs.back().timestamp_us);
  ASSERT_TRUE(spikes.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= 25001;
  }));
  std::vector<std::string> again;
  for (const v1::StreamMessage& m : spikes.messages()) {
    for (int i = 0; i < m.spikes().timestamp_us_size(); ++i) {
      again.push_back(
          absl::StrCat(m.spikes().timestamp_us(i), ":", m.spikes().feature(i)));
    }
  }
  EXPECT_EQ(again, recorded.core_spike_list);

  // Without the lease, or of a recording that is not there: refused.
  grpc::ClientContext context;
  v1::ReplayRecordingRequest bad;
  bad.set_name("original");
  bad.set_device_id(kDevice);
  bad.set_lease_id("not-the-lease");
  v1::ReplayRecordingResponse none;
  EXPECT_EQ(stub->ReplayRecording(&context, bad, &none).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// Power and readout recorded too: the power monitor's samples are kept as
// measurements, counted per stream.
TEST_F(RecordingTest, PowerAndReadoutStreamsAreKept) {
  FixtureOptions options;
  options.data_dir = TmpDir("power");
  SpeckdFixture speckd(options);
  auto stub = v1::RecordingService::NewStub(speckd.channel);
  const std::string lease = speckd.AcquireLease("rec");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  {
    grpc::ClientContext context;
    v1::SetPowerMonitorRequest request;
    request.set_device_id(kDevice);
    request.set_lease_id(lease);
    request.set_rate_hz(20);
    v1::SetPowerMonitorResponse response;
    ASSERT_TRUE(
        speckd.device_stub->SetPowerMonitor(&context, request, &response).ok());
  }
  v1::Recording out;
  {
    grpc::ClientContext context;
    v1::StartRecordingRequest start;
    start.set_name("power");
    start.add_streams(v1::POWER);
    start.add_streams(v1::READOUT);
    ASSERT_TRUE(stub->StartRecording(&context, start, &out).ok());
  }
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &written).ok());
  speckd.WaitIdle();
  ASSERT_TRUE(Stop(stub.get(), "power", &out).ok());
  // 5 s of input at 20 Hz: about 100 samples of 5 rails.
  EXPECT_GE(ItemsOf(out, v1::POWER), 90u * 5);
  ASSERT_EQ(out.counts_size(), 2);
  EXPECT_EQ(out.counts(1).kind(), v1::READOUT);
  EXPECT_TRUE(out.ended_cleanly());
}

// A disk slower than the device (3 s per flush, beyond the 2 s LOSSLESS stall
// budget): the recording makes the device and its writer wait for at most
// that budget, then ends with RESOURCE_EXHAUSTED, counted on the device;
// every event written is still accepted and played.
TEST_F(RecordingTest, ARecordingThatFallsBehindEndsItselfNotTheDevice) {
  FixtureOptions options;
  options.data_dir = TmpDir("slow");
  options.recording_slow_disk = absl::Seconds(3);
  SpeckdFixture speckd(options);
  auto stub = v1::RecordingService::NewStub(speckd.channel);
  const std::string lease = speckd.AcquireLease("rec");
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  v1::Recording out;
  ASSERT_TRUE(Start(stub.get(), "slow", &out).ok());
  // 4 M inputs and their 4 M spikes: far more than the 16 MiB queues hold.
  const std::vector<chip::InputEvent> inputs = bench::TutorialInput(4000000);
  const absl::Time start = absl::Now();
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, inputs, 100000, &written).ok());
  const v1::Device device = speckd.WaitIdle(absl::Seconds(60));
  EXPECT_EQ(device.events_in(), inputs.size());
  // The writer and the device waited for the recording at most its stall
  // budget (2 s per queue), not for the slow disk: waiting for that would
  // take over 30 s (40 MB at 4 MiB per 3 s flush).
  const absl::Duration played = absl::Now() - start;
  EXPECT_LT(played, absl::Seconds(20));
  // What it did take is written out (slowly) before it ends.
  v1::Recording ended;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  do {
    ASSERT_TRUE(Get(stub.get(), "slow", &ended).ok());
    if (ended.active()) absl::SleepFor(absl::Milliseconds(50));
  } while (ended.active() && absl::Now() < deadline);
  EXPECT_FALSE(ended.active());
  EXPECT_TRUE(ended.ended_cleanly());
  EXPECT_EQ(ended.end_status_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << ended.end_status_message();
  EXPECT_THAT(ended.end_status_message(), HasSubstr("fell behind"));
  EXPECT_GE(speckd.GetDevice().stalled_subscribers_ended(), 1u);
  RecordProperty("played_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(played)));
  EXPECT_EQ(speckd.Health(), "SERVING");
}

}  // namespace
}  // namespace speckd::testing
