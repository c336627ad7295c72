#include "clients/cli/write_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/cli/command.h"
#include "clients/cli/display.h"
#include "clients/cli/event_columns.h"
#include "clients/cli/event_csv.h"
#include "clients/cli/event_file.h"
#include "clients/cli/flags.h"
#include "clients/cli/tutorial.h"
#include "proto/codec/config_codec.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

constexpr int64_t kMaxBatch = 1000000;

struct Input {
  std::string name;     // file name or "pattern tutorial"
  bool spikes = false;  // Spikes into cores (rows depend on the config)
  v1::WriteEventsRequest events;  // event_columns.h
};

// The events to write, read before connecting so that bad input is exit 2
// with or without a daemon: from --pattern, or from FILE.
absl::StatusOr<Input> LoadInput(const std::vector<std::string>& args) {
  Input input;
  const std::string pattern = absl::GetFlag(FLAGS_pattern);
  if (!pattern.empty()) {
    const double rate =
        FlagGiven("rate") ? absl::GetFlag(FLAGS_rate) : kDefaultPatternRateHz;
    const absl::Duration duration = FlagGiven("duration")
                                        ? absl::GetFlag(FLAGS_duration)
                                        : kDefaultPatternDuration;
    absl::StatusOr<v1::WriteEventsRequest> events =
        PatternEvents(pattern, rate, duration);
    if (!events.ok()) return events.status();
    input.name = absl::StrCat("pattern ", pattern);
    input.events = *std::move(events);
    return input;
  }
  absl::StatusOr<EventFile> file = ReadEventFile(args[0], nullptr);
  if (!file.ok()) return file.status();
  input.name = args[0];
  input.spikes = file->format == EventFormat::kSpikes;
  input.events = std::move(file->events);
  return input;
}

// Spike rows must also fit the target core's input in the device's current
// configuration; checked here (with file and line) as the server would.
absl::Status CheckAgainstConfiguration(
    const Input& input, const std::vector<std::string>& args,
    const v1::GetConfigurationResponse& config) {
  if (!input.spikes) return absl::OkStatus();
  const chip::SpeckConfig chip_config =
      codec::FromProto(config.configuration());
  return ReadEventFile(args[0], &chip_config).status();
}

// Waits while the device plays what it queued (real-time pacing holds each
// input until the stop watch reaches it), keeping `progress` on what has
// played and how long the rest takes: `sent` events, the last at
// `last_us`.
absl::Status WaitUntilPlayed(Client& client, const Lease& lease, uint64_t sent,
                             uint64_t last_us, Progress* progress) {
  while (true) {
    absl::StatusOr<v1::Device> idle =
        client.WaitIdle(lease.device_id(), absl::Milliseconds(200));
    if (idle.ok()) return absl::OkStatus();
    if (Interrupted()) {
      return absl::CancelledError("interrupted while the device played");
    }
    if (!absl::IsDeadlineExceeded(idle.status())) return idle.status();
    absl::StatusOr<v1::Device> device = client.GetDevice();
    if (!device.ok()) {
      return Interrupted()
                 ? absl::CancelledError("interrupted while the device played")
                 : device.status();
    }
    const uint64_t queued = std::min<uint64_t>(device->queued_inputs(), sent);
    const uint64_t now_us = device->stop_watch().time_us();
    progress->Update(
        sent - queued,
        absl::Microseconds(last_us > now_us ? last_us - now_us : 0));
  }
}

absl::Status Write(const std::vector<std::string>& args) {
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  if (batch < 1 || batch > kMaxBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch=", batch, ": must be in 1..", kMaxBatch));
  }
  absl::StatusOr<Input> input = LoadInput(args);
  if (!input.ok()) return input.status();
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::GetConfigurationResponse> config =
      (*client)->GetConfiguration();
  if (!config.ok()) return config.status();
  if (!config->applied()) {
    return absl::FailedPreconditionError(
        "the device has no configuration: apply one first "
        "(speckctl config apply FILE)");
  }
  absl::Status fits = CheckAgainstConfiguration(*input, args, *config);
  if (!fits.ok()) return fits;

  absl::StatusOr<std::unique_ptr<Lease>> lease =
      Lease::Acquire(client->get(), /*keep_renewed=*/true);
  if (!lease.ok()) return lease.status();
  if (absl::GetFlag(FLAGS_reset_stop_watch)) {
    // File timestamps count from the device's time 0.
    absl::StatusOr<v1::StopWatch> reset = (*client)->SetStopWatch(
        **lease, /*enable=*/std::nullopt, /*reset=*/true);
    if (!reset.ok()) return reset.status();
  }

  const v1::WriteEventsRequest& events = input->events;
  Progress progress(stderr, isatty(STDERR_FILENO) != 0, EventCount(events));
  uint64_t sent = 0;
  absl::StatusOr<v1::WriteEventsResponse> written =
      StreamEvents(**client, **lease, events, static_cast<size_t>(batch),
                   [&](uint64_t n) { progress.Update(sent = n); });
  absl::Status played = written.status();
  if (played.ok() && absl::GetFlag(FLAGS_wait)) {
    played = WaitUntilPlayed(**client, **lease, written->accepted(),
                             LastTimestamp(events), &progress);
  }
  progress.Finish(played.ok() ? written->accepted() : sent);
  // A write that fails or is interrupted leaves nothing playing.
  if (!played.ok()) played = DropQueued(**client, **lease, played);
  const double seconds = absl::ToDoubleSeconds(progress.elapsed());
  absl::Status released = (*lease)->Release();
  if (!played.ok()) return played;
  if (!released.ok()) {
    Note(absl::StrCat("releasing the lease: ", released.message()));
  }
  if (written->dvs_events_outside_region() > 0) {
    Note(absl::StrCat(
        "warning: ", written->dvs_events_outside_region(), " of ",
        written->accepted(),
        " DVS events lie outside the DVS layer's region (dvs_layer origin.."
        "cut, after pooling): the chip ignores them (speckctl config get "
        "shows the region)"));
  }

  const uint64_t first = FirstTimestamp(events);
  const uint64_t last = LastTimestamp(events);
  switch ((*client)->options().format) {
    case Format::kJson: {
      JsonObject summary;
      summary.AddString("input", input->name)
          .AddString("device_id", (*lease)->device_id())
          .AddUint("accepted", written->accepted())
          .AddUint("first_timestamp_us", first)
          .AddUint("last_timestamp_us", last)
          .AddDouble("seconds", seconds);
      std::printf("%s\n", summary.str().c_str());
      break;
    }
    case Format::kCsv:
      std::printf(
          "input,device_id,accepted,first_timestamp_us,last_timestamp_us,"
          "seconds\n%s,%s,%llu,%llu,%llu,%.3f\n",
          CsvField(input->name).c_str(),
          CsvField((*lease)->device_id()).c_str(),
          static_cast<unsigned long long>(written->accepted()),
          static_cast<unsigned long long>(first),
          static_cast<unsigned long long>(last), seconds);
      break;
    case Format::kTable:
      std::printf("wrote %llu event%s (%llu..%llu us) in %.2f s\n",
                  static_cast<unsigned long long>(written->accepted()),
                  written->accepted() == 1 ? "" : "s",
                  static_cast<unsigned long long>(first),
                  static_cast<unsigned long long>(last), seconds);
      break;
  }
  return absl::OkStatus();
}

int RunWrite(const std::vector<std::string>& args) {
  const bool pattern = !absl::GetFlag(FLAGS_pattern).empty();
  if (pattern && !args.empty()) {
    return UsageError("write", "give either FILE or --pattern, not both");
  }
  if (!pattern && args.size() != 1) {
    return UsageError("write", "expects one FILE (or --pattern=tutorial)");
  }
  absl::Status status = Write(args);
  return status.ok() ? kExitOk : Fail(status);
}

}  // namespace

// Drops what the device still holds after `failure` and says how much.
absl::Status DropQueued(Client& client, const Lease& lease,
                        const absl::Status& failure) {
  absl::StatusOr<v1::CancelInputsResponse> dropped = client.CancelInputs(lease);
  if (!dropped.ok()) {
    return absl::Status(failure.code(),
                        absl::StrCat(failure.message(),
                                     "; dropping the inputs still queued "
                                     "failed too: ",
                                     dropped.status().message()));
  }
  if (dropped->dropped_inputs() == 0) return failure;
  return absl::Status(
      failure.code(),
      absl::StrCat(failure.message(), "; dropped the ",
                   dropped->dropped_inputs(),
                   " accepted inputs the device had not played yet"));
}

absl::StatusOr<v1::WriteEventsResponse> StreamEvents(
    Client& client, const Lease& lease, const v1::WriteEventsRequest& events,
    size_t batch, const std::function<void(uint64_t sent)>& on_sent) {
  grpc::ClientContext context;
  CancelOnInterrupt cancel(&context);
  v1::WriteEventsResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::WriteEventsRequest>> writer =
      client.events().WriteEvents(&context, &response);
  const size_t total = EventCount(events);
  uint64_t sent = 0;
  size_t next = 0;
  do {
    const size_t count = std::min(batch, total - next);
    v1::WriteEventsRequest request;
    // The first message names the device and the lease (an empty input
    // still sends it, so that closing flushes the device's windows).
    if (next == 0) {
      request.set_device_id(lease.device_id());
      request.set_lease_id(lease.id());
    }
    AppendSlice(events, next, count, &request);
    // Blocks while gRPC flow control holds it: the device is behind.
    if (!writer->Write(request)) break;
    next += count;
    sent += count;
    if (on_sent) on_sent(sent);
  } while (next < total);
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) {
    if (Interrupted()) {
      return absl::CancelledError(
          absl::StrCat("interrupted after ", sent, " of ", total, " events"));
    }
    return client.Error(status);
  }
  return response;
}

const Command kWriteCommand = {
    "write", "write events from a CSV file or a generator into the device",
    "usage: speckctl write FILE [--batch=10000] [--reset_stop_watch=true]\n"
    "                            [--nowait]\n"
    "       speckctl write --pattern=tutorial|uniform [--rate=5000] "
    "[--duration=5s]\n"
    "\n"
    "FILE has the formats of simulate (docs/formats.md): 'timestamp_us,x,y,p'\n"
    "(DvsEvents) or 'timestamp_us,layer,feature,x,y' (Spikes into a core);\n"
    "rows are checked against the device's current configuration first.\n"
    "--pattern generates the input instead: 'tutorial' is sinabs' tutorial\n"
    "input (DvsEvents every 1/rate s from t = 5 ms, top half of a 16x16\n"
    "patch for the first half of --duration, bottom half after; 25001 events\n"
    "at the defaults), 'uniform' spreads them over the 128x128 array.\n"
    "\n"
    "Takes the device's lease for the whole write (renewed in the\n"
    "background), resets the stop watch so that timestamps start at the\n"
    "device's time 0 (--noreset_stop_watch keeps it running), streams the\n"
    "events in messages of --batch, closes the stream (which closes\n"
    "spike-count windows), waits until the device has played them, and\n"
    "releases the lease. A device paced in real time plays the events as its\n"
    "stop watch reaches them: the write then takes as long as the input\n"
    "(--nowait returns once the events are accepted; `speckctl cancel` drops\n"
    "them later). Ctrl-C, or a write that fails, drops every accepted input\n"
    "the device has not played yet. Prints 'wrote N events (t0..t1 us) in\n"
    "S s'.\n"
    "\n"
    "examples:\n"
    "  speckctl write $PWD/examples/tutorial/events.csv\n"
    "  speckctl write --pattern=tutorial --rate=5000 --duration=5s\n",
    RunWrite};

}  // namespace speckd::cli
