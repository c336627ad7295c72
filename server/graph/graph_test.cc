// Graph validation, execution (fan-out, fan-in, counters) and the sinabs
// tutorial pipeline end to end.
#include "server/graph/graph.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

NodeSpec Node(const std::string& name, NodeKind kind) {
  NodeSpec spec;
  spec.name = name;
  spec.kind = kind;
  return spec;
}

NodeSpec Collection(const std::string& name, uint32_t interval_ms) {
  NodeSpec spec = Node(name, NodeKind::kSpikeCollection);
  spec.interval_ms = interval_ms;
  return spec;
}

NodeSpec Count(const std::string& name, uint32_t feature_count) {
  NodeSpec spec = Node(name, NodeKind::kSpikeCount);
  spec.feature_count = feature_count;
  return spec;
}

GraphSpec Spec(std::vector<NodeSpec> nodes, std::vector<EdgeSpec> edges) {
  GraphSpec spec;
  spec.name = "test";
  spec.nodes = std::move(nodes);
  spec.edges = std::move(edges);
  return spec;
}

absl::Status BuildStatus(const GraphSpec& spec) {
  return Graph::Build(spec, GraphContext{}).status();
}

chip::Spike S(uint64_t t, uint16_t feature = 0, uint8_t layer = 0) {
  chip::Spike s;
  s.timestamp_us = t;
  s.feature = feature;
  s.layer = layer;
  return s;
}

driver::DeviceOutput Out(std::vector<chip::Spike> spikes, uint64_t time_us) {
  driver::DeviceOutput out;
  out.events.spikes = std::move(spikes);
  out.time_us = time_us;
  return out;
}

class RecordingSink : public EndpointSink {
 public:
  uint64_t Publish(const Packet& packet) override {
    ++packets;
    items += packet.items();
    type = packet.type;
    counts.insert(counts.end(), packet.counts.begin(), packet.counts.end());
    return drop_per_publish;
  }
  uint64_t drop_per_publish = 0;
  int packets = 0;
  uint64_t items = 0;
  PortType type = PortType::kNone;
  std::vector<CountWindow> counts;
};

NodeCounters CountersOf(const Graph& graph, const std::string& node) {
  for (const NodeCounters& c : graph.Counters()) {
    if (c.node == node) return c;
  }
  ADD_FAILURE() << "no node " << node;
  return {};
}

// --- validation ---

TEST(GraphBuildTest, NodeNames) {
  absl::Status status =
      BuildStatus(Spec({Node("x y", NodeKind::kDeviceSource)}, {}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "node 'x y': name must match [A-Za-z0-9_.-]+");
  EXPECT_EQ(
      BuildStatus(Spec({Node("", NodeKind::kDeviceSource)}, {})).message(),
      "node '': name must match [A-Za-z0-9_.-]+");
  EXPECT_EQ(BuildStatus(Spec({Node("src", NodeKind::kDeviceSource),
                              Node("src", NodeKind::kPowerSource)},
                             {}))
                .message(),
            "node 'src': duplicate name");
  EXPECT_TRUE(
      BuildStatus(Spec({Node("a.B_9-z", NodeKind::kDeviceSource)}, {})).ok());
}

TEST(GraphBuildTest, EdgesNeedKnownNodes) {
  const std::vector<NodeSpec> nodes = {Node("src", NodeKind::kDeviceSource),
                                       Node("out", NodeKind::kEndpoint)};
  EXPECT_EQ(BuildStatus(
                Spec(nodes, {{"src", "out"}, {"src", "out2"}, {"foo", "out"}}))
                .message(),
            "edge 1: unknown target node 'out2'");
  EXPECT_EQ(
      BuildStatus(Spec(nodes, {{"src", "out"}, {"foo", "out"}})).message(),
      "edge 1: unknown source node 'foo'");
}

TEST(GraphBuildTest, PortTypesMustMatch) {
  absl::Status status =
      BuildStatus(Spec({Node("a", NodeKind::kDeviceSource), Count("b", 2),
                        Node("out", NodeKind::kEndpoint)},
                       {{"a", "b"}, {"b", "out"}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "edge 'a' -> 'b': 'a' puts out events but 'b' (spike_count) "
            "takes collections");
}

TEST(GraphBuildTest, SourcesTakeNoInputAndSinksGiveNoOutput) {
  EXPECT_EQ(BuildStatus(Spec({Node("a", NodeKind::kDeviceSource),
                              Node("b", NodeKind::kPowerSource)},
                             {{"a", "b"}}))
                .message(),
            "edge 'a' -> 'b': 'b' (power_source) takes no input");
  EXPECT_EQ(BuildStatus(Spec({Node("a", NodeKind::kDeviceSource),
                              Node("e", NodeKind::kEndpoint),
                              Node("f", NodeKind::kEndpoint)},
                             {{"a", "e"}, {"e", "f"}}))
                .message(),
            "edge 'e' -> 'f': 'e' (endpoint) has no output");
}

TEST(GraphBuildTest, DuplicateEdge) {
  EXPECT_EQ(BuildStatus(Spec({Node("a", NodeKind::kDeviceSource),
                              Node("e", NodeKind::kEndpoint)},
                             {{"a", "e"}, {"a", "e"}}))
                .message(),
            "edge 'a' -> 'e': duplicate edge");
}

TEST(GraphBuildTest, Cycles) {
  NodeSpec f1 = Node("f1", NodeKind::kTypeFilter);
  NodeSpec f2 = Node("f2", NodeKind::kTypeFilter);
  NodeSpec f3 = Node("f3", NodeKind::kTypeFilter);
  absl::Status status = BuildStatus(
      Spec({Node("src", NodeKind::kDeviceSource), f1, f2, f3},
           {{"src", "f1"}, {"f1", "f2"}, {"f2", "f3"}, {"f3", "f2"}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("cycle"));
  // Named node is on the cycle (f2 or f3), not merely behind it.
  EXPECT_THAT(status.message(),
              ::testing::AnyOf(HasSubstr("'f2'"), HasSubstr("'f3'")));

  EXPECT_EQ(BuildStatus(Spec({Node("src", NodeKind::kDeviceSource), f1},
                             {{"src", "f1"}, {"f1", "f1"}}))
                .message(),
            "graph has a cycle through node 'f1'");
}

TEST(GraphBuildTest, NodeCapIsResourceExhausted) {
  std::vector<NodeSpec> nodes = {Node("src", NodeKind::kDeviceSource)};
  std::vector<EdgeSpec> edges;
  for (size_t i = 0; i < Graph::kMaxNodes; ++i) {
    nodes.push_back(Node(absl::StrCat("e", i), NodeKind::kEndpoint));
    edges.push_back({"src", nodes.back().name});
  }
  absl::Status status = BuildStatus(Spec(nodes, edges));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "graph has 257 nodes; at most 256 per graph");
  nodes.pop_back();
  edges.pop_back();
  EXPECT_TRUE(BuildStatus(Spec(nodes, edges)).ok());
}

// A chain of diamonds doubles the routes a packet takes at every layer:
// 13 layers would hand each device output on 8192 times. Refused at build
// time instead of stalling the device thread.
TEST(GraphBuildTest, RouteCapBoundsTheWorkPerOutput) {
  auto diamonds = [](int layers) {
    std::vector<NodeSpec> nodes = {Node("src", NodeKind::kDeviceSource)};
    std::vector<EdgeSpec> edges;
    std::string join = "src";
    for (int i = 0; i < layers; ++i) {
      const std::string a = absl::StrCat("a", i), b = absl::StrCat("b", i),
                        j = absl::StrCat("j", i);
      nodes.push_back(Node(a, NodeKind::kTypeFilter));
      nodes.push_back(Node(b, NodeKind::kTypeFilter));
      nodes.push_back(Node(j, NodeKind::kTypeFilter));
      edges.insert(edges.end(), {{join, a}, {join, b}, {a, j}, {b, j}});
      join = j;
    }
    return Spec(nodes, edges);
  };
  EXPECT_TRUE(BuildStatus(diamonds(8)).ok());
  absl::Status status = BuildStatus(diamonds(13));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("more than 4096 routes"));
}

TEST(GraphBuildTest, EveryNodeNeedsAnInput) {
  EXPECT_EQ(BuildStatus(Spec({Node("src", NodeKind::kDeviceSource),
                              Collection("collect", 50), Count("count", 2)},
                             {{"src", "collect"}}))
                .message(),
            "node 'count' has no input");
}

TEST(GraphBuildTest, NeedsASource) {
  EXPECT_THAT(BuildStatus(Spec({}, {})).message(), HasSubstr("no source"));
}

TEST(GraphBuildTest, ParametersNameTheNode) {
  absl::Status status =
      BuildStatus(Spec({Node("src", NodeKind::kDeviceSource),
                        Collection("collect", 50), Count("count", 0)},
                       {{"src", "collect"}, {"collect", "count"}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "node 'count': feature_count must be >= 1");
}

// --- execution ---

GraphSpec FanOutSpec() {
  return Spec({Node("src", NodeKind::kDeviceSource), Collection("collect", 10),
               Count("count", 2), Node("raw", NodeKind::kEndpoint),
               Node("counts", NodeKind::kEndpoint)},
              {{"src", "raw"},
               {"src", "collect"},
               {"collect", "count"},
               {"count", "counts"}});
}

TEST(GraphTest, FanOutToTwoEndpoints) {
  absl::StatusOr<std::unique_ptr<Graph>> graph =
      Graph::Build(FanOutSpec(), GraphContext{});
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto shared_raw = std::make_shared<RecordingSink>();
  auto shared_counts = std::make_shared<RecordingSink>();
  RecordingSink& raw = *shared_raw;
  RecordingSink& counts = *shared_counts;
  ASSERT_TRUE((*graph)->SetEndpointSink("raw", shared_raw).ok());
  ASSERT_TRUE((*graph)->SetEndpointSink("counts", shared_counts).ok());

  (*graph)->Process(Out({S(1000, 0), S(2000, 1), S(3000, 1)}, 5000));
  (*graph)->Process(Out({S(12000, 7)}, 25000));

  EXPECT_EQ(raw.packets, 2);
  EXPECT_EQ(raw.items, 4u);
  EXPECT_EQ(raw.type, PortType::kEvents);
  EXPECT_EQ(counts.packets, 2);
  EXPECT_EQ(counts.type, PortType::kCounts);
  ASSERT_THAT(counts.counts, SizeIs(2));
  EXPECT_THAT(counts.counts[0].counts, ElementsAre(1, 2));
  EXPECT_THAT(counts.counts[1].counts, ElementsAre(0, 0));

  const Graph& g = **graph;
  EXPECT_EQ(CountersOf(g, "src").emitted, 4u);
  EXPECT_EQ(CountersOf(g, "raw").received, 4u);
  EXPECT_EQ(CountersOf(g, "collect").received, 4u);
  EXPECT_EQ(CountersOf(g, "collect").emitted, 2u);
  EXPECT_EQ(CountersOf(g, "count").received, 2u);
  EXPECT_EQ(CountersOf(g, "count").emitted, 2u);
  EXPECT_EQ(CountersOf(g, "count").dropped, 1u);  // feature 7
  EXPECT_EQ(CountersOf(g, "counts").received, 2u);
  // Counters come in spec order.
  std::vector<std::string> names;
  for (const NodeCounters& c : g.Counters()) names.push_back(c.node);
  EXPECT_THAT(names, ElementsAre("src", "collect", "count", "raw", "counts"));
}

TEST(GraphTest, FanInCallsTheNodeOncePerPacket) {
  absl::StatusOr<std::unique_ptr<Graph>> graph =
      Graph::Build(Spec({Node("a", NodeKind::kDeviceSource),
                         Node("b", NodeKind::kPowerSource),
                         Node("out", NodeKind::kEndpoint)},
                        {{"a", "out"}, {"b", "out"}}),
                   GraphContext{});
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto shared_sink = std::make_shared<RecordingSink>();
  RecordingSink& sink = *shared_sink;
  ASSERT_TRUE((*graph)->SetEndpointSink("out", shared_sink).ok());
  driver::DeviceOutput out = Out({S(1)}, 10);
  out.power.push_back({5, 1, 0.5});
  (*graph)->Process(out);
  EXPECT_EQ(sink.packets, 2);
  EXPECT_EQ(sink.items, 2u);
  EXPECT_EQ(CountersOf(**graph, "out").received, 2u);
}

TEST(GraphTest, EndpointCountsWhatItsSinkDrops) {
  absl::StatusOr<std::unique_ptr<Graph>> graph =
      Graph::Build(Spec({Node("src", NodeKind::kDeviceSource),
                         Node("out", NodeKind::kEndpoint)},
                        {{"src", "out"}}),
                   GraphContext{});
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto shared_sink = std::make_shared<RecordingSink>();
  RecordingSink& sink = *shared_sink;
  sink.drop_per_publish = 2;
  ASSERT_TRUE((*graph)->SetEndpointSink("out", shared_sink).ok());
  (*graph)->Process(Out({S(1)}, 1));
  EXPECT_EQ(CountersOf(**graph, "out").dropped, 2u);
  // Detached: only counted.
  ASSERT_TRUE((*graph)->SetEndpointSink("out", nullptr).ok());
  (*graph)->Process(Out({S(2), S(3)}, 3));
  EXPECT_EQ(sink.packets, 1);
  EXPECT_EQ(CountersOf(**graph, "out").received, 3u);
  EXPECT_EQ(CountersOf(**graph, "out").dropped, 2u);
}

TEST(GraphTest, EndpointSinksAndOutputTypes) {
  absl::StatusOr<std::unique_ptr<Graph>> graph =
      Graph::Build(FanOutSpec(), GraphContext{});
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto sink = std::make_shared<RecordingSink>();
  EXPECT_EQ((*graph)->SetEndpointSink("nope", sink).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*graph)->SetEndpointSink("count", sink).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*(*graph)->OutputType("count"), PortType::kCounts);
  EXPECT_EQ(*(*graph)->OutputType("collect"), PortType::kCollections);
  EXPECT_EQ(*(*graph)->OutputType("src"), PortType::kEvents);
  EXPECT_EQ(*(*graph)->OutputType("raw"), PortType::kNone);
  EXPECT_EQ((*graph)->OutputType("nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*graph)->spec().nodes.size(), 5u);
}

TEST(PacketTest, PortTypeNames) {
  EXPECT_STREQ(PortTypeName(PortType::kEvents), "events");
  EXPECT_STREQ(PortTypeName(PortType::kCollections), "collections");
  EXPECT_STREQ(PortTypeName(PortType::kCounts), "counts");
  EXPECT_STREQ(PortTypeName(PortType::kFrames), "frames");
  EXPECT_STREQ(PortTypeName(PortType::kReadout), "readout");
  EXPECT_STREQ(PortTypeName(PortType::kAny), "any");
  EXPECT_STREQ(PortTypeName(PortType::kNone), "none");
}

// --- the sinabs tutorial ---

// The tutorial's output: 25001 spikes of core 0, one every 200 µs from 5 ms,
// feature 0 for the first 2.5 s and feature 1 after; shown with a 50 ms
// spike_count plot of 2 features.
TEST(GraphTest, SinabsTutorialSpikeCounts) {
  GraphSpec spec;
  spec.name = "tutorial";
  NodeSpec filter = Node("filter", NodeKind::kTypeFilter);
  filter.desired_type = EventType::kSpike;
  NodeSpec select = Node("select", NodeKind::kMemberSelect);
  select.member = "layer";
  select.white_list = {0};
  spec.nodes = {Node("src", NodeKind::kDeviceSource),
                filter,
                select,
                Collection("collect", 50),
                Count("count", 2),
                Node("out", NodeKind::kEndpoint)};
  spec.edges = {{"src", "filter"},
                {"filter", "select"},
                {"select", "collect"},
                {"collect", "count"},
                {"count", "out"}};
  absl::StatusOr<std::unique_ptr<Graph>> graph =
      Graph::Build(spec, GraphContext{});
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto shared_sink = std::make_shared<RecordingSink>();
  RecordingSink& sink = *shared_sink;
  ASSERT_TRUE((*graph)->SetEndpointSink("out", shared_sink).ok());

  constexpr int kSpikes = 25001;
  constexpr int kPerOutput = 777;  // not a multiple of a window
  driver::DeviceOutput out;
  for (int i = 0; i < kSpikes; ++i) {
    const uint64_t t = 5000 + 200 * static_cast<uint64_t>(i);
    out.events.spikes.push_back(S(t, t < 2'500'000 ? 0 : 1, 0));
    if (out.events.spikes.size() == kPerOutput || i == kSpikes - 1) {
      out.time_us = t + 1;  // the next spike comes 200 µs later
      (*graph)->Process(out);
      out.events.clear();
    }
  }
  constexpr uint64_t kLast = 5'005'000;
  driver::DeviceOutput flush;
  flush.time_us = kLast + 1;
  flush.flush = true;
  flush.last_input_us = kLast;
  (*graph)->Process(flush);

  ASSERT_THAT(sink.counts, SizeIs(101));
  uint64_t total[2] = {0, 0};
  for (size_t k = 0; k < sink.counts.size(); ++k) {
    const CountWindow& w = sink.counts[k];
    EXPECT_EQ(w.start_us, 50'000 * k);
    EXPECT_EQ(w.end_us, 50'000 * (k + 1));
    ASSERT_THAT(w.counts, SizeIs(2));
    total[0] += w.counts[0];
    total[1] += w.counts[1];
  }
  // [0, 50 ms) holds the spikes at 5000, 5200, ..., 49800.
  EXPECT_THAT(sink.counts[0].counts, ElementsAre(225, 0));
  EXPECT_THAT(sink.counts[1].counts, ElementsAre(250, 0));
  EXPECT_THAT(sink.counts[49].counts, ElementsAre(250, 0));
  EXPECT_THAT(sink.counts[50].counts, ElementsAre(0, 250));
  // The last window [5.0 s, 5.05 s) holds 5,000,000 .. 5,005,000.
  EXPECT_THAT(sink.counts[100].counts, ElementsAre(0, 26));
  EXPECT_EQ(total[0] + total[1], uint64_t{kSpikes});
  EXPECT_EQ(total[0], 12475u);

  const Graph& g = **graph;
  for (const NodeCounters& c : g.Counters()) {
    EXPECT_EQ(c.dropped, 0u) << c.node;
  }
  EXPECT_EQ(CountersOf(g, "collect").received, uint64_t{kSpikes});
  EXPECT_EQ(CountersOf(g, "collect").emitted, 101u);
  EXPECT_EQ(CountersOf(g, "out").received, 101u);
}

}  // namespace
}  // namespace speckd::server::graph
