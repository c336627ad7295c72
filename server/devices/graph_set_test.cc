// The graphs of a device: ownership by the device thread, caps, stopping.
// The concurrency test is the regression test for the race between apply
// and output processing; run it under --config=tsan.
#include "server/devices/graph_set.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// Keeps the frames published (on the processing thread).
class FrameSink : public graph::EndpointSink {
 public:
  uint64_t Publish(const graph::Packet& packet) override {
    MutexLock lock(&mu_);
    for (const graph::ActivityFrame& f : packet.frames) {
      sizes_.push_back({f.width, f.height});
    }
    return 0;
  }
  std::vector<chip::Vec2> sizes() {
    MutexLock lock(&mu_);
    return sizes_;
  }

 private:
  Mutex mu_;
  std::vector<chip::Vec2> sizes_ ABSL_GUARDED_BY(mu_);
};

// device_source -> activity_frame(layer 13, 1 ms) -> endpoint "out".
graph::GraphSpec FrameSpec() {
  graph::GraphSpec spec;
  graph::NodeSpec src;
  src.name = "src";
  src.kind = graph::NodeKind::kDeviceSource;
  graph::NodeSpec frame;
  frame.name = "frame";
  frame.kind = graph::NodeKind::kActivityFrame;
  frame.layer = 13;
  frame.interval_ms = 1;
  graph::NodeSpec out;
  out.name = "out";
  out.kind = graph::NodeKind::kEndpoint;
  spec.nodes = {src, frame, out};
  spec.edges = {{"src", "frame"}, {"frame", "out"}};
  return spec;
}

std::shared_ptr<const chip::SpeckConfig> DvsConfig(uint32_t pooling) {
  auto config = std::make_shared<chip::SpeckConfig>();
  config->dvs_layer.pooling = {pooling, pooling};
  return config;
}

std::unique_ptr<graph::Graph> Build(const chip::SpeckConfig& config) {
  graph::GraphContext context;
  context.config = config;
  return graph::Graph::Build(FrameSpec(), context).value();
}

driver::DeviceOutput Output(std::shared_ptr<const chip::SpeckConfig> config,
                            uint64_t time_us) {
  driver::DeviceOutput out;
  out.configuration = std::move(config);
  out.time_us = time_us;
  return out;
}

GraphOwner Client(const std::string& holder) {
  GraphOwner owner;
  owner.holder = holder;
  owner.lease_id = holder + "-lease";
  return owner;
}

const GraphSet::StoppedCallback kIgnoreStops = [](const std::string&,
                                                  const std::string&) {};

TEST(GraphSetTest, ListsClientGraphsAndCapsThemButNotSubscriptionGraphs) {
  GraphSet graphs("speck2edevkit:0", {.max_graphs = 2});
  auto config = DvsConfig(1);
  ASSERT_TRUE(
      graphs.Add("g1", Build(*config), config, Client("alice"), true).ok());
  GraphOwner internal;
  internal.internal = true;
  ASSERT_TRUE(graphs.Add("g2", Build(*config), config, internal, true).ok());
  ASSERT_TRUE(
      graphs.Add("g3", Build(*config), config, Client("bob"), false).ok());
  absl::Status full =
      graphs.Add("g4", Build(*config), config, Client("carol"), true);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(full.message(), HasSubstr("runs 2 client graphs, at most 2"));
  // Subscriptions' graphs do not count.
  EXPECT_TRUE(graphs.Add("g5", Build(*config), config, internal, true).ok());
  EXPECT_EQ(graphs.Add("g1", Build(*config), config, Client("x"), true).code(),
            absl::StatusCode::kAlreadyExists);

  EXPECT_EQ(graphs.List(/*include_internal=*/false).size(), 2u);
  EXPECT_EQ(graphs.List(/*include_internal=*/true).size(), 4u);
  absl::StatusOr<GraphInfo> g1 = graphs.Get("g1");
  ASSERT_TRUE(g1.ok());
  EXPECT_EQ(g1->owner, "alice");
  EXPECT_TRUE(g1->running);
  EXPECT_EQ(graphs.Owner("g3")->lease_id, "bob-lease");
  ASSERT_TRUE(graphs.Remove("g1").ok());
  EXPECT_EQ(graphs.Remove("g1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(graphs.client_graphs(), 1u);
}

// Frames follow the configuration the output comes from, reconfigured on
// the processing thread only; a stopped graph is kept sized too.
TEST(GraphSetTest, GraphsFollowTheConfigurationTheirOutputComesFrom) {
  GraphSet graphs("speck2edevkit:0", {});
  auto whole = DvsConfig(1);
  auto pooled = DvsConfig(4);
  ASSERT_TRUE(graphs.Add("g1", Build(*whole), whole, Client("a"), true).ok());
  auto sink = std::make_shared<FrameSink>();
  ASSERT_TRUE(graphs.AttachEndpoint("g1", "out", sink).ok());
  EXPECT_EQ(graphs.AttachEndpoint("g1", "frame", sink).code(),
            absl::StatusCode::kFailedPrecondition);

  graphs.Process(Output(whole, 0), kIgnoreStops);
  graphs.Process(Output(whole, 1000), kIgnoreStops);
  graphs.Process(Output(pooled, 1500), kIgnoreStops);
  graphs.Process(Output(pooled, 2000), kIgnoreStops);
  std::vector<chip::Vec2> sizes = sink->sizes();
  ASSERT_THAT(sizes, SizeIs(2));
  EXPECT_EQ(sizes[0], (chip::Vec2{128, 128}));
  EXPECT_EQ(sizes[1], (chip::Vec2{32, 32}));
}

class RefusingSink : public graph::InputSink {
 public:
  absl::StatusOr<uint64_t> Write(absl::Span<const chip::InputEvent>,
                                 const std::string&) override {
    return absl::FailedPreconditionError("the lease has expired");
  }
};

TEST(GraphSetTest, AGraphWhoseSinkLostItsLeaseStopsAndSaysWhy) {
  RefusingSink target;
  graph::GraphSpec spec;
  graph::NodeSpec src;
  src.name = "src";
  src.kind = graph::NodeKind::kDeviceSource;
  graph::NodeSpec sink;
  sink.name = "sink";
  sink.kind = graph::NodeKind::kDeviceSink;
  sink.member = "speck2edevkit:1";
  spec.nodes = {src, sink};
  spec.edges = {{"src", "sink"}};
  graph::GraphContext context;
  context.input_sink = [&](const std::string&) { return &target; };
  auto config = DvsConfig(1);
  GraphSet graphs("speck2edevkit:0", {});
  ASSERT_TRUE(graphs
                  .Add("g1", graph::Graph::Build(spec, context).value(), config,
                       Client("alice"), true)
                  .ok());
  std::vector<std::string> stopped;
  driver::DeviceOutput out = Output(config, 10);
  out.events.spikes.push_back({5, 0, 0, 0, 0});
  graphs.Process(out, [&](const std::string& id, const std::string& why) {
    stopped.push_back(absl::StrCat(id, ": ", why));
  });
  ASSERT_THAT(stopped, SizeIs(1));
  EXPECT_THAT(stopped[0], HasSubstr("g1: node 'sink' may no longer write"));
  absl::StatusOr<GraphInfo> info = graphs.Get("g1");
  EXPECT_FALSE(info->running);
  EXPECT_THAT(info->stopped_because, HasSubstr("the lease has expired"));
  graphs.Process(out, kIgnoreStops);  // stopped: not run again
  EXPECT_EQ(graphs.Get("g1")->counters[1].received, 1u);
  ASSERT_TRUE(graphs.SetRunning("g1", true).ok());
  EXPECT_TRUE(graphs.Get("g1")->stopped_because.empty());
}

// Outputs whose configuration keeps changing flow through activity frames
// on one thread while others add, remove, start, stop, attach and list
// graphs. Before the device thread owned its graphs, a configuration apply
// resized frames that Process was filling (a data race TSan reports).
TEST(GraphSetTest, ChangesFromOtherThreadsNeverOverlapProcessing) {
  GraphSet graphs("speck2edevkit:0", {.max_graphs = 1000});
  std::vector<std::shared_ptr<const chip::SpeckConfig>> configs = {
      DvsConfig(1), DvsConfig(2), DvsConfig(4)};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> outputs{0};
  std::thread device([&] {
    uint64_t t = 0;
    while (!stop.load()) {
      driver::DeviceOutput out = Output(configs[(t / 3000) % 3], t);
      for (int i = 0; i < 32; ++i) {
        out.events.spikes.push_back(
            {t, 0, 13, static_cast<uint8_t>(i * 3), static_cast<uint8_t>(i)});
      }
      graphs.Process(out, kIgnoreStops);
      t += 500;
      outputs.fetch_add(1);
    }
  });
  std::vector<std::thread> changers;
  for (int c = 0; c < 3; ++c) {
    changers.emplace_back([&, c] {
      for (int i = 0; i < 200; ++i) {
        const std::string id = absl::StrCat("c", c, "-", i);
        auto config = configs[static_cast<size_t>(i) % 3];
        ASSERT_TRUE(
            graphs.Add(id, Build(*config), config, Client("alice"), true).ok());
        ASSERT_TRUE(
            graphs.AttachEndpoint(id, "out", std::make_shared<FrameSink>())
                .ok());
        ASSERT_TRUE(graphs.SetRunning(id, i % 2 == 0).ok());
        (void)graphs.List(true);
        ASSERT_TRUE(graphs.Get(id).ok());
        if (i % 4 != 3) {
          ASSERT_TRUE(graphs.Remove(id).ok());
        }
      }
    });
  }
  for (std::thread& t : changers) t.join();
  stop.store(true);
  device.join();
  EXPECT_GT(outputs.load(), 0u);
  EXPECT_EQ(graphs.List(true).size(), 3u * 50);
}

}  // namespace
}  // namespace speckd::server
