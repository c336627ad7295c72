// SamnaDevice: a Speck2e devkit driven through the samna bridge, behind the
// Device seam. The board plays inputs by its own stop watch, so the device
// keeps accepted inputs in its bounded queue and hands the bridge only those
// due within `lead` of the stop watch (speckd's estimate of it), which keeps
// CancelInputs, resets and new configurations meaningful. samna has no
// flush: a Flush completes once the stop watch is `quiet` past the last
// input and the bridge has drained the board's sink.
//
// Outputs arrive on the bridge's reader thread and wait in a bounded queue
// (overflow dropped and counted) for the device thread, which delivers
// them. Time reported to listeners (DeviceOutput::time_us) trails the stop
// watch by `output_lag`, the time a board's output may take to reach speckd.
//
//   std::unique_ptr<Device> device = NewSamnaDevice(descriptor, link, {});
#ifndef SPECKD_DRIVER_SAMNA_SAMNA_DEVICE_H_
#define SPECKD_DRIVER_SAMNA_SAMNA_DEVICE_H_

#include <cstddef>
#include <memory>

#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/samna/board_link.h"

namespace speckd::driver::samna {

struct SamnaDeviceOptions {
  // Paces inputs and the heartbeat; not owned.
  Clock* clock = RealClock();
  size_t input_queue_capacity = size_t{1} << 21;
  // Output events waiting for the listener, at most.
  size_t output_queue_capacity = size_t{1} << 21;
  absl::Duration lead = absl::Milliseconds(200);
  absl::Duration quiet = absl::Milliseconds(100);
  absl::Duration output_lag = absl::Milliseconds(100);
  absl::Duration call_timeout = absl::Seconds(10);
  // samna's apply_configuration takes a while (sinabs sleeps 1 s after it).
  absl::Duration apply_timeout = absl::Seconds(30);
  // Inputs per bridge write, at most.
  size_t write_chunk = 16384;
};

// The device for the board `link` names; its stop watch was reset and
// started when the bridge opened the board.
std::unique_ptr<Device> NewSamnaDevice(const DeviceDescriptor& descriptor,
                                       std::shared_ptr<BoardLink> link,
                                       const SamnaDeviceOptions& options);

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_SAMNA_DEVICE_H_
