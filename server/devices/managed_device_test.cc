// A ManagedDeviceImpl over the simulated devkit: the device thread owns the
// graphs (the race regression test), queued input dropped by cancel, reset
// and apply (with notices), device_sink graphs that write only while their
// lease holds, who may change a graph, and calls once shutting down.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "driver/chip/test_networks.h"
#include "driver/clock_fake.h"
#include "driver/sim/sim_device.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/devices/managed_device_impl.h"
#include "server/graph/graph.h"

namespace speckd::server {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kLongWait = absl::Seconds(30);

// The test network with the DVS layer merged into core 0 and its monitor on,
// pooled by `dvs_pooling`.
chip::SpeckConfig OneNeuron(uint32_t dvs_pooling = 1) {
  chip::SpeckConfig config = chip::testing::OneNeuron();
  config.dvs_layer.monitor_enable = true;
  config.dvs_layer.merge = true;
  config.dvs_layer.pooling = {dvs_pooling, dvs_pooling};
  return config;
}

class RecordingNotices : public NoticeSink {
 public:
  void OnDeviceNotice(const std::string& device_id,
                      const Notice& notice) override {
    MutexLock lock(&mu_);
    notices_.push_back(notice);
    changed_.SignalAll();
  }
  void OnGraphNotice(const std::string& graph_id,
                     const Notice& notice) override {
    MutexLock lock(&mu_);
    notices_.push_back(notice);
    changed_.SignalAll();
  }
  // The first notice of `kind`, waiting for it up to kLongWait.
  std::optional<Notice> WaitFor(Notice::Kind kind) {
    const absl::Time deadline = absl::Now() + kLongWait;
    MutexLock lock(&mu_);
    while (true) {
      for (const Notice& n : notices_) {
        if (n.kind == kind) return n;
      }
      if (changed_.WaitWithDeadline(&mu_, deadline)) return std::nullopt;
    }
  }

 private:
  Mutex mu_;
  CondVar changed_;
  std::vector<Notice> notices_ ABSL_GUARDED_BY(mu_);
};

class FrameCount : public graph::EndpointSink {
 public:
  uint64_t Publish(const graph::Packet& packet) override {
    for (const graph::ActivityFrame& f : packet.frames) {
      frames.fetch_add(1);
      events.fetch_add(f.total);
      if (f.total > 0 && !seen.exchange(true)) first_events.Notify();
    }
    return 0;
  }
  std::atomic<uint64_t> frames{0};
  std::atomic<uint64_t> events{0};
  // Notified once a frame with events has come through.
  Notification first_events;

 private:
  std::atomic<bool> seen{false};
};

WriteJob Job(std::vector<chip::InputEvent> events,
             std::function<void(absl::StatusOr<WriteResult>)> done = nullptr) {
  WriteJob job;
  job.inputs = [events = std::move(events)](const chip::SpeckConfig&) {
    return absl::StatusOr<std::vector<chip::InputEvent>>(events);
  };
  job.deadline = absl::InfiniteFuture();
  job.done = done ? std::move(done) : [](absl::StatusOr<WriteResult>) {};
  return job;
}

std::unique_ptr<ManagedDeviceImpl> Make(driver::Clock* clock,
                                        driver::Pacing pacing, int rank = 0) {
  driver::sim::SimDeviceOptions options;
  options.clock = clock;
  options.pacing = pacing;
  options.rank = rank;
  return std::make_unique<ManagedDeviceImpl>(driver::sim::NewSimDevice(options),
                                             clock, ManagedDeviceOptions{});
}

// The regression test for the race the first version had: a configuration
// apply reconfigured activity frames (reallocating their buffers) on the
// calling thread while the device thread filled them. Configurations are
// applied in a loop while DVS events flow through a DVS-layer heatmap;
// under --config=tsan any overlap is reported.
TEST(ManagedDeviceTest, ApplyInALoopWhileOutputFlowsThroughActivityFrames) {
  auto device = Make(driver::RealClock(), driver::Pacing::kAsFastAsPossible);
  const std::string lease =
      device->AcquireLease("alice", absl::Seconds(60))->lease_id;
  ASSERT_TRUE(device->ApplyConfiguration(OneNeuron(1), lease).ok());

  graph::GraphSpec spec;
  spec.nodes.resize(3);
  spec.nodes[0].name = "src";
  spec.nodes[0].kind = graph::NodeKind::kDeviceSource;
  spec.nodes[1].name = "frame";
  spec.nodes[1].kind = graph::NodeKind::kActivityFrame;
  spec.nodes[1].layer = 13;
  spec.nodes[1].interval_ms = 1;
  spec.nodes[2].name = "out";
  spec.nodes[2].kind = graph::NodeKind::kEndpoint;
  spec.edges = {{"src", "frame"}, {"frame", "out"}};
  graph::GraphContext context;
  context.config = *device->configuration();
  auto frames = std::make_shared<FrameCount>();
  std::unique_ptr<graph::Graph> graph =
      graph::Graph::Build(spec, context).value();
  ASSERT_TRUE(graph->SetEndpointSink("out", frames).ok());
  GraphOwner owner;
  owner.lease_id = lease;
  ASSERT_TRUE(device
                  ->AddGraph("g1", std::move(graph), device->configuration(),
                             owner, true)
                  .ok());

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    uint64_t t = 0;
    while (!stop.load()) {
      std::vector<chip::InputEvent> events;
      for (int i = 0; i < 2000; ++i, t += 10) {
        events.push_back(
            chip::InputEvent::FromDvs({t, static_cast<uint8_t>(i % 128),
                                       static_cast<uint8_t>(i % 97), true}));
      }
      Notification written;
      absl::Status submitted = device->SubmitWrite(
          lease, Job(std::move(events),
                     [&](absl::StatusOr<WriteResult>) { written.Notify(); }));
      if (submitted.ok()) written.WaitForNotification();
    }
  });
  // Output is flowing through the frames before the applies start (else a
  // fast loop can finish before the writer's first batch).
  ASSERT_TRUE(frames->first_events.WaitForNotificationWithTimeout(kLongWait));
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(
        device->ApplyConfiguration(OneNeuron(1u << (i % 3)), lease).ok());
  }
  stop.store(true);
  writer.join();
  ASSERT_TRUE(device->WaitUntilIdle(kLongWait));
  EXPECT_GT(frames->frames.load(), 0u);
  EXPECT_GT(frames->events.load(), 0u);
}

class PacedDeviceTest : public ::testing::Test {
 protected:
  PacedDeviceTest() : device_(Make(&clock_, driver::Pacing::kRealTime)) {
    device_->SetNoticeSink(&notices_);
    lease_ = device_->AcquireLease("alice", absl::Hours(1))->lease_id;
    EXPECT_TRUE(device_->ApplyConfiguration(OneNeuron(), lease_).ok());
  }
  ~PacedDeviceTest() override { device_->SetNoticeSink(nullptr); }

  // `n` spikes, one per `step_us`, from `start_us`.
  static std::vector<chip::InputEvent> Spikes(uint64_t start_us,
                                              uint64_t step_us, int n) {
    std::vector<chip::InputEvent> events;
    for (int i = 0; i < n; ++i) {
      events.push_back(chip::InputEvent::FromSpike(
          {start_us + static_cast<uint64_t>(i) * step_us, 0, 0, 0, 0}));
    }
    return events;
  }

  void WriteAndWait(std::vector<chip::InputEvent> events) {
    Notification written;
    ASSERT_TRUE(
        device_
            ->SubmitWrite(lease_, Job(std::move(events),
                                      [&](absl::StatusOr<WriteResult> r) {
                                        EXPECT_TRUE(r.ok()) << r.status();
                                        written.Notify();
                                      }))
            .ok());
    ASSERT_TRUE(written.WaitForNotificationWithTimeout(kLongWait));
  }

  driver::FakeClock clock_;
  RecordingNotices notices_;
  std::unique_ptr<ManagedDeviceImpl> device_;
  std::string lease_;
};

// 60 s of real-time input, then cancel: nothing is left queued at once, the
// drop is counted and announced, and the next write plays on time instead
// of waiting behind the old input.
TEST_F(PacedDeviceTest, CancelDropsQueuedInputAndTheNextWritePlaysOnTime) {
  WriteAndWait(Spikes(1000, 1000, 60000));  // 1 ms apart, for 60 s
  clock_.Advance(absl::Milliseconds(10));
  absl::StatusOr<ManagedDevice::Cancelled> cancelled =
      device_->CancelInputs(lease_);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_GE(cancelled->queued_inputs, 59980u);
  EXPECT_EQ(device_->Snapshot().counters.queued_inputs, 0u);
  EXPECT_EQ(device_->Snapshot().counters.dropped_inputs,
            cancelled->queued_inputs);
  std::optional<Notice> notice = notices_.WaitFor(Notice::Kind::kInputsDropped);
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->dropped_inputs, cancelled->queued_inputs);
  EXPECT_THAT(notice->message, HasSubstr("the inputs were cancelled"));

  const uint64_t now_us = device_->Snapshot().stop_watch.time_us;
  const uint64_t events_out = device_->Snapshot().counters.events_out;
  WriteAndWait(Spikes(now_us + 5000, 1, 1));
  clock_.Advance(absl::Milliseconds(6));
  ASSERT_TRUE(device_->WaitUntilIdle(kLongWait));
  EXPECT_EQ(device_->Snapshot().counters.events_out, events_out + 1);
}

TEST_F(PacedDeviceTest, ResetAndApplyDropInputsQueuedBeforeThem) {
  WriteAndWait(Spikes(500000, 1000, 10));
  ASSERT_TRUE(device_->SetStopWatch(lease_, std::nullopt, /*reset=*/true).ok());
  EXPECT_EQ(device_->Snapshot().counters.queued_inputs, 0u);
  ASSERT_TRUE(notices_.WaitFor(Notice::Kind::kStopWatchReset).has_value());
  std::optional<Notice> dropped =
      notices_.WaitFor(Notice::Kind::kInputsDropped);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->dropped_inputs, 10u);
  EXPECT_THAT(dropped->message, HasSubstr("the stop watch was reset"));

  WriteAndWait(Spikes(500000, 1000, 7));
  const uint64_t epoch = device_->Snapshot().stop_watch.epoch;
  ASSERT_TRUE(device_->ApplyConfiguration(OneNeuron(2), lease_).ok());
  EXPECT_EQ(device_->Snapshot().counters.queued_inputs, 0u);
  EXPECT_EQ(device_->Snapshot().counters.dropped_inputs, 17u);
  EXPECT_EQ(device_->Snapshot().stop_watch.epoch, epoch);  // unchanged
  ASSERT_TRUE(notices_.WaitFor(Notice::Kind::kDeviceReconfigured).has_value());
}

TEST_F(PacedDeviceTest, CallsOnceShuttingDownAreUnavailableAndSaySo) {
  device_->Shutdown();
  absl::StatusOr<chip::ValidationReport> applied =
      device_->ApplyConfiguration(OneNeuron(), lease_);
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(applied.status().message(),
              HasSubstr("device speck2edevkit-sim:0 is shutting down"));
  EXPECT_EQ(device_->ReadNeurons(0, {}, nullptr).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(device_->SubmitWrite(lease_, Job({})).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(device_->CancelInputs(lease_).status().code(),
            absl::StatusCode::kUnavailable);
}

// device A's graph writes its output spikes into device B as B's lease
// holder; once that lease is gone, the graph stops and says why.
TEST(ManagedDeviceTest, ADeviceSinkWritesOnlyWhileItsLeaseHoldsTheTarget) {
  auto a = Make(driver::RealClock(), driver::Pacing::kAsFastAsPossible, 0);
  auto b = Make(driver::RealClock(), driver::Pacing::kAsFastAsPossible, 1);
  RecordingNotices notices;
  a->SetNoticeSink(&notices);
  const std::string lease_a =
      a->AcquireLease("alice", absl::Hours(1))->lease_id;
  const std::string lease_b =
      b->AcquireLease("alice", absl::Hours(1))->lease_id;
  ASSERT_TRUE(a->ApplyConfiguration(OneNeuron(), lease_a).ok());
  ASSERT_TRUE(b->ApplyConfiguration(OneNeuron(), lease_b).ok());

  graph::GraphSpec spec;
  spec.nodes.resize(3);
  spec.nodes[0].name = "src";
  spec.nodes[0].kind = graph::NodeKind::kDeviceSource;
  spec.nodes[1].name = "spikes";
  spec.nodes[1].kind = graph::NodeKind::kMemberSelect;
  spec.nodes[1].member = "layer";
  spec.nodes[1].white_list = {0};
  spec.nodes[2].name = "into_b";
  spec.nodes[2].kind = graph::NodeKind::kDeviceSink;
  spec.nodes[2].member = b->id();
  spec.nodes[2].lease_id = lease_b;
  spec.edges = {{"src", "spikes"}, {"spikes", "into_b"}};
  graph::GraphContext context;
  context.config = *a->configuration();
  context.input_sink = [&](const std::string&) { return b->input(); };
  GraphOwner owner;
  owner.holder = "alice";
  owner.lease_id = lease_a;
  ASSERT_TRUE(a->AddGraph("g1", graph::Graph::Build(spec, context).value(),
                          a->configuration(), owner, true)
                  .ok());

  auto write_into_a = [&](uint64_t t) {
    Notification written;
    ASSERT_TRUE(
        a->SubmitWrite(
             lease_a,
             Job({chip::InputEvent::FromSpike({t, 0, 0, 0, 0})},
                 [&](absl::StatusOr<WriteResult>) { written.Notify(); }))
            .ok());
    ASSERT_TRUE(written.WaitForNotificationWithTimeout(kLongWait));
    ASSERT_TRUE(a->WaitUntilIdle(kLongWait));
    ASSERT_TRUE(b->WaitUntilIdle(kLongWait));
  };
  write_into_a(10);
  EXPECT_EQ(b->Snapshot().counters.events_in, 1u);  // A's spike entered B

  ASSERT_TRUE(b->ReleaseLease(lease_b).ok());
  write_into_a(20);
  EXPECT_EQ(b->Snapshot().counters.events_in, 1u);
  std::optional<Notice> stopped = notices.WaitFor(Notice::Kind::kGraphStopped);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_THAT(stopped->message,
              HasSubstr("node 'into_b' may no longer write into "
                        "speck2edevkit-sim:1"));
  absl::StatusOr<GraphInfo> info = a->GetGraph("g1");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->running);
  EXPECT_THAT(info->stopped_because, HasSubstr("needs a control lease"));
  a->SetNoticeSink(nullptr);
}

TEST(ManagedDeviceTest, AGraphIsChangedByItsOwnersLeaseOrTheDevicesLease) {
  driver::FakeClock clock;
  auto device = Make(&clock, driver::Pacing::kAsFastAsPossible);
  graph::GraphSpec spec;
  spec.nodes.resize(2);
  spec.nodes[0].name = "src";
  spec.nodes[0].kind = graph::NodeKind::kDeviceSource;
  spec.nodes[1].name = "out";
  spec.nodes[1].kind = graph::NodeKind::kEndpoint;
  spec.edges = {{"src", "out"}};
  auto build = [&] { return graph::Graph::Build(spec, {}).value(); };
  GraphOwner alice;
  alice.holder = "alice";
  alice.lease_id = "alice-old-lease";
  ASSERT_TRUE(
      device->AddGraph("g1", build(), device->configuration(), alice, true)
          .ok());
  GraphOwner internal;
  internal.internal = true;
  ASSERT_TRUE(
      device->AddGraph("g2", build(), device->configuration(), internal, true)
          .ok());

  EXPECT_TRUE(device->CheckGraphAccess("g1", "alice-old-lease").ok());
  absl::Status guess = device->CheckGraphAccess("g1", "");
  EXPECT_EQ(guess.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(guess.message(), HasSubstr("was made by 'alice'"));
  const std::string bob =
      device->AcquireLease("bob", absl::Seconds(10))->lease_id;
  EXPECT_TRUE(device->CheckGraphAccess("g1", bob).ok());  // the device's lease
  EXPECT_THAT(device->CheckGraphAccess("g2", bob).message(),
              HasSubstr("belongs to a subscription"));
  EXPECT_EQ(device->CheckGraphAccess("g9", bob).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace speckd::server
