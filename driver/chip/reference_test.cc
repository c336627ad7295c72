// The chip model against every golden case made with the real sinabs
// (../shared/reference): the configuration a sinabs user uploads, fed the
// case's events, must give Part A's spikes exactly and in order, the final
// membrane state, and (for non-negative weights) sinabs' own totals.
#include <string>

#include "driver/chip/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reference/reference_case.h"

namespace speckd::chip {
namespace {

struct RunResult {
  std::vector<Spike> spikes;
  std::unique_ptr<ChipModel> model;
};

RunResult RunCase(const testing::ReferenceCase& c) {
  RunResult result;
  absl::StatusOr<std::unique_ptr<ChipModel>> model =
      ChipModel::Create(c.config);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return result;
  OutputBatch out;
  for (const InputEvent& input : c.inputs) (*model)->Process(input, &out);
  // The run ends at the last input's timestamp.
  (*model)->AdvanceTo(c.inputs.back().timestamp_us, &out);
  result.spikes = out.spikes;
  result.model = *std::move(model);
  return result;
}

std::string Describe(const Spike& s) {
  return "[t=" + std::to_string(s.timestamp_us) +
         " core=" + std::to_string(s.layer) +
         " f=" + std::to_string(s.feature) + " y=" + std::to_string(s.y) +
         " x=" + std::to_string(s.x) + "]";
}

class ReferenceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!testing::ReferenceCasesPresent()) {
      GTEST_SKIP() << testing::kNoReferenceCases;
    }
  }
};

TEST_P(ReferenceTest, SpikesMatchPartAExactlyAndInOrder) {
  absl::StatusOr<testing::ReferenceCase> c =
      testing::LoadReferenceCase(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  RunResult run = RunCase(*c);
  ASSERT_NE(run.model, nullptr);
  ASSERT_EQ(run.spikes.size(), c->expected_spikes.size());
  for (size_t i = 0; i < run.spikes.size(); ++i) {
    ASSERT_EQ(run.spikes[i], c->expected_spikes[i])
        << "first difference at spike " << i << ": got "
        << Describe(run.spikes[i]) << ", expected "
        << Describe(c->expected_spikes[i]);
  }
}

TEST_P(ReferenceTest, FinalMembraneStateMatches) {
  absl::StatusOr<testing::ReferenceCase> c =
      testing::LoadReferenceCase(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  RunResult run = RunCase(*c);
  ASSERT_NE(run.model, nullptr);
  ASSERT_FALSE(c->expected_final_v_mem.empty());
  for (const auto& [core, expected] : c->expected_final_v_mem) {
    EXPECT_EQ(run.model->NeuronStates(core), expected) << "core " << core;
  }
}

TEST_P(ReferenceTest, PerFeatureTotalsMatch) {
  absl::StatusOr<testing::ReferenceCase> c =
      testing::LoadReferenceCase(GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  RunResult run = RunCase(*c);
  const auto& out_shape =
      c->config.cnn_layers[c->output_core].dimensions.output_shape;
  std::vector<int64_t> per_feature(out_shape.feature_count, 0);
  std::vector<int64_t> per_neuron(static_cast<size_t>(out_shape.feature_count) *
                                      out_shape.size.y * out_shape.size.x,
                                  0);
  for (const Spike& s : run.spikes) {
    if (s.layer != c->output_core) continue;
    ++per_feature[s.feature];
    ++per_neuron[(static_cast<size_t>(s.feature) * out_shape.size.y + s.y) *
                     out_shape.size.x +
                 s.x];
  }
  EXPECT_EQ(per_feature, c->expected_per_feature_totals);
  // With non-negative weights sinabs' time-stepped totals agree exactly; with
  // mixed signs they differ legitimately (order within a step).
  if (GetParam() != "mixed_sign_bias") {
    EXPECT_EQ(per_feature, c->sinabs_per_feature_totals);
    EXPECT_EQ(per_neuron, c->sinabs_per_neuron_totals);
  }
}

INSTANTIATE_TEST_SUITE_P(SinabsGoldenCases, ReferenceTest,
                         ::testing::ValuesIn(testing::ReferenceCaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(TutorialTest, FiftyMillisecondWindowsMatchSinabs) {
  if (!testing::ReferenceCasesPresent()) {
    GTEST_SKIP() << testing::kNoReferenceCases;
  }
  absl::StatusOr<testing::ReferenceCase> c =
      testing::LoadReferenceCase("tutorial_spike_count");
  ASSERT_TRUE(c.ok()) << c.status();
  RunResult run = RunCase(*c);
  ASSERT_EQ(run.spikes.size(), 25001u);
  std::vector<std::vector<int64_t>> windows(c->sinabs_window_counts.size(),
                                            std::vector<int64_t>(2, 0));
  for (const Spike& s : run.spikes)
    ++windows[s.timestamp_us / 50000][s.feature];
  EXPECT_EQ(windows, c->sinabs_window_counts);
  EXPECT_EQ(windows.front(), (std::vector<int64_t>{225, 0}));
  EXPECT_EQ(windows.back(), (std::vector<int64_t>{0, 26}));
}

}  // namespace
}  // namespace speckd::chip
