// The DVS layer's region of interest, in one place for the chip model,
// validation and activity frames: which pixels pass the DVS layer and the
// coordinates they leave it with.
//
// A sensor pixel (x, y) is pooled to (x / pooling.x, y / pooling.y). It
// passes when origin <= pooled <= cut on both axes, and leaves as
// pooled - origin, mirrored to cut - pooled on the axes with mirror set, with
// x and y swapped when mirror_diagonal is set.
//
//   const Vec2 size = DvsOutputSize(config.dvs_layer);   // a heatmap's size
//   int x, y;
//   if (MapDvsPixel(config.dvs_layer, event.x, event.y, &x, &y)) ...
#ifndef SPECKD_DRIVER_CHIP_DVS_REGION_H_
#define SPECKD_DRIVER_CHIP_DVS_REGION_H_

#include <cstdint>
#include <utility>

#include "driver/chip/config.h"

namespace speckd::chip {

// Output coordinates along one axis are 0..extent-1; 0 when no pixel passes
// or `pooling` is 0. Pooled coordinates stop at the map's edge, but mirroring
// counts from cut, so a mirrored axis spans cut - origin + 1 even when cut
// lies beyond the pooled map (its first coordinates then stay unused).
uint32_t DvsAxisExtent(uint32_t pooling, uint32_t origin, uint32_t cut,
                       bool mirror);

// The DVS layer's output map, width x height (after the diagonal swap);
// {0, 0} when no pixel passes.
Vec2 DvsOutputSize(const DvsLayerConfig& dvs);

// Where sensor pixel (x, y) leaves the DVS layer; false if it does not pass.
// Pooling must be valid (1, 2 or 4). Inline: the model calls it per event.
inline bool MapDvsPixel(const DvsLayerConfig& dvs, int x, int y, int* out_x,
                        int* out_y) {
  const int px = x / static_cast<int>(dvs.pooling.x);
  const int py = y / static_cast<int>(dvs.pooling.y);
  const int ox = static_cast<int>(dvs.origin.x);
  const int oy = static_cast<int>(dvs.origin.y);
  const int cx = static_cast<int>(dvs.cut.x);
  const int cy = static_cast<int>(dvs.cut.y);
  if (px < ox || px > cx || py < oy || py > cy) return false;
  int rx = dvs.mirror.x ? cx - px : px - ox;
  int ry = dvs.mirror.y ? cy - py : py - oy;
  if (dvs.mirror_diagonal) std::swap(rx, ry);
  *out_x = rx;
  *out_y = ry;
  return true;
}

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_DVS_REGION_H_
