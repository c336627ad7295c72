#include "server/recording/replay.h"

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "driver/util/mutex.h"
#include "proto/recording/record_reader.h"

namespace speckd::server {
namespace {

namespace v1 = ::speckd::v1;

// One write, waited for; how it went.
absl::StatusOr<WriteResult> WriteAndWait(ManagedDevice* device,
                                         api::EventApi* events,
                                         const std::string& lease_id,
                                         const v1::WriteEventsRequest& request,
                                         bool flush) {
  Notification done;  // speckd's: TSan sees its ordering (mutex.h)
  absl::StatusOr<WriteResult> result = absl::UnknownError("not written");
  absl::Status submitted = events->Write(device, lease_id, request, flush,
                                         api::EventApi::kMaxWriteWait,
                                         [&](absl::StatusOr<WriteResult> r) {
                                           result = std::move(r);
                                           done.Notify();
                                         });
  if (!submitted.ok()) return submitted;
  done.WaitForNotification();
  return result;
}

absl::Status Prepare(ManagedDevice* device,
                     const v1::ReplayRecordingRequest& request) {
  if (request.has_pacing()) {
    absl::StatusOr<driver::Pacing> pacing = device->SetPacing(
        request.lease_id(), request.pacing() == v1::AS_FAST_AS_POSSIBLE
                                ? driver::Pacing::kAsFastAsPossible
                                : driver::Pacing::kRealTime);
    if (!pacing.ok()) return pacing.status();
  }
  if (!request.keep_stop_watch()) {
    absl::StatusOr<driver::StopWatchState> reset =
        device->SetStopWatch(request.lease_id(), std::nullopt, /*reset=*/true);
    if (!reset.ok()) return reset.status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ReplayRecordingResponse> ReplayInputs(
    const std::string& path, ManagedDevice* device, api::EventApi* events,
    const v1::ReplayRecordingRequest& request) {
  absl::StatusOr<std::unique_ptr<recording::RecordReader>> reader =
      recording::RecordReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::optional<uint32_t> inputs_stream;
  for (const v1::RecordedStream& s : (*reader)->header().streams()) {
    if (s.kind() == v1::INPUTS) inputs_stream = s.id();
  }
  if (!inputs_stream.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "recording '", request.name(), "' has no inputs to replay"));
  }
  if (absl::Status s = device->CheckLease(request.lease_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = Prepare(device, request); !s.ok()) return s;
  v1::ReplayRecordingResponse response;
  while (std::optional<recording::Record> r = (*reader)->Next()) {
    if (r->type != recording::RecordType::kData ||
        r->stream != *inputs_stream) {
      continue;
    }
    v1::RecordedInputs inputs;
    v1::WriteEventsRequest write;
    if (!inputs.ParseFromString(r->body)) {
      return absl::DataLossError(
          absl::StrCat("record at byte ", r->offset, " is not inputs (after ",
                       response.events_written(), " events)"));
    }
    write.set_device_id(device->id());
    write.set_lease_id(request.lease_id());
    if (!inputs.dvs_events().timestamp_us().empty()) {
      *write.mutable_dvs_columns() = std::move(*inputs.mutable_dvs_events());
    }
    if (!inputs.spikes().timestamp_us().empty()) {
      *write.mutable_spike_columns() = std::move(*inputs.mutable_spikes());
    }
    absl::StatusOr<WriteResult> written =
        WriteAndWait(device, events, request.lease_id(), write, false);
    if (!written.ok()) {
      return absl::Status(
          written.status().code(),
          absl::StrCat(written.status().message(), " (after ",
                       response.events_written(), " events of the recording)"));
    }
    response.set_events_written(response.events_written() + written->accepted);
    response.set_last_timestamp_us(written->last_timestamp_us);
  }
  if (!(*reader)->problem().ok()) {
    return absl::DataLossError(absl::StrCat(
        (*reader)->problem().message(), " (", response.events_written(),
        " events were replayed before it)"));
  }
  // Windows close up to the last input, as at the end of a write stream.
  v1::WriteEventsRequest flush;
  flush.set_device_id(device->id());
  flush.set_lease_id(request.lease_id());
  absl::StatusOr<WriteResult> flushed =
      WriteAndWait(device, events, request.lease_id(), flush, true);
  if (!flushed.ok()) return flushed.status();
  response.set_stop_watch_epoch(device->Snapshot().stop_watch.epoch);
  return response;
}

}  // namespace speckd::server
