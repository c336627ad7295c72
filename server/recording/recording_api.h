// RecordingApi: the logic of speckd.v1.RecordingService, gRPC-free. It owns
// the recordings directory (<data_dir>/recordings, one NAME.speckrec file per
// recording), the recorders running now, and the limits: a size cap per
// recording and a quota for all of them together (either ends a recording
// with RESOURCE_EXHAUSTED; the file stays valid and the daemon serves on).
//
//   RecordingApi recordings(&devices, &event_api, clock, options);
//   recordings.StartRecording(request, &recording);
#ifndef SPECKD_SERVER_RECORDING_RECORDING_API_H_
#define SPECKD_SERVER_RECORDING_RECORDING_API_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"
#include "proto/speckd/v1/recording_service.pb.h"
#include "server/api/event_api.h"
#include "server/devices/device_manager.h"
#include "server/recording/recorder.h"

namespace speckd::server {

struct RecordingOptions {
  // Where recordings live (created when the first one starts).
  std::string data_dir;
  uint64_t max_recording_bytes = uint64_t{16} << 30;
  uint64_t quota_bytes = uint64_t{64} << 30;
  std::string speckd_version;
  // Tests only: a disk this much slower, per flush (see RecorderParams).
  absl::Duration slow_disk = absl::ZeroDuration();
};

// The data directory speckd uses when --data_dir is not given:
// $STATE_DIRECTORY (systemd's StateDirectory=), else $XDG_STATE_HOME/speckd,
// else ~/.local/state/speckd.
std::string DefaultDataDir();

class RecordingApi {
 public:
  static constexpr size_t kChunkBytes = size_t{1} << 20;

  // All must outlive the API.
  RecordingApi(DeviceManager* devices, api::EventApi* events,
               driver::Clock* clock, const RecordingOptions& options);
  // Stops every recording (each ends cleanly with UNAVAILABLE: shutdown).
  ~RecordingApi();

  absl::Status StartRecording(const v1::StartRecordingRequest& request,
                              v1::Recording* out);
  absl::Status StopRecording(const v1::StopRecordingRequest& request,
                             v1::Recording* out);
  absl::Status ListRecordings(const v1::ListRecordingsRequest& request,
                              v1::ListRecordingsResponse* out);
  absl::Status GetRecording(const v1::GetRecordingRequest& request,
                            v1::Recording* out);
  absl::Status DeleteRecording(const v1::DeleteRecordingRequest& request,
                               v1::DeleteRecordingResponse* out);
  // Up to kChunkBytes of recording `name` from `offset`; `*total` is the
  // file's size now. Empty at the end.
  absl::StatusOr<std::string> ReadChunk(const std::string& name,
                                        uint64_t offset, uint64_t* total);

  // Replays on a thread of its own (replay.h); `done` once the device has
  // accepted the recording's inputs, or with why not. At most kMaxReplays
  // run at once (RESOURCE_EXHAUSTED beyond).
  static constexpr int kMaxReplays = 4;
  void ReplayRecording(const v1::ReplayRecordingRequest& request,
                       v1::ReplayRecordingResponse* out,
                       std::function<void(absl::Status)> done);

  // Stops every recording with `why` (shutdown). Idempotent.
  void StopAll(const absl::Status& why);

 private:
  std::string PathOf(const std::string& name) const;
  // NOT_FOUND naming the recordings there are, for an unknown name.
  absl::Status CheckExists(const std::string& name) const;
  // Bytes all recording files take now.
  uint64_t TotalBytes() const;
  absl::StatusOr<std::string> NameFor(const std::string& asked) const;
  // Lets go of recorders that ended by themselves (their files are done).
  void ReapEndedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  DeviceManager* const devices_;
  api::EventApi* const events_;
  driver::Clock* const clock_;
  const RecordingOptions options_;
  const std::string dir_;

  // Guards the recorders by name; held while starting and stopping one
  // (which take the device's locks and the hub's), never by a recorder.
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<Recorder>> recorders_
      ABSL_GUARDED_BY(mu_);

  // Replay threads (joined at destruction) and how many still run; a leaf.
  Mutex replay_mu_;
  std::vector<std::thread> replays_ ABSL_GUARDED_BY(replay_mu_);
  int running_replays_ ABSL_GUARDED_BY(replay_mu_) = 0;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_RECORDING_RECORDING_API_H_
