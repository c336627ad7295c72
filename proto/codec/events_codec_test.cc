#include "proto/codec/events_codec.h"

#include <initializer_list>
#include <string>
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

// Raw little-endian bytes of `values` as T.
template <typename T>
std::string Raw(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return out;
}

TEST(InputsFromProtoTest, RawColumnsGiveTheSameEventsAsBatches) {
  v1::WriteEventsRequest columns;
  v1::DvsEventColumns* dvs = columns.mutable_dvs_columns();
  dvs->set_timestamp_us(Raw<uint64_t>({10, 30}));
  dvs->set_x(Raw<uint8_t>({1, 3}));
  dvs->set_y(Raw<uint8_t>({2, 4}));
  dvs->set_p(Raw<uint8_t>({1, 0}));
  v1::SpikeColumns* spikes = columns.mutable_spike_columns();
  spikes->set_timestamp_us(Raw<uint64_t>({10, 20}));
  spikes->set_layer(Raw<uint8_t>({0, 0}));
  spikes->set_feature(Raw<uint16_t>({0, 1}));
  spikes->set_x(Raw<uint8_t>({5, 7}));
  spikes->set_y(Raw<uint8_t>({6, 7}));
  v1::WriteEventsRequest batches;
  AddDvs(batches.mutable_dvs_events(), 10, 1, 2, true);
  AddDvs(batches.mutable_dvs_events(), 30, 3, 4, false);
  AddSpike(batches.mutable_spikes(), 10, 0, 0, 5, 6);
  AddSpike(batches.mutable_spikes(), 20, 0, 1, 7, 7);
  absl::StatusOr<std::vector<chip::InputEvent>> a =
      InputsFromProto(columns, Core0(8, 8, 2));
  absl::StatusOr<std::vector<chip::InputEvent>> b =
      InputsFromProto(batches, Core0(8, 8, 2));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->size(), 4u);
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].timestamp_us, (*b)[i].timestamp_us) << i;
    EXPECT_EQ((*a)[i].kind, (*b)[i].kind) << i;
    EXPECT_EQ((*a)[i].x, (*b)[i].x) << i;
    EXPECT_EQ((*a)[i].feature, (*b)[i].feature) << i;
  }
}

TEST(InputsFromProtoTest, RawColumnsOfDifferentLengthsOrBothFormsAreRefused) {
  v1::WriteEventsRequest ragged;
  v1::DvsEventColumns* dvs = ragged.mutable_dvs_columns();
  dvs->set_timestamp_us(Raw<uint64_t>({10, 30}));
  dvs->set_x(Raw<uint8_t>({1}));
  dvs->set_y(Raw<uint8_t>({2, 4}));
  dvs->set_p(Raw<uint8_t>({1, 0}));
  EXPECT_THAT(ErrorOf(ragged, Core0(8, 8, 2)),
              HasSubstr("dvs_columns.x: 1 bytes, but 2 values of 1 bytes"));
  v1::WriteEventsRequest odd;
  odd.mutable_spike_columns()->set_timestamp_us("abc");
  EXPECT_THAT(ErrorOf(odd, Core0(8, 8, 2)),
              HasSubstr("spike_columns.timestamp_us: 3 bytes"));
  v1::WriteEventsRequest both;
  AddDvs(both.mutable_dvs_events(), 10, 1, 2, true);
  both.mutable_spike_columns();
  EXPECT_THAT(ErrorOf(both, Core0(8, 8, 2)), HasSubstr("not both"));
  // Out-of-range values are named like any other event's.
  v1::WriteEventsRequest wide;
  v1::SpikeColumns* spikes = wide.mutable_spike_columns();
  spikes->set_timestamp_us(Raw<uint64_t>({10}));
  spikes->set_layer(Raw<uint8_t>({0}));
  spikes->set_feature(Raw<uint16_t>({0}));
  spikes->set_x(Raw<uint8_t>({200}));
  spikes->set_y(Raw<uint8_t>({0}));
  EXPECT_THAT(ErrorOf(wide, Core0(8, 8, 2)), HasSubstr("spikes[0].x: 200"));
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
