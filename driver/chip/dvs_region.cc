#include "driver/chip/dvs_region.h"

#include <algorithm>

namespace speckd::chip {

uint32_t DvsAxisExtent(uint32_t pooling, uint32_t origin, uint32_t cut,
                       bool mirror) {
  if (pooling == 0) return 0;
  const uint32_t last =
      std::min<uint32_t>(cut, static_cast<uint32_t>(kDvsSize) / pooling - 1);
  if (origin > last) return 0;
  return mirror ? cut - origin + 1 : last - origin + 1;
}

Vec2 DvsOutputSize(const DvsLayerConfig& dvs) {
  Vec2 size{
      DvsAxisExtent(dvs.pooling.x, dvs.origin.x, dvs.cut.x, dvs.mirror.x),
      DvsAxisExtent(dvs.pooling.y, dvs.origin.y, dvs.cut.y, dvs.mirror.y)};
  if (size.x == 0 || size.y == 0) return {0, 0};
  if (dvs.mirror_diagonal) std::swap(size.x, size.y);
  return size;
}

}  // namespace speckd::chip
