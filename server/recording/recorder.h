// Recorder: one recording in progress, a LOSSLESS consumer inside the
// daemon. Each recorded output stream is a subscription (through EventApi,
// as a client's, but needing no lease); inputs come from the device's input
// tap; each feeds its own bounded LOSSLESS queue, and one thread writes what
// they hold to the file (RecordWriter), flushing every flush interval.
//
// If the file cannot keep up, the queues make the device (outputs) and its
// writers (inputs) wait, for at most the LOSSLESS stall budget; past it the
// queue is closed and the recording ends with RESOURCE_EXHAUSTED: the device
// never waits longer. A recording also ends by itself at its size limit, at
// the quota, on a write error (a full disk) or when the device is lost, each
// time with a status in its end record and the file valid.
//
//   auto r = Recorder::Start(params, &event_api, clock);
//   (*r)->Describe();        // counts and size so far
//   (*r)->Stop();            // drains the queues, writes the end record
#ifndef SPECKD_SERVER_RECORDING_RECORDER_H_
#define SPECKD_SERVER_RECORDING_RECORDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"
#include "proto/recording/record_writer.h"
#include "proto/speckd/v1/recording_service.pb.h"
#include "server/api/event_api.h"
#include "server/devices/managed_device.h"
#include "server/stream/subscriber.h"

namespace speckd::server {

namespace v1 = ::speckd::v1;

struct RecorderParams {
  std::string name;
  std::string path;
  ManagedDevice* device = nullptr;
  // What to keep (kinds; ids are assigned 1, 2, ...), and the spike filter.
  std::vector<v1::RecordingStream> streams;
  v1::EventFilter spike_filter;
  recording::RecordWriterOptions writer;
  absl::Duration flush_interval = absl::Milliseconds(200);
  // Asked before each flush with the bytes about to be written; non-OK ends
  // the recording with that status (the total quota).
  std::function<absl::Status(uint64_t bytes)> room;
  std::string speckd_version;
  // Tests only: each flush waits this long first, as on a disk slower than
  // the device (how a recording that falls behind is tested).
  absl::Duration slow_disk = absl::ZeroDuration();
};

class Recorder {
 public:
  // Creates the file, subscribes and starts writing. `events`, the device
  // and `clock` must outlive the recorder.
  static absl::StatusOr<std::unique_ptr<Recorder>> Start(RecorderParams params,
                                                         api::EventApi* events,
                                                         driver::Clock* clock);
  ~Recorder();  // Stop()

  // Ends the recording with `why` (OK: stopped by a client) after writing
  // what its queues hold; returns once the file is complete. Idempotent.
  void Stop(absl::Status why = absl::OkStatus());

  // The recording now: counts, size, whether it still records, and why it
  // ended.
  v1::Recording Describe() const;
  bool active() const;
  const std::string& name() const { return params_.name; }
  const std::string& path() const { return params_.path; }

 private:
  // A recorded stream: its id in the file and the queue that feeds it.
  struct Source {
    uint8_t stream = 0;
    v1::RecordingStream kind = v1::RECORDING_STREAM_UNSPECIFIED;
    std::shared_ptr<Subscriber> queue;
    std::function<void()> release;  // outputs: lets go of the subscription
  };

  Recorder(RecorderParams params, driver::Clock* clock);
  absl::Status Subscribe(api::EventApi* events);
  absl::Status AddSource(v1::RecordingStream kind, api::EventApi* events);
  void ListenToInputs(uint8_t stream);
  void Wake();
  void Loop();
  // Writes what the queues hold; the first failure (a queue that was closed
  // with a reason, once every queue is written out; a limit, a write
  // error), or OK.
  absl::Status Drain();
  absl::Status Write(const Source& source, const Subscriber::Delivery& d);
  bool InputsOnlyAndDeviceLost() const;
  // Lets go of the subscriptions and the input tap (once, from Stop or when
  // the recording ends by itself).
  void LetGo();
  void Finish(absl::Status why);

  const RecorderParams params_;
  driver::Clock* const clock_;
  v1::RecordingHeader header_;
  std::vector<Source> sources_;
  int tap_token_ = 0;
  std::once_flag let_go_;
  // The writer thread's, once started (before: Start's).
  std::unique_ptr<recording::RecordWriter> writer_;

  // Guards what Describe reports and the thread's wake-ups; a leaf.
  mutable Mutex mu_;
  CondVar cv_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stop_reason_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  v1::Recording described_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  bool stopped_ = false;  // Stop()'s own
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_RECORDING_RECORDER_H_
