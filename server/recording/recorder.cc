#include "server/recording/recorder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/events_codec.h"
#include "server/log/log.h"

namespace speckd::server {
namespace {

// The writer's buffer is written out at the latest when it holds this much
// (and every flush interval): what the recorder holds stays bounded.
constexpr size_t kFlushBytes = size_t{4} << 20;
// What one drain round takes from each queue, at most.
constexpr size_t kDrainQuota = size_t{1} << 20;

// What each queue may hold: LOSSLESS, the daemon's bounded stall.
SubscriberOptions QueueOptions(driver::Clock* clock) {
  SubscriberOptions options;
  options.policy = OverflowPolicy::kLossless;
  options.max_messages = 4096;
  options.max_bytes = size_t{16} << 20;
  options.clock = clock;
  return options;
}

v1::SubscriptionOptions Lossless() {
  v1::SubscriptionOptions options;
  options.set_overflow_policy(v1::LOSSLESS);
  return options;
}

int64_t UnixMicros(driver::Clock* clock) {
  return absl::ToUnixMicros(clock->Now());
}

}  // namespace

Recorder::Recorder(RecorderParams params, driver::Clock* clock)
    : params_(std::move(params)), clock_(clock) {}

absl::StatusOr<std::unique_ptr<Recorder>> Recorder::Start(
    RecorderParams params, api::EventApi* events, driver::Clock* clock) {
  std::unique_ptr<Recorder> r(new Recorder(std::move(params), clock));
  const DeviceSnapshot device = r->params_.device->Snapshot();
  v1::RecordingHeader& h = r->header_;
  h.set_format_version(recording::kFormatVersion);
  h.set_speckd_version(r->params_.speckd_version);
  h.set_name(r->params_.name);
  h.set_device_id(device.descriptor.id);
  h.set_serial_number(device.descriptor.serial_number);
  h.set_device_type(device.descriptor.type_name);
  if (r->params_.device->configured()) {
    h.set_configured(true);
    codec::ToProto(*r->params_.device->configuration(),
                   h.mutable_configuration());
  }
  h.set_stop_watch_epoch(device.stop_watch.epoch);
  h.set_start_stop_watch_us(device.stop_watch.time_us);
  h.set_started_unix_us(UnixMicros(clock));
  h.set_epoch_start_unix_us(h.started_unix_us() -
                            static_cast<int64_t>(device.stop_watch.time_us));
  for (size_t i = 0; i < r->params_.streams.size(); ++i) {
    v1::RecordedStream* s = h.add_streams();
    s->set_id(static_cast<uint32_t>(i + 1));
    s->set_kind(r->params_.streams[i]);
    if (s->kind() == v1::SPIKES) *s->mutable_filter() = r->params_.spike_filter;
  }
  absl::StatusOr<std::unique_ptr<recording::RecordWriter>> writer =
      recording::RecordWriter::Create(r->params_.path, h, r->params_.writer);
  if (!writer.ok()) return writer.status();
  r->writer_ = *std::move(writer);
  if (absl::Status s = r->Subscribe(events); !s.ok()) {
    r->Stop(s);
    return s;
  }
  {
    MutexLock lock(&r->mu_);
    r->described_.set_active(true);
    r->described_.set_size_bytes(r->writer_->bytes());
  }
  r->thread_ = std::thread([p = r.get()] { p->Loop(); });
  log::Info("recording_started",
            {{"recording", r->params_.name}, {"device", h.device_id()}});
  return r;
}

absl::Status Recorder::Subscribe(api::EventApi* events) {
  for (const v1::RecordedStream& s : header_.streams()) {
    if (absl::Status added = AddSource(s.kind(), events); !added.ok()) {
      return added;
    }
  }
  return absl::OkStatus();
}

absl::Status Recorder::AddSource(v1::RecordingStream kind,
                                 api::EventApi* events) {
  Source source;
  source.stream = static_cast<uint8_t>(sources_.size() + 1);
  source.kind = kind;
  absl::StatusOr<api::Subscription> subscribed;
  const std::string& device = header_.device_id();
  switch (kind) {
    case v1::INPUTS:
      source.queue = std::make_shared<Subscriber>(QueueOptions(clock_));
      sources_.push_back(source);
      ListenToInputs(source.stream);
      return absl::OkStatus();
    case v1::SPIKES:
    case v1::DVS_MONITOR:
    case v1::NOTICES: {
      v1::SubscribeEventsRequest request;
      request.set_device_id(device);
      if (kind == v1::SPIKES) *request.mutable_filter() = params_.spike_filter;
      if (kind == v1::DVS_MONITOR) {
        request.mutable_filter()->add_types(v1::DVS_EVENT);
      }
      *request.mutable_options() = Lossless();
      subscribed = events->SubscribeForRecording(request);
      break;
    }
    case v1::READOUT: {
      v1::SubscribeReadoutRequest request;
      request.set_device_id(device);
      *request.mutable_options() = Lossless();
      subscribed = events->SubscribeForRecording(request);
      break;
    }
    case v1::POWER: {
      v1::SubscribePowerRequest request;
      request.set_device_id(device);
      *request.mutable_options() = Lossless();
      subscribed = events->SubscribeForRecording(request);
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "streams: ", v1::RecordingStream_Name(kind), " cannot be recorded"));
  }
  if (!subscribed.ok()) return subscribed.status();
  source.queue = subscribed->subscriber;
  source.release = subscribed->release;
  source.queue->SetReadyCallback([this] { Wake(); });
  sources_.push_back(std::move(source));
  return absl::OkStatus();
}

void Recorder::ListenToInputs(uint8_t stream) {
  std::shared_ptr<Subscriber> queue = sources_.back().queue;
  queue->SetReadyCallback([this] { Wake(); });
  tap_token_ = params_.device->input_tap()->Add(
      [queue](absl::Span<const chip::InputEvent> events) {
        v1::RecordedInputs inputs;
        codec::AppendColumns(events, inputs.mutable_dvs_events(),
                             inputs.mutable_spikes());
        auto payload = std::make_shared<Payload>();
        payload->bytes = inputs.SerializeAsString();
        payload->items = events.size();
        queue->Push(std::move(payload));  // may wait: LOSSLESS
      });
  (void)stream;
}

void Recorder::Wake() {
  MutexLock lock(&mu_);
  wake_ = true;
  cv_.Signal();
}

absl::Status Recorder::Drain() {
  // Round-robin, kDrainQuota bytes from each queue per round: one busy
  // stream cannot use up the others' stall budget while it is written.
  absl::Status ended;  // the first queue closed with a reason
  bool more = true;
  while (more && writer_->buffered() < kFlushBytes) {
    more = false;
    for (Source& source : sources_) {
      // Closed before it is found empty: everything pushed before the close
      // is written by the time it is.
      const bool closed = source.queue->closed();
      size_t taken = 0;
      bool emptied = false;
      while (taken < kDrainQuota) {
        std::optional<Subscriber::Delivery> d = source.queue->Pop();
        if (!d.has_value()) {
          emptied = true;
          break;
        }
        taken += d->payload->bytes.size();
        if (absl::Status s = Write(source, *d); !s.ok()) return s;
      }
      if (!emptied) {
        more = true;
      } else if (closed && !source.queue->close_reason().ok() && ended.ok()) {
        ended = source.queue->close_reason();
        if (absl::IsResourceExhausted(ended)) {
          ended = absl::ResourceExhaustedError(absl::StrCat(
              "the recording fell behind the device (is its disk too "
              "slow?): ",
              ended.message()));
        }
      }
    }
  }
  // A queue that ended (it fell behind, the device was lost) ends the
  // recording once every queue is written out.
  return more ? absl::OkStatus() : ended;
}

absl::Status Recorder::Write(const Source& source,
                             const Subscriber::Delivery& d) {
  // NOTICES alone rides on a spike subscription: only its notices go in.
  const bool notice = d.payload->bytes.size() >= 2 &&
                      d.payload->bytes[0] == '\x8a' &&
                      d.payload->bytes[1] == '\x01';
  if (source.kind == v1::NOTICES && !notice) return absl::OkStatus();
  // The notices stream counts notices; the others count their data.
  const uint64_t items = source.kind == v1::NOTICES ? 1 : d.payload->items;
  // Inputs are RecordedInputs; outputs the StreamMessage as received.
  return source.kind == v1::INPUTS
             ? writer_->Append(source.stream, items, {d.payload->bytes})
             : writer_->Append(source.stream, items,
                               {d.header, d.payload->bytes});
}

bool Recorder::InputsOnlyAndDeviceLost() const {
  for (const Source& source : sources_) {
    if (source.kind != v1::INPUTS) return false;
  }
  return params_.device->Snapshot().state == DeviceState::kLost;
}

void Recorder::LetGo() {
  std::call_once(let_go_, [this] {
    if (tap_token_ != 0) params_.device->input_tap()->Remove(tap_token_);
    for (Source& source : sources_) {
      if (source.release) source.release();
    }
  });
}

void Recorder::Loop() {
  absl::Time next_flush = clock_->Now() + params_.flush_interval;
  absl::Status ended;
  bool more = false;  // the last drain stopped at kFlushBytes
  for (;;) {
    bool stopping = false;
    {
      MutexLock lock(&mu_);
      while (!more && !wake_ && !stop_ && clock_->Now() < next_flush) {
        clock_->WaitUntil(&cv_, &mu_, next_flush);
      }
      wake_ = false;
      stopping = stop_;
      if (stopping) ended = stop_reason_;
    }
    absl::Status s = Drain();
    // Only inputs: no subscription tells of a lost device; its state does.
    if (s.ok() && InputsOnlyAndDeviceLost()) {
      s = absl::UnavailableError(
          absl::StrCat("device ", header_.device_id(), " was lost"));
    }
    more = writer_->buffered() >= kFlushBytes;
    if (s.ok() && (stopping || more || clock_->Now() >= next_flush)) {
      s = params_.room ? params_.room(writer_->bytes()) : absl::OkStatus();
      if (params_.slow_disk > absl::ZeroDuration()) {
        absl::SleepFor(params_.slow_disk);
      }
      if (s.ok()) {
        s = writer_->Flush(params_.device->Snapshot().stop_watch.time_us);
      }
      next_flush = clock_->Now() + params_.flush_interval;
    }
    {
      MutexLock lock(&mu_);
      described_.set_size_bytes(writer_->bytes());
      *described_.mutable_counts() = {writer_->counts().begin(),
                                      writer_->counts().end()};
    }
    if (!s.ok()) {
      ended = s;
      break;
    }
    if (stopping && !more) break;
  }
  Finish(ended);
}

void Recorder::Finish(absl::Status why) {
  // No producer waits on a queue of an ended recording, and nothing more
  // comes in.
  for (Source& source : sources_) {
    source.queue->Close(absl::CancelledError("the recording ended"));
  }
  LetGo();
  v1::RecordingEnd end;
  end.set_status_code(static_cast<int32_t>(why.code()));
  end.set_status_message(std::string(why.message()));
  end.set_end_stop_watch_us(params_.device->Snapshot().stop_watch.time_us);
  end.set_ended_unix_us(UnixMicros(clock_));
  const absl::Status finished = writer_->Finish(end);
  MutexLock lock(&mu_);
  ended_ = true;
  described_.set_active(false);
  described_.set_ended_cleanly(finished.ok());
  described_.set_end_status_code(end.status_code());
  described_.set_end_status_message(end.status_message());
  described_.set_ended_unix_us(end.ended_unix_us());
  described_.set_end_stop_watch_us(end.end_stop_watch_us());
  described_.set_size_bytes(writer_->bytes());
  *described_.mutable_counts() = {writer_->counts().begin(),
                                  writer_->counts().end()};
  log::Info("recording_ended",
            {{"recording", params_.name},
             {"status", why.ok() ? "stopped" : std::string(why.message())},
             {"bytes", writer_->bytes()}});
}

void Recorder::Stop(absl::Status why) {
  if (stopped_) return;
  stopped_ = true;
  // No more inputs or outputs come in; what the queues hold is written.
  LetGo();
  {
    MutexLock lock(&mu_);
    stop_ = true;
    stop_reason_ = why;
    cv_.Signal();
  }
  if (thread_.joinable()) {
    thread_.join();
  } else {
    Finish(why);  // never started writing
  }
  // A producer may still be inside a ready callback (a push that raced the
  // release): clearing them waits for it, so none runs after this.
  for (Source& source : sources_) source.queue->SetReadyCallback(nullptr);
}

bool Recorder::active() const {
  MutexLock lock(&mu_);
  return !ended_;
}

v1::Recording Recorder::Describe() const {
  v1::Recording out;
  {
    MutexLock lock(&mu_);
    out = described_;
  }
  out.set_name(params_.name);
  out.set_device_id(header_.device_id());
  out.set_started_unix_us(header_.started_unix_us());
  out.set_stop_watch_epoch(header_.stop_watch_epoch());
  out.set_epoch_start_unix_us(header_.epoch_start_unix_us());
  out.set_start_stop_watch_us(header_.start_stop_watch_us());
  out.set_speckd_version(header_.speckd_version());
  if (header_.configured())
    *out.mutable_configuration() = header_.configuration();
  return out;
}

Recorder::~Recorder() { Stop(); }

}  // namespace speckd::server
