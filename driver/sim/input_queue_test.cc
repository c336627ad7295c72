#include "driver/sim/input_queue.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::sim {
namespace {

std::vector<chip::InputEvent> At(std::vector<uint64_t> times) {
  std::vector<chip::InputEvent> events;
  for (uint64_t t : times) events.push_back(chip::InputEvent::FromSpike({t}));
  return events;
}

std::vector<uint64_t> Times(const std::vector<chip::InputEvent>& events) {
  std::vector<uint64_t> times;
  for (const chip::InputEvent& e : events) times.push_back(e.timestamp_us);
  return times;
}

TEST(InputQueueTest, TakesWhatIsDueInOrderAcrossChunks) {
  InputQueue queue(100);
  queue.Push(At({1, 5, 9}));
  queue.Push(At({9, 12}));
  EXPECT_EQ(queue.size(), 5u);
  EXPECT_EQ(queue.NextTime(), 1u);
  EXPECT_EQ(queue.LastTime(), 12u);
  std::vector<chip::InputEvent> due;
  queue.TakeDue(9, 100, &due);
  EXPECT_THAT(Times(due), ::testing::ElementsAre(1, 5, 9, 9));
  EXPECT_EQ(queue.NextTime(), 12u);
  due.clear();
  queue.TakeDue(100, 100, &due);
  EXPECT_THAT(Times(due), ::testing::ElementsAre(12));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.NextTime(), InputQueue::kNever);
}

TEST(InputQueueTest, TakesAtMostMax) {
  InputQueue queue(100);
  queue.Push(At({1, 2, 3, 4}));
  std::vector<chip::InputEvent> due;
  queue.TakeDue(10, 3, &due);
  EXPECT_THAT(Times(due), ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(InputQueueTest, CapacityAndClear) {
  InputQueue queue(4);
  EXPECT_TRUE(queue.Fits(4));
  queue.Push(At({1, 2, 3}));
  EXPECT_TRUE(queue.Fits(1));
  EXPECT_FALSE(queue.Fits(2));
  EXPECT_EQ(queue.Clear(), 3u);
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.Fits(4));
}

}  // namespace
}  // namespace speckd::driver::sim
