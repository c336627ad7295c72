#include "server/api/convert.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server::api {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace speckd::server::api
