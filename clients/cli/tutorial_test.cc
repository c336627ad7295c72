#include "clients/cli/tutorial.h"

#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <memory>
#include <set>

#include "driver/chip/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/events_codec.h"
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
  const speckd::v1::WriteEventsRequest events =
      TutorialEvents(kDefaultPatternRateHz, kDefaultPatternDuration);
  EXPECT_FALSE(events.has_spikes());
  const speckd::v1::DvsEventBatch& dvs = events.dvs_events();
  ASSERT_EQ(dvs.timestamp_us_size(), 25001);
  ASSERT_EQ(dvs.x_size(), 25001);
  ASSERT_EQ(dvs.y_size(), 25001);
  ASSERT_EQ(dvs.p_size(), 25001);
  EXPECT_EQ(dvs.timestamp_us(0), 5000u);
  EXPECT_EQ(dvs.timestamp_us(25000), 5005000u);
  std::set<uint32_t> xs;
  std::set<bool> ps;
  for (int i = 0; i < dvs.timestamp_us_size(); ++i) {
    ASSERT_EQ(dvs.timestamp_us(i), 5000u + 200u * static_cast<uint64_t>(i));
    ASSERT_LT(dvs.x(i), 16u);
    ASSERT_EQ(dvs.y(i) < 8, dvs.timestamp_us(i) < 2500000) << "event " << i;
    ASSERT_LT(dvs.y(i), 16u);
    xs.insert(dvs.x(i));
    ps.insert(dvs.p(i));
  }
  EXPECT_EQ(xs.size(), 16u);
  EXPECT_EQ(ps.size(), 2u);
}

TEST(TutorialEventsTest, IsDeterministic) {
  const auto a = TutorialEvents(1000, absl::Seconds(1));
  const auto b = TutorialEvents(1000, absl::Seconds(1));
  ASSERT_EQ(a.dvs_events().timestamp_us_size(), 1001);
  EXPECT_EQ(a.dvs_events().timestamp_us(1000), 1005000u);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
}

// The generated input through the chip model gives sinabs' result.
TEST(TutorialEventsTest, GivesSinabsCountsThroughTheChipModel) {
  const chip::SpeckConfig config = codec::FromProto(TutorialConfiguration());
  auto model = chip::ChipModel::Create(config);
  ASSERT_TRUE(model.ok()) << model.status();
  // As the daemon takes them in.
  const absl::StatusOr<std::vector<chip::InputEvent>> events =
      codec::InputsFromProto(
          TutorialEvents(kDefaultPatternRateHz, kDefaultPatternDuration),
          config);
  ASSERT_TRUE(events.ok()) << events.status();
  chip::OutputBatch out;
  (*model)->Process(events->data(), events->size(), &out);
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
  const speckd::v1::DvsEventBatch& dvs = uniform->dvs_events();
  ASSERT_EQ(dvs.timestamp_us_size(), 5001);
  uint32_t max_x = 0, max_y = 0;
  for (int i = 0; i < dvs.timestamp_us_size(); ++i) {
    max_x = std::max(max_x, dvs.x(i));
    max_y = std::max(max_y, dvs.y(i));
  }
  EXPECT_GT(max_x, 100u);
  EXPECT_GT(max_y, 100u);

  auto unknown = PatternEvents("sine", 5000, absl::Seconds(1));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("--pattern=sine"));
  EXPECT_FALSE(PatternEvents("tutorial", 0, absl::Seconds(1)).ok());
  EXPECT_FALSE(PatternEvents("tutorial", 5000, -absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace speckd::cli
