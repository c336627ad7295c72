// `speckctl demo spike-count`: sinabs' "Spike Count Visualization" tutorial
// in one command, against the daemon: the tutorial network, its input, and
// the per-class spike counts per 50 ms window as they come.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/display.h"
#include "clients/cli/event_columns.h"
#include "clients/cli/flags.h"
#include "clients/cli/tutorial.h"
#include "clients/cli/write_cmd.h"
#include "driver/util/mutex.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

constexpr uint32_t kIntervalMs = 50;
constexpr uint32_t kClasses = 2;
constexpr size_t kBatch = 5000;

struct Totals {
  uint64_t spikes = 0;
  std::vector<uint64_t> per_class = std::vector<uint64_t>(kClasses);
  std::vector<uint32_t> first;
  std::vector<uint32_t> last;
  bool complete = false;
};

std::string Brackets(const std::vector<uint32_t>& counts) {
  return absl::StrCat("[", absl::StrJoin(counts, ", "), "]");
}

class Demo {
 public:
  Demo(Client& client, bool realtime, std::vector<std::string> labels)
      : client_(client), realtime_(realtime), labels_(std::move(labels)) {
    while (labels_.size() < kClasses) {
      labels_.push_back(absl::StrCat("feature ", labels_.size()));
    }
  }

  absl::Status Run() {
    absl::StatusOr<v1::Device> device = client_.GetDevice();
    if (!device.ok()) return device.status();
    absl::StatusOr<std::unique_ptr<Lease>> lease =
        Lease::Acquire(&client_, /*keep_renewed=*/true);
    if (!lease.ok()) return lease.status();
    lease_ = lease->get();
    absl::Status status = Setup();
    if (status.ok()) status = Stream();
    // Stopped early (Ctrl-C, the output closed, an error): what the device
    // still holds of the input would land in the next user's windows.
    if (!status.ok()) status = DropQueued(client_, **lease, status);
    // The pacing is the device's, shared with everyone: put it back.
    if (device->pacing() != Pacing()) {
      absl::Status restored = SetPacing(device->pacing());
      if (status.ok()) status = restored;
    }
    absl::Status released = (*lease)->Release();
    if (!status.ok()) return status;
    if (!released.ok()) return released;
    PrintSummary();
    return absl::OkStatus();
  }

 private:
  v1::Pacing Pacing() const {
    return realtime_ ? v1::REAL_TIME : v1::AS_FAST_AS_POSSIBLE;
  }

  absl::Status SetPacing(v1::Pacing pacing) {
    v1::SetPacingRequest request;
    request.set_device_id(lease_->device_id());
    request.set_lease_id(lease_->id());
    request.set_pacing(pacing);
    v1::SetPacingResponse response;
    // Cleanup(): restoring the pacing also has to happen after Ctrl-C.
    return client_.Cleanup([&](grpc::ClientContext* context) {
      return client_.devices().SetPacing(context, request, &response);
    });
  }

  absl::Status SetStopWatch(std::optional<bool> enable, bool reset) {
    return client_.SetStopWatch(*lease_, enable, reset).status();
  }

  // Network, pacing, and a stop watch at 0 (held there in real time until
  // every event is queued, so that none is late).
  absl::Status Setup() {
    v1::ApplyConfigurationRequest apply;
    apply.set_device_id(lease_->device_id());
    apply.set_lease_id(lease_->id());
    *apply.mutable_configuration() = TutorialConfiguration();
    v1::ApplyConfigurationResponse applied;
    absl::Status status = client_.Unary([&](grpc::ClientContext* context) {
      return client_.config().ApplyConfiguration(context, apply, &applied);
    });
    if (!status.ok()) return status;
    status = SetPacing(Pacing());
    if (status.code() == absl::StatusCode::kUnimplemented && !realtime_) {
      // A board plays its inputs in real time (samna's stop watch paces them).
      std::fprintf(stderr, "speckctl: %s; the demo runs in real time (5 s)\n",
                   std::string(status.message()).c_str());
      realtime_ = true;
      status = absl::OkStatus();
    }
    if (!status.ok()) return status;
    return SetStopWatch(/*enable=*/!realtime_, /*reset=*/true);
  }

  // Writes the input on a thread once the counts subscription is attached,
  // and shows the windows until the one holding the last event.
  absl::Status Stream() {
    const v1::WriteEventsRequest events =
        TutorialEvents(kDefaultPatternRateHz, kDefaultPatternDuration);
    const uint64_t interval_us = uint64_t{kIntervalMs} * 1000;
    const uint64_t last_window =
        LastTimestamp(events) / interval_us * interval_us;

    v1::SubscribeSpikeCountsRequest request;
    request.set_device_id(lease_->device_id());
    request.set_interval_ms(kIntervalMs);
    request.set_feature_count(kClasses);
    request.add_layers(0);
    // Every window matters for the summary: slow the writer rather than drop
    // (LOSSLESS needs the lease, which the demo holds).
    request.mutable_options()->set_overflow_policy(v1::LOSSLESS);
    request.mutable_options()->set_lease_id(lease_->id());
    const Format format = client_.options().format;
    CountsView view(labels_, kClasses, format, isatty(STDOUT_FILENO) != 0,
                    stdout);

    grpc::ClientContext context;
    auto reader = client_.events().SubscribeSpikeCounts(&context, request);
    Mutex mu;
    absl::Status written;
    std::thread writer;
    absl::Status read = ReadStream<v1::StreamMessage>(
        client_, &context, reader.get(),
        [&] {
          view.Begin();
          writer = std::thread([&] {
            absl::Status status = Write(events);
            MutexLock lock(&mu);
            written = status;
            // Nothing more will come: end the stream instead of waiting.
            if (!status.ok()) context.TryCancel();
          });
        },
        [&](const v1::StreamMessage& message) {
          if (message.dropped_since_last() > 0) {
            Note(absl::StrCat("dropped ", message.dropped_since_last(),
                              " windows"));
          }
          for (const v1::SpikeCount& w : message.spike_counts().windows()) {
            const uint64_t interval_us = uint64_t{kIntervalMs} * 1000;
            if (w.empty_windows_before() > 0) {
              view.EmptyWindows(
                  w.window_start_us() - w.empty_windows_before() * interval_us,
                  interval_us, w.empty_windows_before());
            }
            std::vector<uint32_t> counts(w.counts().begin(), w.counts().end());
            counts.resize(kClasses);
            view.Window(w.window_start_us(), w.window_end_us(), counts);
            Count(counts);
            if (w.window_start_us() >= last_window) {
              totals_.complete = true;
              break;
            }
          }
          view.Flush();
          // The reader of a pipe went away (`| head`): stop, and clean up
          // as after Ctrl-C (RunDemo ignores SIGPIPE for this).
          if (std::ferror(stdout)) output_closed_ = true;
          return !totals_.complete && !output_closed_;
        });
    if (writer.joinable()) writer.join();
    MutexLock lock(&mu);
    if (!written.ok()) return written;
    if (!read.ok()) return read;
    if (output_closed_) {
      return absl::CancelledError(
          "the output was closed (the pipe's reader went away)");
    }
    if (!totals_.complete) {
      return Interrupted()
                 ? absl::CancelledError("interrupted")
                 : absl::UnavailableError(
                       "the counts stream ended before the last window");
    }
    return absl::OkStatus();
  }

  absl::Status Write(const v1::WriteEventsRequest& events) {
    absl::StatusOr<v1::WriteEventsResponse> response =
        StreamEvents(client_, *lease_, events, kBatch, nullptr);
    if (!response.ok()) return response.status();
    // Real time: the events are queued; now let the stop watch run.
    if (realtime_) return SetStopWatch(/*enable=*/true, /*reset=*/false);
    return absl::OkStatus();
  }

  void Count(const std::vector<uint32_t>& counts) {
    for (size_t f = 0; f < kClasses; ++f) {
      totals_.spikes += counts[f];
      totals_.per_class[f] += counts[f];
    }
    if (totals_.first.empty()) totals_.first = counts;
    totals_.last = counts;
  }

  void PrintSummary() {
    std::vector<std::string> per_class;
    for (size_t f = 0; f < kClasses; ++f) {
      per_class.push_back(absl::StrCat(labels_[f], " ", totals_.per_class[f]));
    }
    const Format format = client_.options().format;
    if (format == Format::kJson) {
      std::vector<uint32_t> classes(totals_.per_class.begin(),
                                    totals_.per_class.end());
      JsonObject summary;
      summary.AddUint("total_spikes", totals_.spikes)
          .AddStringArray("labels", labels_)
          .AddUintArray("per_class", classes)
          .AddUintArray("first_window", totals_.first)
          .AddUintArray("last_window", totals_.last);
      std::printf("%s\n", summary.str().c_str());
      return;
    }
    // csv keeps stdout to its rows; the summary goes to stderr there.
    std::FILE* out = format == Format::kCsv ? stderr : stdout;
    std::fprintf(out, "\ntotal spikes: %llu\n",
                 static_cast<unsigned long long>(totals_.spikes));
    std::fprintf(out, "per class: %s\n",
                 absl::StrJoin(per_class, ", ").c_str());
    std::fprintf(out, "first window: %s\n", Brackets(totals_.first).c_str());
    std::fprintf(out, "last window: %s\n", Brackets(totals_.last).c_str());
  }

  Client& client_;
  // False until a device refuses to run as fast as possible.
  bool realtime_;
  std::vector<std::string> labels_;
  Lease* lease_ = nullptr;
  Totals totals_;
  bool output_closed_ = false;
};

int RunDemo(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] != "spike-count") {
    return UsageError("demo", "expects 'spike-count'");
  }
  std::vector<std::string> labels = SplitList(absl::GetFlag(FLAGS_labels));
  if (labels.empty()) labels = {"top", "bottom"};
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  // On a terminal the tutorial plays out in real time (the live view is the
  // point); into a pipe, or with --realtime=false, as fast as possible.
  const bool realtime = FlagGiven("realtime") ? absl::GetFlag(FLAGS_realtime)
                                              : isatty(STDOUT_FILENO) != 0;
  // A closed stdout must not kill the demo before it restores the pacing,
  // drops its queued input and releases the lease: the write fails instead.
  std::signal(SIGPIPE, SIG_IGN);
  Demo demo(**client, realtime, std::move(labels));
  absl::Status status = demo.Run();
  return status.ok() ? kExitOk : Fail(status);
}

}  // namespace

const Command kDemoCommand = {
    "demo", "run sinabs' spike-count tutorial on the device",
    "usage: speckctl demo spike-count [--realtime=true|false] "
    "[--labels=top,bottom]\n"
    "\n"
    "sinabs' 'Spike Count Visualization' tutorial in one command. Takes the\n"
    "device's lease, applies the tutorial network (one core: a 16x16 DVS\n"
    "patch, feature 0 = top half, feature 1 = bottom half; the same as\n"
    "examples/tutorial/config.json), resets the stop watch, subscribes to\n"
    "spike counts per 50 ms on core 0, writes the tutorial's 25001 events\n"
    "(write --pattern=tutorial), and shows the counts as they come: a live\n"
    "bar chart on a terminal, one row per window otherwise. Ends with a\n"
    "summary; sinabs' result is 25001 spikes, top 12475, bottom 12526, first\n"
    "window [225, 0], last window [0, 26].\n"
    "\n"
    "On a terminal the device plays the input in real time (paced by the\n"
    "stop watch: ~5 s, the bars alternating after 2.5 s); into a pipe, or\n"
    "with --realtime=false, it runs as fast as possible (~50 ms). The result\n"
    "is the same either way. The device's previous pacing is restored at the\n"
    "end; the tutorial configuration stays applied. Stopped early (Ctrl-C, or\n"
    "the pipe's reader going away), it also drops the input not played yet.\n"
    "\n"
    "examples:\n"
    "  speckctl demo spike-count\n"
    "  speckctl demo spike-count --realtime=false --labels=up,down\n",
    RunDemo};

}  // namespace speckd::cli
