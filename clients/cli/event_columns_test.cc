#include "clients/cli/event_columns.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;
using ::testing::ElementsAre;

v1::WriteEventsRequest Dvs(int n) {
  v1::WriteEventsRequest r;
  for (int i = 0; i < n; ++i) {
    r.mutable_dvs_events()->add_timestamp_us(10 * i);
    r.mutable_dvs_events()->add_x(i);
    r.mutable_dvs_events()->add_y(i + 1);
    r.mutable_dvs_events()->add_p(i % 2 == 0);
  }
  return r;
}

TEST(EventColumnsTest, SlicesCopyEveryColumn) {
  const v1::WriteEventsRequest all = Dvs(5);
  v1::WriteEventsRequest part;
  AppendSlice(all, 1, 3, &part);
  EXPECT_THAT(part.dvs_events().timestamp_us(), ElementsAre(10, 20, 30));
  EXPECT_THAT(part.dvs_events().x(), ElementsAre(1, 2, 3));
  EXPECT_THAT(part.dvs_events().y(), ElementsAre(2, 3, 4));
  EXPECT_THAT(part.dvs_events().p(), ElementsAre(false, true, false));
  EXPECT_FALSE(part.has_spikes());
  // Past the end: what is left.
  v1::WriteEventsRequest tail;
  AppendSlice(all, 4, 10, &tail);
  EXPECT_THAT(tail.dvs_events().timestamp_us(), ElementsAre(40));
}

TEST(EventColumnsTest, SpikesFollowDvsEvents) {
  v1::WriteEventsRequest all = Dvs(2);
  for (int i = 0; i < 3; ++i) {
    v1::SpikeBatch* s = all.mutable_spikes();
    s->add_timestamp_us(5 + i);
    s->add_layer(i);
    s->add_feature(7);
    s->add_x(1);
    s->add_y(2);
  }
  EXPECT_EQ(EventCount(all), 5u);
  EXPECT_EQ(FirstTimestamp(all), 0u);
  EXPECT_EQ(LastTimestamp(all), 10u);
  v1::WriteEventsRequest part;
  AppendSlice(all, 1, 3, &part);
  EXPECT_THAT(part.dvs_events().timestamp_us(), ElementsAre(10));
  EXPECT_THAT(part.spikes().layer(), ElementsAre(0, 1));
  EXPECT_THAT(part.spikes().feature(), ElementsAre(7, 7));
}

TEST(EventColumnsTest, NoEvents) {
  const v1::WriteEventsRequest none;
  EXPECT_EQ(EventCount(none), 0u);
  EXPECT_EQ(FirstTimestamp(none), 0u);
  EXPECT_EQ(LastTimestamp(none), 0u);
}

}  // namespace
}  // namespace speckd::cli
