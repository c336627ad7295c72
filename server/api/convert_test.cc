#include "server/api/convert.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server::api {
namespace {

using ::testing::HasSubstr;

chip::SpeckConfig Core0(uint32_t w, uint32_t h, uint32_t c) {
  chip::SpeckConfig config;
  config.cnn_layers[0].dimensions.input_shape = {{w, h}, c};
  config.cnn_layers[0].dimensions.output_shape = {{1, 1}, 1};
  return config;
}

void AddSpike(v1::SpikeBatch* b, uint64_t t, uint32_t layer, uint32_t f,
              uint32_t x, uint32_t y) {
  b->add_timestamp_us(t);
  b->add_layer(layer);
  b->add_feature(f);
  b->add_x(x);
  b->add_y(y);
}

void AddDvs(v1::DvsEventBatch* b, uint64_t t, uint32_t x, uint32_t y, bool p) {
  b->add_timestamp_us(t);
  b->add_x(x);
  b->add_y(y);
  b->add_p(p);
}

std::string ErrorOf(const v1::WriteEventsRequest& request,
                    const chip::SpeckConfig& config) {
  absl::StatusOr<std::vector<chip::InputEvent>> events =
      InputsFromProto(request, config);
  EXPECT_FALSE(events.ok());
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(events.status().message());
}

TEST(InputsFromProtoTest, MergesDvsAndSpikesByTimeDvsFirstOnTies) {
  v1::WriteEventsRequest request;
  AddDvs(request.mutable_dvs_events(), 10, 1, 2, true);
  AddDvs(request.mutable_dvs_events(), 30, 3, 4, false);
  AddSpike(request.mutable_spikes(), 10, 0, 0, 5, 6);
  AddSpike(request.mutable_spikes(), 20, 0, 1, 7, 7);
  absl::StatusOr<std::vector<chip::InputEvent>> events =
      InputsFromProto(request, Core0(8, 8, 2));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[0].kind, chip::InputEvent::Kind::kDvsEvent);
  EXPECT_EQ((*events)[1].kind, chip::InputEvent::Kind::kSpike);
  EXPECT_EQ((*events)[1].x, 5);
  EXPECT_EQ((*events)[2].timestamp_us, 20u);
  EXPECT_EQ((*events)[3].timestamp_us, 30u);
  EXPECT_FALSE((*events)[3].p);
}

TEST(InputsFromProtoTest, NamesTheFirstBadEventByIndexAndField) {
  const chip::SpeckConfig config = Core0(16, 8, 1);
  v1::WriteEventsRequest dvs;
  AddDvs(dvs.mutable_dvs_events(), 0, 1, 1, true);
  AddDvs(dvs.mutable_dvs_events(), 1, 128, 1, true);
  EXPECT_EQ(ErrorOf(dvs, config),
            "dvs_events[1].x: 128 is outside the DVS array (0..127)");

  v1::WriteEventsRequest backwards;
  AddDvs(backwards.mutable_dvs_events(), 5, 1, 1, true);
  AddDvs(backwards.mutable_dvs_events(), 4, 1, 1, true);
  EXPECT_EQ(ErrorOf(backwards, config),
            "dvs_events[1].timestamp_us: 4 goes back from 5");

  v1::WriteEventsRequest layer;
  AddSpike(layer.mutable_spikes(), 0, 9, 0, 0, 0);
  EXPECT_EQ(ErrorOf(layer, config), "spikes[0].layer: 9 is not a core (0..8)");

  v1::WriteEventsRequest unused;
  AddSpike(unused.mutable_spikes(), 0, 2, 0, 0, 0);
  EXPECT_EQ(ErrorOf(unused, config),
            "spikes[0].layer: core 2 is not in use in the configuration");

  v1::WriteEventsRequest x;
  AddSpike(x.mutable_spikes(), 0, 0, 0, 3, 0);
  AddSpike(x.mutable_spikes(), 0, 0, 0, 16, 0);
  EXPECT_EQ(ErrorOf(x, config),
            "spikes[1].x: 16 is outside core 0's input width (0..15)");

  v1::WriteEventsRequest feature;
  AddSpike(feature.mutable_spikes(), 0, 0, 1, 0, 0);
  EXPECT_EQ(ErrorOf(feature, config),
            "spikes[0].feature: 1 is outside core 0's input features (0..0)");

  v1::WriteEventsRequest ragged;
  AddSpike(ragged.mutable_spikes(), 0, 0, 0, 0, 0);
  ragged.mutable_spikes()->add_x(1);
  EXPECT_THAT(ErrorOf(ragged, config), HasSubstr("spikes.x: 2 values"));
}

TEST(EncodePacketTest, SpikesBecomeOneColumnarMessage) {
  std::vector<chip::Spike> spikes = {{5, 1, 0, 2, 3}, {6, 0, 13, 127, 4}};
  graph::Packet packet;
  packet.spikes = spikes;
  std::vector<PayloadPtr> payloads = EncodePacket(packet);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0]->items, 2u);
  v1::StreamMessage message;
  ASSERT_TRUE(message.ParseFromString(payloads[0]->bytes));
  ASSERT_TRUE(message.has_spikes());
  EXPECT_THAT(message.spikes().timestamp_us(), ::testing::ElementsAre(5, 6));
  EXPECT_THAT(message.spikes().layer(), ::testing::ElementsAre(0, 13));
  EXPECT_THAT(message.spikes().x(), ::testing::ElementsAre(2, 127));
  EXPECT_EQ(message.sequence(), 0u);  // the subscriber adds its own header
}

TEST(EncodePacketTest, CountWindowsShareOneMessageAndTimeOnlyPacketsNone) {
  std::vector<graph::CountWindow> windows = {{0, 50000, 0, {225, 0}},
                                             {50000, 100000, 0, {250, 0}}};
  graph::Packet packet;
  packet.type = graph::PortType::kCounts;
  packet.counts = windows;
  std::vector<PayloadPtr> payloads = EncodePacket(packet);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0]->items, 2u);
  v1::StreamMessage message;
  ASSERT_TRUE(message.ParseFromString(payloads[0]->bytes));
  ASSERT_EQ(message.spike_counts().windows_size(), 2);
  EXPECT_THAT(message.spike_counts().windows(1).counts(),
              ::testing::ElementsAre(250, 0));
  EXPECT_TRUE(EncodePacket(graph::Packet{}).empty());
}

// However much a packet holds, each message stays small: windows split by
// count and by count values, a window's spikes split into parts, and a gap
// of empty windows sent as one window.
TEST(EncodePacketTest, MessagesAreBoundedWhateverThePacketHolds) {
  std::vector<graph::CountWindow> windows(3000);
  for (size_t i = 0; i < windows.size(); ++i) {
    windows[i] = {i * 1000, i * 1000 + 1000, 0, {1, 2}};
  }
  windows.back().empty_before = 999999;
  graph::Packet counts;
  counts.counts = windows;
  std::vector<PayloadPtr> payloads = EncodePacket(counts);
  ASSERT_EQ(payloads.size(), 3u);  // 1024 + 1024 + 952 windows
  EXPECT_EQ(payloads[0]->items + payloads[1]->items + payloads[2]->items,
            3000u);
  v1::StreamMessage last;
  ASSERT_TRUE(last.ParseFromString(payloads[2]->bytes));
  EXPECT_EQ(last.spike_counts().windows(951).empty_windows_before(), 999999u);

  // Wide counts: 65536 count values per message at most.
  std::vector<graph::CountWindow> wide(
      3, {0, 1000, 0, std::vector<uint32_t>(40000, 1)});
  counts.counts = wide;
  EXPECT_EQ(EncodePacket(counts).size(), 3u);

  std::vector<chip::Spike> many(40000, chip::Spike{7, 0, 0, 1, 1});
  std::vector<graph::SpikeWindow> collections = {{0, 1000, 0, many}};
  graph::Packet packet;
  packet.collections = collections;
  payloads = EncodePacket(packet);
  ASSERT_EQ(payloads.size(), 3u);  // 16384 + 16384 + 7232 spikes
  uint64_t spikes = 0;
  for (size_t i = 0; i < payloads.size(); ++i) {
    v1::StreamMessage m;
    ASSERT_TRUE(m.ParseFromString(payloads[i]->bytes));
    EXPECT_EQ(m.spike_collection().continued(), i + 1 < payloads.size());
    EXPECT_LE(payloads[i]->bytes.size(), size_t{1} << 20);
    spikes += m.spike_collection().spikes().timestamp_us_size();
  }
  EXPECT_EQ(spikes, 40000u);
  EXPECT_EQ(payloads[2]->items, 1u);  // the window counts once
}

TEST(GraphSpecFromProtoTest, MissingNodeTypeNamesTheNode) {
  v1::GraphSpec spec;
  spec.add_nodes()->set_name("mystery");
  absl::StatusOr<graph::GraphSpec> out = GraphSpecFromProto(spec, "dev", "");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("'mystery'"));
}

}  // namespace
}  // namespace speckd::server::api
