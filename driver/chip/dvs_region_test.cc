#include "driver/chip/dvs_region.h"

#include <vector>

#include "driver/chip/events.h"
#include "driver/chip/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

TEST(DvsRegionTest, DefaultRegionIsTheWholeSensor) {
  EXPECT_EQ(DvsOutputSize(DvsLayerConfig{}), (Vec2{128, 128}));
}

TEST(DvsRegionTest, PoolingCutAndOriginShrinkIt) {
  DvsLayerConfig dvs;
  dvs.pooling = {2, 4};
  EXPECT_EQ(DvsOutputSize(dvs), (Vec2{64, 32}));
  dvs.origin = {10, 5};
  dvs.cut = {20, 6};
  EXPECT_EQ(DvsOutputSize(dvs), (Vec2{11, 2}));
  dvs.mirror_diagonal = true;
  EXPECT_EQ(DvsOutputSize(dvs), (Vec2{2, 11}));
}

TEST(DvsRegionTest, EmptyWhenOriginIsPastTheMapOrPoolingIsZero) {
  DvsLayerConfig dvs;
  dvs.pooling = {4, 4};
  dvs.origin = {40, 0};  // the pooled map ends at 31
  EXPECT_EQ(DvsOutputSize(dvs), (Vec2{0, 0}));
  dvs.origin = {0, 0};
  dvs.pooling = {0, 1};
  EXPECT_EQ(DvsOutputSize(dvs), (Vec2{0, 0}));
}

// The case that once emptied a heatmap: pooling 2 with mirror.x and the
// default cut 127. Pooled x runs 0..63, mirrored to 127 - x = 64..127, so the
// map is 128 wide, not 64.
TEST(DvsRegionTest, MirrorCountsFromCutBeyondThePooledMap) {
  DvsLayerConfig dvs;
  dvs.pooling = {2, 2};
  dvs.mirror.x = true;
  EXPECT_EQ(DvsOutputSize(dvs), (Vec2{128, 64}));
  int x = -1;
  int y = -1;
  ASSERT_TRUE(MapDvsPixel(dvs, 0, 0, &x, &y));
  EXPECT_EQ(x, 127);
  ASSERT_TRUE(MapDvsPixel(dvs, 127, 127, &x, &y));
  EXPECT_EQ(x, 64);
  EXPECT_EQ(y, 63);
}

// Every pixel the model lets through lands inside DvsOutputSize, and every
// one it refuses MapDvsPixel refuses too, for every pooling, mirror and
// diagonal setting over several regions.
TEST(DvsRegionTest, AgreesWithTheChipModelOnEveryPixel) {
  const std::vector<std::pair<Vec2, Vec2>> regions = {
      {{0, 0}, {127, 127}}, {{3, 5}, {40, 20}}, {{10, 0}, {127, 9}}};
  int configs = 0;
  for (uint32_t pool : {1u, 2u, 4u}) {
    for (const auto& [origin, cut] : regions) {
      for (int mirrors = 0; mirrors < 8; ++mirrors) {
        SpeckConfig config;
        DvsLayerConfig& dvs = config.dvs_layer;
        dvs.pooling = {pool, pool};
        dvs.origin = origin;
        dvs.cut = cut;
        dvs.mirror.x = mirrors & 1;
        dvs.mirror.y = mirrors & 2;
        dvs.mirror_diagonal = mirrors & 4;
        dvs.merge = true;
        dvs.monitor_enable = true;
        const Vec2 size = DvsOutputSize(dvs);
        absl::StatusOr<std::unique_ptr<ChipModel>> model =
            ChipModel::Create(config);
        ASSERT_TRUE(model.ok()) << model.status();
        OutputBatch out;
        int passed = 0;
        for (int py = 0; py < kDvsSize; ++py) {
          for (int px = 0; px < kDvsSize; ++px) {
            out.clear();
            (*model)->ProcessDvsEvent(
                {1, static_cast<uint8_t>(px), static_cast<uint8_t>(py), true},
                &out);
            int x = -1;
            int y = -1;
            const bool maps = MapDvsPixel(dvs, px, py, &x, &y);
            ASSERT_EQ(maps, out.spikes.size() == 1) << px << "," << py;
            if (!maps) continue;
            ++passed;
            EXPECT_EQ(out.spikes[0].x, x);
            EXPECT_EQ(out.spikes[0].y, y);
            ASSERT_LT(static_cast<uint32_t>(x), size.x);
            ASSERT_LT(static_cast<uint32_t>(y), size.y);
          }
        }
        EXPECT_GT(passed, 0);
        ++configs;
      }
    }
  }
  EXPECT_EQ(configs, 72);
}

}  // namespace
}  // namespace speckd::chip
