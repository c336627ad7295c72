#include "proto/codec/events_codec.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::codec {
namespace {

using ::testing::ElementsAre;

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
