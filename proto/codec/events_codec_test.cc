#include "proto/codec/events_codec.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::codec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace v1 = ::speckd::v1;

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

TEST(EventsCodecTest, DvsEventsAndSpikesGoToTheirColumnsInOrder) {
  std::vector<chip::InputEvent> events(3);
  events[0].kind = chip::InputEvent::Kind::kDvsEvent;
  events[0].timestamp_us = 10;
  events[0].x = 1;
  events[0].y = 2;
  events[0].p = true;
  events[1].kind = chip::InputEvent::Kind::kSpike;
  events[1].timestamp_us = 11;
  events[1].layer = 3;
  events[1].feature = 4;
  events[1].x = 5;
  events[1].y = 6;
  events[2] = events[0];
  events[2].timestamp_us = 12;
  events[2].p = false;

  speckd::v1::WriteEventsRequest request;
  AppendEvents(events.data(), events.size(), &request);
  EXPECT_THAT(request.dvs_events().timestamp_us(), ElementsAre(10, 12));
  EXPECT_THAT(request.dvs_events().x(), ElementsAre(1, 1));
  EXPECT_THAT(request.dvs_events().y(), ElementsAre(2, 2));
  EXPECT_THAT(request.dvs_events().p(), ElementsAre(true, false));
  EXPECT_THAT(request.spikes().timestamp_us(), ElementsAre(11));
  EXPECT_THAT(request.spikes().layer(), ElementsAre(3));
  EXPECT_THAT(request.spikes().feature(), ElementsAre(4));
  EXPECT_THAT(request.spikes().x(), ElementsAre(5));
  EXPECT_THAT(request.spikes().y(), ElementsAre(6));

  // Appending again extends the same columns.
  AppendEvents(events.data() + 1, 1, &request);
  EXPECT_THAT(request.spikes().timestamp_us(), ElementsAre(11, 11));
}

}  // namespace
}  // namespace speckd::codec
