// Replaying a recording: its inputs, read record by record (never the whole
// file), written into a device through the same writer and checks as a
// client's WriteEvents, as the holder of the device's lease, timestamps
// unchanged. Blocking: RecordingApi runs it on a thread of its own.
//
//   absl::StatusOr<v1::ReplayRecordingResponse> done =
//       ReplayInputs(path, device, &event_api, request);
#ifndef SPECKD_SERVER_RECORDING_REPLAY_H_
#define SPECKD_SERVER_RECORDING_REPLAY_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/speckd/v1/recording_service.pb.h"
#include "server/api/event_api.h"
#include "server/devices/managed_device.h"

namespace speckd::server {

// FAILED_PRECONDITION for a recording without inputs; the device's own
// errors (lease, configuration, an input the configuration refuses) as a
// write's, saying how many events went in first; DATA_LOSS where the file is
// damaged (what came before it was written).
absl::StatusOr<speckd::v1::ReplayRecordingResponse> ReplayInputs(
    const std::string& path, ManagedDevice* device, api::EventApi* events,
    const speckd::v1::ReplayRecordingRequest& request);

}  // namespace speckd::server

#endif  // SPECKD_SERVER_RECORDING_REPLAY_H_
