// Each node kind in a tiny graph: device_source -> node(s) -> endpoint.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/graph/graph.h"

namespace speckd::server::graph {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::FieldsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

chip::Spike S(uint64_t t, uint16_t feature = 0, uint8_t layer = 0,
              uint8_t x = 0, uint8_t y = 0) {
  return {t, feature, layer, x, y};
}

driver::DeviceOutput Out(std::vector<chip::Spike> spikes, uint64_t time_us,
                         uint64_t epoch = 0) {
  driver::DeviceOutput out;
  out.events.spikes = std::move(spikes);
  out.time_us = time_us;
  out.epoch = epoch;
  return out;
}

driver::DeviceOutput Flush(uint64_t time_us, uint64_t last_input_us) {
  driver::DeviceOutput out = Out({}, time_us);
  out.flush = true;
  out.last_input_us = last_input_us;
  return out;
}

// NodeCounters with these received, emitted and dropped counts.
::testing::Matcher<NodeCounters> Counted(::testing::Matcher<uint64_t> received,
                                         ::testing::Matcher<uint64_t> emitted,
                                         ::testing::Matcher<uint64_t> dropped) {
  return FieldsAre(_, received, emitted, dropped);
}

// Keeps copies of everything published (packets only live for the call).
class RecordingSink : public EndpointSink {
 public:
  uint64_t Publish(const Packet& packet) override {
    ++packets;
    times.push_back(packet.time);
    spikes.insert(spikes.end(), packet.spikes.begin(), packet.spikes.end());
    readout_values += packet.readout_values.size();
    readout_pins += packet.readout_pins.size();
    power.insert(power.end(), packet.power.begin(), packet.power.end());
    windows.insert(windows.end(), packet.collections.begin(),
                   packet.collections.end());
    counts.insert(counts.end(), packet.counts.begin(), packet.counts.end());
    frames.insert(frames.end(), packet.frames.begin(), packet.frames.end());
    majority.insert(majority.end(), packet.majority.begin(),
                    packet.majority.end());
    return 0;
  }

  int packets = 0;
  std::vector<TimeLine> times;
  std::vector<chip::Spike> spikes;
  size_t readout_values = 0;
  size_t readout_pins = 0;
  std::vector<driver::PowerMeasurement> power;
  std::vector<SpikeWindow> windows;
  std::vector<CountWindow> counts;
  std::vector<ActivityFrame> frames;
  std::vector<MajorityDecision> majority;
};

NodeSpec Spec(const std::string& name, NodeKind kind) {
  NodeSpec spec;
  spec.name = name;
  spec.kind = kind;
  return spec;
}

NodeSpec Collection(uint32_t interval_ms) {
  NodeSpec spec = Spec("collect", NodeKind::kSpikeCollection);
  spec.interval_ms = interval_ms;
  return spec;
}

NodeSpec Count(uint32_t feature_count) {
  NodeSpec spec = Spec("count", NodeKind::kSpikeCount);
  spec.feature_count = feature_count;
  return spec;
}

NodeSpec Frame(uint32_t layer, uint32_t interval_ms) {
  NodeSpec spec = Spec("frame", NodeKind::kActivityFrame);
  spec.layer = layer;
  spec.interval_ms = interval_ms;
  return spec;
}

NodeSpec Filter(EventType type) {
  NodeSpec spec = Spec("filter", NodeKind::kTypeFilter);
  spec.desired_type = type;
  return spec;
}

NodeSpec Select(const std::string& member, std::vector<uint32_t> list) {
  NodeSpec spec = Spec("select", NodeKind::kMemberSelect);
  spec.member = member;
  spec.white_list = std::move(list);
  return spec;
}

// `source` -> middle... -> endpoint "out", as a chain.
GraphSpec ChainSpec(std::vector<NodeSpec> middle,
                    NodeKind source = NodeKind::kDeviceSource) {
  GraphSpec spec;
  spec.nodes.push_back(Spec("src", source));
  for (NodeSpec& node : middle) spec.nodes.push_back(std::move(node));
  spec.nodes.push_back(Spec("out", NodeKind::kEndpoint));
  for (size_t i = 0; i + 1 < spec.nodes.size(); ++i) {
    spec.edges.push_back({spec.nodes[i].name, spec.nodes[i + 1].name});
  }
  return spec;
}

// A built chain with a RecordingSink on "out".
struct Chain {
  std::unique_ptr<Graph> graph;
  std::shared_ptr<RecordingSink> shared_sink =
      std::make_shared<RecordingSink>();
  RecordingSink& sink = *shared_sink;

  NodeCounters counters(const std::string& node) const {
    for (const NodeCounters& c : graph->Counters()) {
      if (c.node == node) return c;
    }
    ADD_FAILURE() << "no node " << node;
    return {};
  }
};

std::unique_ptr<Chain> MakeChain(std::vector<NodeSpec> middle,
                                 const GraphContext& context = {},
                                 NodeKind source = NodeKind::kDeviceSource) {
  auto chain = std::make_unique<Chain>();
  absl::StatusOr<std::unique_ptr<Graph>> graph =
      Graph::Build(ChainSpec(std::move(middle), source), context);
  EXPECT_TRUE(graph.ok()) << graph.status();
  if (!graph.ok()) return nullptr;
  chain->graph = *std::move(graph);
  EXPECT_TRUE(chain->graph->SetEndpointSink("out", chain->shared_sink).ok());
  return chain;
}

absl::Status BuildError(std::vector<NodeSpec> middle,
                        const GraphContext& context = {}) {
  return Graph::Build(ChainSpec(std::move(middle)), context).status();
}

// --- sources ---

TEST(DeviceSourceTest, EmitsEveryOutputWithItsTimeLine) {
  auto chain = MakeChain({});
  driver::DeviceOutput out = Out({S(10), S(20)}, 30, /*epoch=*/4);
  out.events.readout_values.push_back({25, 7});
  out.events.readout_pins.push_back({26, 1});
  out.power.push_back({27, 2, 0.5});  // power is not a device_source item
  chain->graph->Process(out);
  chain->graph->Process(Out({}, 40, 4));

  EXPECT_EQ(chain->sink.packets, 2);
  EXPECT_THAT(chain->sink.spikes, ElementsAre(S(10), S(20)));
  EXPECT_EQ(chain->sink.readout_values, 1u);
  EXPECT_EQ(chain->sink.readout_pins, 1u);
  EXPECT_THAT(chain->sink.power, IsEmpty());
  EXPECT_EQ(chain->sink.times[1].time_us, 40u);
  EXPECT_EQ(chain->sink.times[1].epoch, 4u);
  EXPECT_THAT(chain->counters("src"), Counted(4, 4, 0));
}

TEST(PowerSourceTest, EmitsOnlyPower) {
  auto chain = MakeChain({}, {}, NodeKind::kPowerSource);
  driver::DeviceOutput out = Out({S(10)}, 30);
  out.power.push_back({27, 2, 0.5});
  out.power.push_back({28, 0, 0.25});
  out.flush = true;
  out.last_input_us = 29;
  chain->graph->Process(out);
  chain->graph->Process(Out({}, 40));

  EXPECT_EQ(chain->sink.packets, 2);
  EXPECT_THAT(chain->sink.spikes, IsEmpty());
  ASSERT_THAT(chain->sink.power, SizeIs(2));
  EXPECT_EQ(chain->sink.power[1].channel, 0);
  EXPECT_TRUE(chain->sink.times[0].flush);
  EXPECT_EQ(chain->sink.times[0].last_input_us, 29u);
}

// --- device_sink ---

class FakeInputSink : public InputSink {
 public:
  absl::StatusOr<uint64_t> Write(absl::Span<const chip::InputEvent> in,
                                 const std::string& lease_id) override {
    if (lease_id != lease) {
      return absl::FailedPreconditionError("the lease has expired");
    }
    events.insert(events.end(), in.begin(), in.end());
    return refuse;
  }
  std::vector<chip::InputEvent> events;
  uint64_t refuse = 0;
  std::string lease = "the-lease";
};

TEST(DeviceSinkTest, WritesSpikesIntoTheNamedDevice) {
  FakeInputSink device;
  device.refuse = 1;
  std::string asked;
  GraphContext context;
  context.input_sink = [&](const std::string& id) -> InputSink* {
    asked = id;
    return id == "speck2edevkit:1" ? &device : nullptr;
  };
  NodeSpec sink = Spec("sink", NodeKind::kDeviceSink);
  sink.member = "speck2edevkit:1";
  sink.lease_id = "the-lease";
  GraphSpec spec;
  spec.nodes = {Spec("src", NodeKind::kDeviceSource), sink};
  spec.edges = {{"src", "sink"}};
  absl::StatusOr<std::unique_ptr<Graph>> graph = Graph::Build(spec, context);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(asked, "speck2edevkit:1");

  driver::DeviceOutput out = Out({S(10, 3, 2, 4, 5), S(11, 1, 0)}, 20);
  out.events.readout_values.push_back({12, 1});  // cannot be written: dropped
  (*graph)->Process(out);
  (*graph)->Process(Out({}, 30));  // nothing to write

  ASSERT_THAT(device.events, SizeIs(2));
  // timestamp, feature, layer (the target core), x, y, p, kind
  EXPECT_THAT(device.events[0], FieldsAre(10u, 3, 2, 4, 5, false,
                                          chip::InputEvent::Kind::kSpike));
  EXPECT_THAT((*graph)->Counters()[1],
              Counted(3, 0, 2));  // the readout value and the refused spike
  EXPECT_FALSE((*graph)->TakeStopRequest().has_value());

  // Once the lease no longer holds the target, the graph asks to stop.
  device.lease = "someone-else";
  (*graph)->Process(Out({S(40)}, 40));
  std::optional<std::string> stop = (*graph)->TakeStopRequest();
  ASSERT_TRUE(stop.has_value());
  EXPECT_EQ(*stop,
            "node 'sink' may no longer write into speck2edevkit:1: the lease "
            "has expired");
  EXPECT_FALSE((*graph)->TakeStopRequest().has_value());  // said once
  EXPECT_EQ((*graph)->Counters()[1].dropped, 3u);
}

TEST(DeviceSinkTest, NeedsAKnownDevice) {
  NodeSpec sink = Spec("sink", NodeKind::kDeviceSink);
  GraphSpec spec;
  spec.nodes = {Spec("src", NodeKind::kDeviceSource), sink};
  spec.edges = {{"src", "sink"}};
  GraphContext context;
  EXPECT_EQ(Graph::Build(spec, context).status().message(),
            "node 'sink': device_sink needs the target device id in `member`");

  spec.nodes[1].member = "speck2edevkit:7";
  EXPECT_EQ(Graph::Build(spec, context).status().message(),
            "node 'sink': no device input is available here");
  context.input_sink = [](const std::string&) -> InputSink* { return nullptr; };
  EXPECT_EQ(Graph::Build(spec, context).status().message(),
            "node 'sink': unknown device 'speck2edevkit:7' in `member`");
}

// --- type_filter and member_select ---

driver::DeviceOutput MixedOutput() {
  driver::DeviceOutput out = Out({S(1, 0, 0), S(2, 5, 1), S(3, 2, 13)}, 10);
  out.events.readout_values.push_back({4, 9});
  out.events.readout_pins.push_back({5, 2});
  return out;
}

TEST(TypeFilterTest, KeepsOneTypeWithoutDropping) {
  auto chain = MakeChain({Filter(EventType::kReadoutValue)});
  chain->graph->Process(MixedOutput());
  EXPECT_THAT(chain->sink.spikes, IsEmpty());
  EXPECT_EQ(chain->sink.readout_values, 1u);
  EXPECT_EQ(chain->sink.readout_pins, 0u);
  EXPECT_THAT(chain->counters("filter"), Counted(5, 1, 0));

  auto spikes = MakeChain({Filter(EventType::kSpike)});
  spikes->graph->Process(MixedOutput());
  EXPECT_THAT(spikes->sink.spikes, SizeIs(3));

  auto pins = MakeChain({Filter(EventType::kReadoutPinValue)});
  pins->graph->Process(MixedOutput());
  EXPECT_EQ(pins->sink.readout_pins, 1u);
  EXPECT_THAT(pins->sink.spikes, IsEmpty());

  // Devices put no raw DVS events into packets; the time still passes.
  auto dvs = MakeChain({Filter(EventType::kDvsEvent)});
  dvs->graph->Process(MixedOutput());
  EXPECT_EQ(dvs->sink.packets, 1);
  EXPECT_EQ(dvs->counters("filter").emitted, 0u);

  auto power =
      MakeChain({Filter(EventType::kMeasurement)}, {}, NodeKind::kPowerSource);
  driver::DeviceOutput out = Out({}, 10);
  out.power.push_back({5, 1, 0.1});
  power->graph->Process(out);
  EXPECT_THAT(power->sink.power, SizeIs(1));
}

TEST(MemberSelectTest, KeepsWhiteListedLayersAndDropsOtherItems) {
  auto chain = MakeChain({Select("layer", {0, 13})});
  chain->graph->Process(MixedOutput());
  EXPECT_THAT(chain->sink.spikes, ElementsAre(S(1, 0, 0), S(3, 2, 13)));
  EXPECT_THAT(chain->counters("select"),
              Counted(5, 2, 2));  // readout value and pin lack a layer
}

TEST(MemberSelectTest, KeepsWhiteListedFeatures) {
  auto chain = MakeChain({Filter(EventType::kSpike), Select("feature", {5})});
  chain->graph->Process(MixedOutput());
  EXPECT_THAT(chain->sink.spikes, ElementsAre(S(2, 5, 1)));
  EXPECT_EQ(chain->counters("select").dropped, 0u);
}

TEST(MemberSelectTest, RejectsBadParameters) {
  absl::Status status = BuildError({Select("colour", {1})});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("node 'select'"));
  EXPECT_THAT(status.message(), HasSubstr("member"));
  status = BuildError({Select("layer", {})});
  EXPECT_THAT(status.message(), HasSubstr("node 'select'"));
  EXPECT_THAT(status.message(), HasSubstr("white_list"));
  status = BuildError({Select("layer", {256})});
  EXPECT_THAT(status.message(), HasSubstr("white_list"));
}

// --- spike_collection ---

TEST(SpikeCollectionTest, WindowsAlignToTheInterval) {
  auto chain = MakeChain({Collection(50)});
  chain->graph->Process(Out({S(5000), S(49999), S(50000)}, 50001));
  ASSERT_THAT(chain->sink.windows, SizeIs(1));
  EXPECT_EQ(chain->sink.windows[0].start_us, 0u);
  EXPECT_EQ(chain->sink.windows[0].end_us, 50000u);
  EXPECT_THAT(chain->sink.windows[0].spikes, ElementsAre(S(5000), S(49999)));

  chain->graph->Process(Out({}, 100000));
  ASSERT_THAT(chain->sink.windows, SizeIs(2));
  EXPECT_EQ(chain->sink.windows[1].start_us, 50000u);
  EXPECT_EQ(chain->sink.windows[1].end_us, 100000u);
  EXPECT_THAT(chain->sink.windows[1].spikes, ElementsAre(S(50000)));
  EXPECT_EQ(chain->counters("collect").emitted, 2u);
}

TEST(SpikeCollectionTest, FirstWindowContainsThePacketTime) {
  auto chain = MakeChain({Collection(50)});
  chain->graph->Process(Out({}, 1234567));
  chain->graph->Process(Out({S(1234600)}, 1250000));
  ASSERT_THAT(chain->sink.windows, SizeIs(1));
  EXPECT_EQ(chain->sink.windows[0].start_us, 1200000u);
  EXPECT_THAT(chain->sink.windows[0].spikes, SizeIs(1));
}

TEST(SpikeCollectionTest, EmptyWindowsWhileTimeAdvances) {
  auto chain = MakeChain({Collection(50), Count(2)});
  chain->graph->Process(Out({S(1000, 1)}, 1000));
  EXPECT_THAT(chain->sink.counts, IsEmpty());
  chain->graph->Process(Out({}, 200000));
  // Windows 1 and 2 are empty: window 3 stands for them.
  ASSERT_THAT(chain->sink.counts, SizeIs(2));
  EXPECT_THAT(chain->sink.counts[0].counts, ElementsAre(0, 1));
  EXPECT_EQ(chain->sink.counts[0].empty_before, 0u);
  EXPECT_EQ(chain->sink.counts[1].start_us, 150000u);
  EXPECT_EQ(chain->sink.counts[1].empty_before, 2u);
  EXPECT_THAT(chain->sink.counts[1].counts, ElementsAre(0, 0));
  // Time moving one window at a time gives every window.
  chain->graph->Process(Out({}, 250000));
  ASSERT_THAT(chain->sink.counts, SizeIs(3));
  EXPECT_EQ(chain->sink.counts[2].start_us, 200000u);
  EXPECT_EQ(chain->sink.counts[2].empty_before, 0u);
}

TEST(SpikeCollectionTest, FlushClosesTheWindowOfTheLastInput) {
  auto chain = MakeChain({Collection(50)});
  // The first packet opens the window holding 60000, not window 0.
  chain->graph->Process(Out({S(60000)}, 60000));
  EXPECT_THAT(chain->sink.windows, IsEmpty());
  chain->graph->Process(Flush(60000, 60000));
  ASSERT_THAT(chain->sink.windows, SizeIs(1));
  EXPECT_EQ(chain->sink.windows[0].start_us, 50000u);
  EXPECT_THAT(chain->sink.windows[0].spikes, ElementsAre(S(60000)));
  // A second flush has nothing left to close.
  chain->graph->Process(Flush(60000, 60000));
  EXPECT_THAT(chain->sink.windows, SizeIs(1));
}

TEST(SpikeCollectionTest, LateSpikesAreDropped) {
  auto chain = MakeChain({Collection(50)});
  chain->graph->Process(Out({}, 0));
  chain->graph->Process(Out({S(120000)}, 120000));  // windows 0, 1 closed
  chain->graph->Process(Out({S(99999), S(120001)}, 150000));
  ASSERT_THAT(chain->sink.windows, SizeIs(3));
  EXPECT_EQ(chain->sink.windows[2].start_us, 100000u);
  EXPECT_THAT(chain->sink.windows[2].spikes, ElementsAre(S(120000), S(120001)));
  EXPECT_THAT(chain->counters("collect"), Counted(3, _, 1));
}

TEST(SpikeCollectionTest, NewEpochRestartsTheWindows) {
  auto chain = MakeChain({Collection(50)});
  chain->graph->Process(Out({S(10000), S(70000)}, 70000, /*epoch=*/0));
  ASSERT_THAT(chain->sink.windows, SizeIs(1));
  // The stop watch was reset: the open window [50000, 100000) is discarded.
  chain->graph->Process(Out({S(2000)}, 2000, /*epoch=*/1));
  driver::DeviceOutput flush = Flush(2000, 2000);
  flush.epoch = 1;
  chain->graph->Process(flush);
  ASSERT_THAT(chain->sink.windows, SizeIs(2));
  EXPECT_EQ(chain->sink.windows[1].start_us, 0u);
  EXPECT_THAT(chain->sink.windows[1].spikes, ElementsAre(S(2000)));
  EXPECT_EQ(chain->counters("collect").dropped, 1u);
}

// A jump of the time line costs two windows, however long: nothing is
// skipped or dropped, and the gap says how many empty windows it stands for.
TEST(SpikeCollectionTest, HugeTimeJumpCostsTwoWindows) {
  auto chain = MakeChain({Collection(1)});
  chain->graph->Process(Out({S(100)}, 0));
  chain->graph->Process(Out({}, 1'500'000'000));  // 1.5 M windows of 1 ms
  EXPECT_THAT(chain->counters("collect"), Counted(1, 2, 0));
  ASSERT_THAT(chain->sink.windows, SizeIs(2));
  EXPECT_THAT(chain->sink.windows[0].spikes, SizeIs(1));
  EXPECT_EQ(chain->sink.windows[1].start_us, 1'499'999'000u);
  EXPECT_EQ(chain->sink.windows[1].empty_before, 1'499'998u);
  chain->graph->Process(Out({S(1'500'000'100)}, 1'500'001'000));
  EXPECT_EQ(chain->sink.windows.back().start_us, 1'500'000'000u);
  EXPECT_EQ(chain->sink.windows.back().empty_before, 0u);
  EXPECT_THAT(chain->sink.windows.back().spikes, SizeIs(1));
}

TEST(SpikeCollectionTest, RejectsZeroInterval) {
  EXPECT_EQ(BuildError({Collection(0)}).message(),
            "node 'collect': interval_ms must be >= 1");
}

// --- spike_count ---

TEST(SpikeCountTest, CountsPerFeatureAndDropsHigherFeatures) {
  auto chain = MakeChain({Collection(10), Count(3)});
  chain->graph->Process(
      Out({S(1, 0), S(2, 2), S(3, 2), S(4, 3), S(5, 7)}, 10000));
  ASSERT_THAT(chain->sink.counts, SizeIs(1));
  EXPECT_THAT(chain->sink.counts[0].counts, ElementsAre(1, 0, 2));
  EXPECT_EQ(chain->sink.counts[0].end_us, 10000u);
  EXPECT_THAT(chain->counters("count"), Counted(1, 1, 2));  // features 3 and 7
}

TEST(SpikeCountTest, RejectsZeroFeatures) {
  EXPECT_EQ(BuildError({Collection(10), Count(0)}).message(),
            "node 'count': feature_count must be >= 1");
}

// --- activity_frame ---

GraphContext CoreContext() {
  GraphContext context;
  chip::Shape& shape = context.config.cnn_layers[2].dimensions.output_shape;
  shape.size = {4, 3};
  shape.feature_count = 2;
  return context;
}

TEST(ActivityFrameTest, CountsOneCoreMap) {
  auto chain = MakeChain({Frame(2, 10)}, CoreContext());
  chain->graph->Process(
      Out({S(1, 0, 2, 1, 2), S(2, 1, 2, 1, 2), S(3, 1, 2, 3, 0),
           S(4, 0, 2, 4, 0), S(5, 0, 0, 1, 1)},
          10000));
  ASSERT_THAT(chain->sink.frames, SizeIs(1));
  const ActivityFrame& frame = chain->sink.frames[0];
  EXPECT_EQ(frame.layer, 2u);
  EXPECT_EQ(frame.width, 4u);
  EXPECT_EQ(frame.height, 3u);
  ASSERT_THAT(frame.counts, SizeIs(12));
  EXPECT_EQ(frame.counts[2 * 4 + 1], 2u);
  EXPECT_EQ(frame.counts[3], 1u);
  EXPECT_EQ(frame.total, 3u);
  // x = 4 is outside the map; layer 0 is not this frame's (not dropped).
  EXPECT_EQ(chain->counters("frame").dropped, 1u);
}

TEST(ActivityFrameTest, EmptyFramesWhileTimeAdvances) {
  auto chain = MakeChain({Frame(2, 10)}, CoreContext());
  chain->graph->Process(Out({}, 0));
  chain->graph->Process(Out({}, 30000));
  ASSERT_THAT(chain->sink.frames, SizeIs(2));
  EXPECT_EQ(chain->sink.frames[1].start_us, 20000u);
  EXPECT_EQ(chain->sink.frames[1].empty_before, 1u);
  EXPECT_EQ(chain->sink.frames[1].total, 0u);
  EXPECT_THAT(chain->sink.frames[1].counts, SizeIs(12));
}

TEST(ActivityFrameTest, DvsLayerSizeFollowsPoolingCutAndOrigin) {
  GraphContext context;
  chip::DvsLayerConfig& dvs = context.config.dvs_layer;
  dvs.pooling = {2, 2};
  dvs.cut = {127, 40};  // x is clipped to 128 / 2 - 1 = 63
  dvs.origin = {10, 0};
  auto chain = MakeChain({Frame(13, 10)}, context);
  chain->graph->Process(Out({S(1, 0, 13, 53, 40), S(2, 0, 13, 54, 0)}, 10000));
  ASSERT_THAT(chain->sink.frames, SizeIs(1));
  EXPECT_EQ(chain->sink.frames[0].width, 54u);
  EXPECT_EQ(chain->sink.frames[0].height, 41u);
  EXPECT_EQ(chain->sink.frames[0].counts[40 * 54 + 53], 1u);
  EXPECT_EQ(chain->counters("frame").dropped, 1u);

  dvs.mirror_diagonal = true;
  auto swapped = MakeChain({Frame(13, 10)}, context);
  swapped->graph->Process(Out({}, 0));
  swapped->graph->Process(Out({}, 10000));
  ASSERT_THAT(swapped->sink.frames, SizeIs(1));
  EXPECT_EQ(swapped->sink.frames[0].width, 41u);
  EXPECT_EQ(swapped->sink.frames[0].height, 54u);
}

// Pooling 2 with mirror.x and the default cut: the chip puts out x in
// 64..127, so the frame is 128 wide and keeps every event (it was once 64
// wide and dropped them all).
TEST(ActivityFrameTest, DvsLayerMirrorCountsFromTheCut) {
  GraphContext context;
  context.config.dvs_layer.pooling = {2, 2};
  context.config.dvs_layer.mirror.x = true;
  auto chain = MakeChain({Frame(13, 10)}, context);
  chain->graph->Process(Out(
      {S(1, 0, 13, 64, 0), S(2, 0, 13, 127, 63), S(3, 1, 13, 100, 5)}, 10000));
  ASSERT_THAT(chain->sink.frames, SizeIs(1));
  const ActivityFrame& frame = chain->sink.frames[0];
  EXPECT_EQ(frame.width, 128u);
  EXPECT_EQ(frame.height, 64u);
  EXPECT_EQ(frame.total, 3u);
  EXPECT_EQ(frame.counts[63 * 128 + 127], 1u);
  EXPECT_EQ(chain->counters("frame").dropped, 0u);
}

TEST(ActivityFrameTest, RejectsLayersWithoutAMap) {
  EXPECT_EQ(BuildError({Frame(3, 10)}, CoreContext()).message(),
            "node 'frame': core 3 is not in use");
  EXPECT_EQ(BuildError({Frame(12, 10)}, CoreContext()).message(),
            "node 'frame': layer 12 has no activity (cores 0..8 or 13 = DVS)");
  EXPECT_EQ(BuildError({Frame(2, 0)}, CoreContext()).message(),
            "node 'frame': interval_ms must be >= 1");
}

TEST(ActivityFrameTest, ReconfigureResizesTheFrame) {
  auto chain = MakeChain({Frame(2, 10)}, CoreContext());
  chain->graph->Process(Out({S(1, 0, 2, 0, 0)}, 1));
  GraphContext bigger = CoreContext();
  bigger.config.cnn_layers[2].dimensions.output_shape.size = {8, 8};
  chain->graph->Reconfigure(bigger.config);
  chain->graph->Process(Out({S(2, 0, 2, 7, 7)}, 10000));
  ASSERT_THAT(chain->sink.frames, SizeIs(1));
  EXPECT_EQ(chain->sink.frames[0].width, 8u);
  EXPECT_EQ(chain->sink.frames[0].counts[63], 1u);
  EXPECT_EQ(chain->sink.frames[0].total, 1u);
  EXPECT_EQ(chain->counters("frame").dropped, 1u);  // the discarded frame
}

// --- majority_readout ---

NodeSpec Majority(uint32_t feature_count, uint32_t default_feature,
                  uint32_t low, uint32_t high, uint32_t detection) {
  NodeSpec spec = Spec("majority", NodeKind::kMajorityReadout);
  spec.feature_count = feature_count;
  spec.default_feature = default_feature;
  spec.threshold_low = low;
  spec.threshold_high = high;
  spec.detection_threshold = detection;
  return spec;
}

// One 10 ms window holding spikes of the given features.
MajorityDecision Decide(const NodeSpec& majority,
                        const std::vector<uint16_t>& features) {
  auto chain = MakeChain({Collection(10), majority});
  std::vector<chip::Spike> spikes;
  for (uint16_t f : features) spikes.push_back(S(100, f));
  chain->graph->Process(Out({}, 0));
  chain->graph->Process(Out(std::move(spikes), 10000));
  EXPECT_THAT(chain->sink.majority, SizeIs(1));
  return chain->sink.majority.empty() ? MajorityDecision{}
                                      : chain->sink.majority[0];
}

TEST(MajorityReadoutTest, UniqueMaximumWins) {
  const MajorityDecision d = Decide(Majority(3, 2, 0, 32000, 0), {1, 1, 0, 2});
  EXPECT_TRUE(d.decided);
  EXPECT_EQ(d.feature, 1u);
  EXPECT_EQ(d.count, 2u);
  EXPECT_EQ(d.end_us, 10000u);
}

TEST(MajorityReadoutTest, TieGivesTheDefault) {
  const MajorityDecision d = Decide(Majority(3, 2, 0, 32000, 0), {0, 0, 1, 1});
  EXPECT_FALSE(d.decided);
  EXPECT_EQ(d.feature, 2u);
  EXPECT_EQ(d.count, 0u);
}

TEST(MajorityReadoutTest, SpikeCountOutsideThresholdsGivesTheDefault) {
  EXPECT_FALSE(Decide(Majority(3, 2, 3, 5, 0), {1, 1}).decided);
  EXPECT_FALSE(Decide(Majority(3, 2, 3, 5, 0), {1, 1, 1, 1, 1, 1}).decided);
  EXPECT_TRUE(Decide(Majority(3, 2, 3, 5, 0), {1, 1, 1}).decided);
  EXPECT_TRUE(Decide(Majority(3, 2, 3, 5, 0), {1, 1, 1, 1, 1}).decided);
}

TEST(MajorityReadoutTest, MaximumMustExceedTheDetectionThreshold) {
  EXPECT_FALSE(Decide(Majority(2, 0, 0, 32000, 2), {1, 1}).decided);
  const MajorityDecision d = Decide(Majority(2, 0, 0, 32000, 2), {1, 1, 1});
  EXPECT_TRUE(d.decided);
  EXPECT_EQ(d.feature, 1u);
}

TEST(MajorityReadoutTest, EmptyWindowGivesTheDefault) {
  const MajorityDecision d = Decide(Majority(1, 0, 0, 32000, 0), {});
  EXPECT_FALSE(d.decided);
  EXPECT_EQ(d.feature, 0u);
}

TEST(MajorityReadoutTest, RejectsBadParameters) {
  EXPECT_EQ(BuildError({Collection(10), Majority(0, 0, 0, 1, 0)}).message(),
            "node 'majority': feature_count must be >= 1");
  EXPECT_THAT(BuildError({Collection(10), Majority(2, 2, 0, 1, 0)}).message(),
              HasSubstr("default_feature"));
  EXPECT_THAT(BuildError({Collection(10), Majority(2, 0, 5, 1, 0)}).message(),
              HasSubstr("threshold_low"));
}

}  // namespace
}  // namespace speckd::server::graph
