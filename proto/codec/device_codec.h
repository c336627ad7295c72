// A device's own facts (driver/device.h) in speckd.v1's terms: identity,
// stop watch, slow clock, pacing (both ways: SetPacing receives it) and
// counters. The server adds what only it knows (state, lease, writes).
#ifndef SPECKD_PROTO_CODEC_DEVICE_CODEC_H_
#define SPECKD_PROTO_CODEC_DEVICE_CODEC_H_

#include "driver/board.h"
#include "driver/device.h"
#include "proto/speckd/v1/device_service.pb.h"

namespace speckd::codec {

// Identity fields of `out` (id, type, serial, backend, USB location, logic).
void ToProto(const driver::DeviceDescriptor& descriptor,
             speckd::v1::Device* out);
void ToProto(const driver::StopWatchState& state, speckd::v1::StopWatch* out);
void ToProto(const driver::SlowClockState& state, speckd::v1::SlowClock* out);
// Counter fields of `out` (events in and out, queued, late, synops, ...).
void ToProto(const driver::DeviceCounters& counters, speckd::v1::Device* out);

speckd::v1::DeviceProblem ToProto(driver::BoardProblem::Kind kind);
speckd::v1::Pacing ToProto(driver::Pacing pacing);
driver::Pacing PacingFromProto(speckd::v1::Pacing pacing);

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_DEVICE_CODEC_H_
