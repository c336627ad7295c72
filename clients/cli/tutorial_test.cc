#include "clients/cli/tutorial.h"

#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <memory>
#include <set>

#include "driver/chip/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/codec/config_codec.h"
#include "tests/util/subprocess.h"

namespace speckd::cli {
namespace {

using ::testing::HasSubstr;

// The configuration in effect, every default explicit: comparable.
speckd::v1::SpeckConfiguration Normalized(const chip::SpeckConfig& config) {
  speckd::v1::SpeckConfiguration proto;
  codec::ToProto(config, &proto);
  return proto;
}

TEST(TutorialConfigurationTest, IsTheExampleFile) {
  absl::StatusOr<chip::SpeckConfig> example = codec::LoadConfigFile(
      testing::RunfilePath("examples/tutorial/config.json"));
  ASSERT_TRUE(example.ok()) << example.status();
  const speckd::v1::SpeckConfiguration ours =
      Normalized(codec::FromProto(TutorialConfiguration()));
  const speckd::v1::SpeckConfiguration theirs = Normalized(*example);
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(ours, theirs)) << diff;
}

TEST(TutorialEventsTest, FollowsTheTutorialsTimingAndHalves) {
  const std::vector<chip::InputEvent> events =
      TutorialEvents(kDefaultPatternRateHz, kDefaultPatternDuration);
  ASSERT_EQ(events.size(), 25001u);
  EXPECT_EQ(events.front().timestamp_us, 5000u);
  EXPECT_EQ(events.back().timestamp_us, 5005000u);
  std::set<int> xs;
  std::set<bool> ps;
  for (size_t i = 0; i < events.size(); ++i) {
    const chip::InputEvent& e = events[i];
    ASSERT_EQ(e.kind, chip::InputEvent::Kind::kDvsEvent);
    ASSERT_EQ(e.timestamp_us, 5000 + 200 * i);
    ASSERT_LT(e.x, 16);
    ASSERT_EQ(e.y < 8, e.timestamp_us < 2500000) << "event " << i;
    ASSERT_LT(e.y, 16);
    xs.insert(e.x);
    ps.insert(e.p);
  }
  EXPECT_EQ(xs.size(), 16u);
  EXPECT_EQ(ps.size(), 2u);
}

TEST(TutorialEventsTest, IsDeterministic) {
  const auto a = TutorialEvents(1000, absl::Seconds(1));
  const auto b = TutorialEvents(1000, absl::Seconds(1));
  ASSERT_EQ(a.size(), 1001u);
  EXPECT_EQ(a.back().timestamp_us, 1005000u);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].x, b[i].x);
    ASSERT_EQ(a[i].y, b[i].y);
    ASSERT_EQ(a[i].p, b[i].p);
  }
}

// The generated input through the chip model gives sinabs' result.
TEST(TutorialEventsTest, GivesSinabsCountsThroughTheChipModel) {
  auto model =
      chip::ChipModel::Create(codec::FromProto(TutorialConfiguration()));
  ASSERT_TRUE(model.ok()) << model.status();
  const auto events =
      TutorialEvents(kDefaultPatternRateHz, kDefaultPatternDuration);
  chip::OutputBatch out;
  (*model)->Process(events.data(), events.size(), &out);
  std::map<int, uint64_t> per_feature;
  std::map<uint64_t, std::vector<int>> windows;
  for (const chip::Spike& s : out.spikes) {
    if (s.layer != 0) continue;
    ++per_feature[s.feature];
    auto& w = windows[s.timestamp_us / 50000];
    w.resize(2);
    ++w[s.feature];
  }
  EXPECT_EQ(per_feature[0], 12475u);
  EXPECT_EQ(per_feature[1], 12526u);
  EXPECT_EQ(windows[0], (std::vector<int>{225, 0}));
  EXPECT_EQ(windows[100], (std::vector<int>{0, 26}));
}

TEST(PatternEventsTest, UniformCoversTheArrayAndBadArgumentsAreRejected) {
  auto uniform = PatternEvents("uniform", 5000, absl::Seconds(1));
  ASSERT_TRUE(uniform.ok());
  ASSERT_EQ(uniform->size(), 5001u);
  int max_x = 0, max_y = 0;
  for (const chip::InputEvent& e : *uniform) {
    max_x = std::max<int>(max_x, e.x);
    max_y = std::max<int>(max_y, e.y);
  }
  EXPECT_GT(max_x, 100);
  EXPECT_GT(max_y, 100);

  auto unknown = PatternEvents("sine", 5000, absl::Seconds(1));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("--pattern=sine"));
  EXPECT_FALSE(PatternEvents("tutorial", 0, absl::Seconds(1)).ok());
  EXPECT_FALSE(PatternEvents("tutorial", 5000, -absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace speckd::cli
