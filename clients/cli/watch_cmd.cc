// `speckctl watch spikes|counts|power|readout`: the daemon's pushed
// subscriptions as lines (table, csv, json lines) or, for counts on a
// terminal, a live bar chart. Drops are always reported on stderr.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/display.h"
#include "clients/cli/flags.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

// What a watch saw, for the line it ends with.
struct Tally {
  explicit Tally(std::string unit) : unit(std::move(unit)) {}
  std::string unit;  // "spikes", "windows", ...
  uint64_t items = 0;
  uint64_t dropped = 0;
  int reconnects = 0;
  std::string detail;  // e.g. "(1234 spikes)"
};

// When --duration ends the watch, however often it reconnects.
absl::Time WatchEnd() {
  const absl::Duration d = absl::GetFlag(FLAGS_duration);
  return d > absl::ZeroDuration() ? absl::Now() + d : absl::InfiniteFuture();
}

// "notice: stop_watch_reset: ..." for a notice message.
std::string NoticeText(const v1::StreamNotice& notice) {
  return absl::StrCat(
      "notice: ",
      absl::AsciiStrToLower(v1::StreamNotice::Kind_Name(notice.kind())),
      notice.message().empty() ? "" : ": ", notice.message());
}

// Things every stream message may carry besides data: drops and notices.
void ReportExtras(const v1::StreamMessage& message, Tally* tally) {
  if (message.dropped_since_last() > 0) {
    tally->dropped += message.dropped_since_last();
    Note(absl::StrCat("dropped ", message.dropped_since_last(), " ",
                      tally->unit));
  }
  if (message.has_notice()) Note(NoticeText(message.notice()));
}

// The line a watch ends with, however it ends (Ctrl-C, --duration, a limit,
// an error): what it saw and what it lost.
void Summarize(const Tally& tally) {
  Note(absl::StrCat("watched ", tally.items, " ", tally.unit,
                    tally.detail.empty() ? "" : " ", tally.detail, ", ",
                    tally.dropped, " dropped",
                    tally.reconnects == 0
                        ? ""
                        : absl::StrCat(", ", tally.reconnects,
                                       tally.reconnects == 1 ? " reconnect"
                                                             : " reconnects")));
}

void Watching(const Client& client, const std::string& device,
              absl::string_view what) {
  Note(absl::StrCat("watching ", what, " of ", device, " at ", client.address(),
                    " (Ctrl-C to stop)"));
}

// One subscription, read until it ends and opened again whenever speckd
// comes back (Reconnecting): `open` starts the call on the context given
// (its deadline is the watch's end), `begin` runs at the first attach only.
absl::Status WatchStream(
    Client& client, absl::Time end, int* reconnects,
    const std::function<std::unique_ptr<grpc::ClientReader<v1::StreamMessage>>(
        grpc::ClientContext*)>& open,
    const std::function<void()>& begin,
    const std::function<bool(const v1::StreamMessage&)>& on_message) {
  return Reconnecting(
      client,
      [&](int reconnected) {
        grpc::ClientContext context;
        SetStreamEnd(&context, end);
        auto reader = open(&context);
        return ReadStream<v1::StreamMessage>(
            client, &context, reader.get(),
            [&] {
              if (reconnected == 0) begin();
            },
            on_message);
      },
      reconnects);
}

// The flags of every stream, checked before connecting: bad input is exit 2
// whether or not the daemon runs.
struct WatchOptions {
  std::vector<uint32_t> layers;
  std::vector<uint32_t> features;  // spikes
  int64_t count = 0;
  int64_t feature_count = 0;  // counts, readout
  absl::Duration interval;
  int64_t windows = 0;
  std::vector<std::string> labels;
};

absl::StatusOr<WatchOptions> ParseWatchOptions(absl::string_view what) {
  WatchOptions o;
  // --layer and --layers are the same list (spikes documents the first,
  // counts and readout the second).
  absl::StatusOr<std::vector<uint32_t>> layer =
      ParseUintList("layer", absl::GetFlag(FLAGS_layer));
  if (!layer.ok()) return layer.status();
  absl::StatusOr<std::vector<uint32_t>> layers =
      ParseUintList("layers", absl::GetFlag(FLAGS_layers));
  if (!layers.ok()) return layers.status();
  o.layers = *layer;
  o.layers.insert(o.layers.end(), layers->begin(), layers->end());
  absl::StatusOr<std::vector<uint32_t>> features =
      ParseUintList("feature", absl::GetFlag(FLAGS_feature));
  if (!features.ok()) return features.status();
  o.features = *features;
  o.count = absl::GetFlag(FLAGS_count);
  if (o.count < 0) return absl::InvalidArgumentError("--count: must be >= 0");
  o.windows = absl::GetFlag(FLAGS_windows);
  if (o.windows < 0) {
    return absl::InvalidArgumentError("--windows: must be >= 0");
  }
  o.feature_count = absl::GetFlag(FLAGS_features);
  if (o.feature_count < 0 || o.feature_count > 65536) {
    return absl::InvalidArgumentError("--features: must be in 0..65536");
  }
  if (what == "counts" && o.feature_count == 0) {
    return absl::InvalidArgumentError(
        "watch counts needs --features=N, the number of features to count");
  }
  o.interval = absl::GetFlag(FLAGS_interval);
  if (o.interval < absl::Milliseconds(1) ||
      o.interval % absl::Milliseconds(1) != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--interval=", absl::FormatDuration(o.interval),
                     ": must be a whole number of milliseconds, at least 1ms"));
  }
  o.labels = SplitList(absl::GetFlag(FLAGS_labels));
  if (what == "power" && FlagGiven("rate") &&
      !(absl::GetFlag(FLAGS_rate) >= 0 && absl::GetFlag(FLAGS_rate) <= 100)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rate=", absl::GetFlag(FLAGS_rate), ": must be in 0..100 Hz"));
  }
  return o;
}

absl::Status WatchSpikes(Client& client, const std::string& device,
                         const WatchOptions& o, Tally* tally) {
  const int64_t limit = o.count;
  v1::SubscribeEventsRequest request;
  request.set_device_id(device);
  request.mutable_filter()->add_types(v1::SPIKE);
  for (uint32_t l : o.layers) request.mutable_filter()->add_layers(l);
  for (uint32_t f : o.features) request.mutable_filter()->add_features(f);
  RowPrinter rows({{"timestamp_us", "t_us", true, 12},
                   {"layer", "layer", true, 5},
                   {"feature", "feature", true, 7},
                   {"x", "x", true, 3},
                   {"y", "y", true, 3}},
                  client.options().format, stdout);
  int64_t seen = 0;
  const absl::Time end = WatchEnd();
  return WatchStream(
      client, end, &tally->reconnects,
      [&](grpc::ClientContext* context) {
        return client.events().SubscribeEvents(context, request);
      },
      [&] {
        Watching(client, device, "spikes");
        rows.Header();
      },
      [&](const v1::StreamMessage& message) {
        ReportExtras(message, tally);
        const v1::SpikeBatch& b = message.spikes();
        for (int i = 0; i < b.timestamp_us_size(); ++i) {
          if (limit > 0 && seen >= limit) break;
          ++seen;
          ++tally->items;
          rows.Row({absl::StrCat(b.timestamp_us(i)), absl::StrCat(b.layer(i)),
                    absl::StrCat(b.feature(i)), absl::StrCat(b.x(i)),
                    absl::StrCat(b.y(i))});
        }
        rows.Flush();
        return limit == 0 || seen < limit;
      });
}

// --features beyond what the watched cores have gives columns that stay 0:
// said once, from the applied configuration (nothing when there is none).
void NoteUnusedFeatures(Client& client, const WatchOptions& o) {
  absl::StatusOr<v1::GetConfigurationResponse> config =
      client.GetConfiguration();
  if (!config.ok() || !config->applied()) return;
  uint32_t most = 0;
  const auto& cores = config->configuration().cnn_layers();
  for (int i = 0; i < cores.size(); ++i) {
    const bool watched =
        o.layers.empty()
            ? cores[i].monitor_enable()
            : std::find(o.layers.begin(), o.layers.end(),
                        static_cast<uint32_t>(i)) != o.layers.end();
    if (watched) {
      most =
          std::max(most, cores[i].dimensions().output_shape().feature_count());
    }
  }
  if (most == 0 || o.feature_count <= most) return;
  Note(absl::StrCat(
      "--features=", o.feature_count, ", but the watched cores have at most ",
      most, " features: columns ", most, "..", o.feature_count - 1, " stay 0"));
}

absl::Status WatchCounts(Client& client, const std::string& device,
                         const WatchOptions& o, Tally* tally) {
  NoteUnusedFeatures(client, o);
  const absl::Duration interval = o.interval;
  const int64_t max_windows = o.windows;
  v1::SubscribeSpikeCountsRequest request;
  request.set_device_id(device);
  request.set_interval_ms(
      static_cast<uint32_t>(absl::ToInt64Milliseconds(interval)));
  request.set_feature_count(static_cast<uint32_t>(o.feature_count));
  for (uint32_t l : o.layers) request.add_layers(l);
  CountsView view(o.labels, static_cast<size_t>(o.feature_count),
                  client.options().format, isatty(STDOUT_FILENO) != 0, stdout);
  int64_t windows = 0;
  uint64_t spikes = 0;
  const absl::Time end = WatchEnd();
  return WatchStream(
      client, end, &tally->reconnects,
      [&](grpc::ClientContext* context) {
        return client.events().SubscribeSpikeCounts(context, request);
      },
      [&] {
        Watching(
            client, device,
            absl::StrCat("spike counts per ", absl::FormatDuration(interval)));
        view.Begin();
      },
      [&](const v1::StreamMessage& message) {
        if (message.dropped_since_last() > 0) {
          tally->dropped += message.dropped_since_last();
          view.Notice(absl::StrCat("dropped ", message.dropped_since_last(),
                                   " windows"),
                      /*restart=*/false);
        }
        if (message.has_notice()) {
          // A reset or a new network starts the picture over, in sight.
          const v1::StreamNotice::Kind kind = message.notice().kind();
          view.Notice(NoticeText(message.notice()),
                      kind == v1::StreamNotice::STOP_WATCH_RESET ||
                          kind == v1::StreamNotice::DEVICE_RECONFIGURED);
        }
        for (const v1::SpikeCount& w : message.spike_counts().windows()) {
          if (max_windows > 0 && windows >= max_windows) break;
          const uint64_t interval_us = w.window_end_us() - w.window_start_us();
          if (w.empty_windows_before() > 0) {
            view.EmptyWindows(
                w.window_start_us() - w.empty_windows_before() * interval_us,
                interval_us, w.empty_windows_before());
          }
          ++windows;
          tally->items += 1 + w.empty_windows_before();
          for (uint64_t c : w.counts()) spikes += c;
          tally->detail = absl::StrCat("(", spikes, " spikes)");
          view.Window(w.window_start_us(), w.window_end_us(),
                      {w.counts().begin(), w.counts().end()});
        }
        view.Flush();
        return max_windows == 0 || windows < max_windows;
      });
}

// Power samples flow only while the device's power monitor runs.
absl::Status PreparePowerMonitor(Client& client, const v1::Device& device) {
  if (!FlagGiven("rate")) {
    if (device.power_monitor_rate_hz() <= 0) {
      Note(absl::StrCat("the power monitor of ", device.id(),
                        " is off, so no samples will come; turn it on with "
                        "--rate=Hz (1..100)"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Lease>> lease =
      Lease::Acquire(&client, /*keep_renewed=*/false);
  if (!lease.ok()) return lease.status();
  v1::SetPowerMonitorRequest request;
  request.set_device_id((*lease)->device_id());
  request.set_lease_id((*lease)->id());
  request.set_rate_hz(absl::GetFlag(FLAGS_rate));
  v1::SetPowerMonitorResponse response;
  absl::Status status = client.Unary([&](grpc::ClientContext* context) {
    return client.devices().SetPowerMonitor(context, request, &response);
  });
  absl::Status released = (*lease)->Release();
  if (!status.ok()) return status;
  Note(absl::StrCat("power monitor of ", device.id(), " set to ",
                    response.rate_hz(), " Hz"));
  return released;
}

absl::Status WatchPower(Client& client, const v1::Device& device,
                        Tally* tally) {
  absl::Status prepared = PreparePowerMonitor(client, device);
  if (!prepared.ok()) return prepared;
  v1::SubscribePowerRequest request;
  request.set_device_id(device.id());
  RowPrinter rows({{"timestamp_us", "t_us", true, 12},
                   {"rail", "rail", false, 17},
                   {"watts", "watts", true, 12}},
                  client.options().format, stdout);
  const absl::Time end = WatchEnd();
  return WatchStream(
      client, end, &tally->reconnects,
      [&](grpc::ClientContext* context) {
        return client.events().SubscribePower(context, request);
      },
      [&] {
        Watching(client, device.id(), "power");
        rows.Header();
      },
      [&](const v1::StreamMessage& message) {
        ReportExtras(message, tally);
        const v1::MeasurementBatch& m = message.measurements();
        tally->items += static_cast<uint64_t>(m.timestamp_us_size());
        for (int i = 0; i < m.timestamp_us_size(); ++i) {
          rows.Row({absl::StrCat(m.timestamp_us(i)),
                    absl::AsciiStrToLower(v1::PowerRail_Name(m.channel(i))),
                    absl::StrFormat("%.9f", m.value(i))});
        }
        rows.Flush();
        return true;
      });
}

absl::Status WatchReadout(Client& client, const std::string& device,
                          const WatchOptions& o, Tally* tally) {
  v1::SubscribeReadoutRequest request;
  request.set_device_id(device);
  if (o.feature_count > 0) {
    v1::MajorityReadoutOptions* majority = request.mutable_majority();
    majority->set_feature_count(static_cast<uint32_t>(o.feature_count));
    // 0 is the server's default (sinabs' 500 ms).
    if (FlagGiven("interval")) {
      majority->set_interval_ms(
          static_cast<uint32_t>(absl::ToInt64Milliseconds(o.interval)));
    }
    for (uint32_t l : o.layers) majority->add_layers(l);
  }
  const Format format = client.options().format;
  // kind, time, value, and what the value means.
  RowPrinter rows({{"kind", "kind", false, 8},
                   {"timestamp_us", "t_us", true, 12},
                   {"value", "value", true, 8},
                   {"detail", "detail"}},
                  format, stdout);
  auto row = [&](const std::string& kind, uint64_t t, uint64_t value,
                 const std::string& detail, const JsonObject& json) {
    if (format == Format::kJson) {
      std::printf("%s\n", json.str().c_str());
    } else {
      rows.Row({kind, absl::StrCat(t), absl::StrCat(value), detail});
    }
  };
  const absl::Time end = WatchEnd();
  return WatchStream(
      client, end, &tally->reconnects,
      [&](grpc::ClientContext* context) {
        return client.events().SubscribeReadout(context, request);
      },
      [&] {
        Watching(client, device, "readout");
        rows.Header();
      },
      [&](const v1::StreamMessage& message) {
        ReportExtras(message, tally);
        const v1::ReadoutBatch& r = message.readout();
        tally->items += static_cast<uint64_t>(r.values_size() + r.pins_size() +
                                              r.majority_size());
        for (const v1::ReadoutValue& v : r.values()) {
          // Bit 20: valid; bits 19:16: index of the max average.
          const bool valid = (v.value() >> 20) & 1;
          const uint32_t index = (v.value() >> 16) & 0xf;
          row("value", v.timestamp_us(), v.value(),
              absl::StrFormat("valid=%d max_index=%u low16=%u", valid, index,
                              v.value() & 0xffff),
              JsonObject()
                  .AddString("kind", "value")
                  .AddUint("timestamp_us", v.timestamp_us())
                  .AddUint("value", v.value())
                  .AddBool("valid", valid)
                  .AddUint("max_index", index));
        }
        for (const v1::ReadoutPinValue& p : r.pins()) {
          row("pin", p.timestamp_us(), p.index(),
              p.index() == 0 ? "idle" : absl::StrCat("class ", p.index() - 1),
              JsonObject()
                  .AddString("kind", "pin")
                  .AddUint("timestamp_us", p.timestamp_us())
                  .AddUint("index", p.index()));
        }
        for (const v1::MajorityReadout& m : r.majority()) {
          row("majority", m.window_start_us(), m.feature(),
              absl::StrFormat("count=%u %s window_end_us=%u", m.count(),
                              m.decided() ? "decided" : "default",
                              m.window_end_us()),
              JsonObject()
                  .AddString("kind", "majority")
                  .AddUint("window_start_us", m.window_start_us())
                  .AddUint("window_end_us", m.window_end_us())
                  .AddUint("feature", m.feature())
                  .AddUint("count", m.count())
                  .AddBool("decided", m.decided()));
        }
        rows.Flush();
        return true;
      });
}

int RunWatch(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return UsageError("watch", "expects one of spikes, counts, power, readout");
  }
  const std::string& what = args[0];
  if (what != "spikes" && what != "counts" && what != "power" &&
      what != "readout") {
    return UsageError("watch", absl::StrCat("unknown stream '", what,
                                            "'; use spikes, counts, power "
                                            "or readout"));
  }
  absl::StatusOr<WatchOptions> options = ParseWatchOptions(what);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  // Resolves --device (a wrong one is a clear NOT_FOUND before streaming).
  absl::StatusOr<v1::Device> device = (*client)->GetDevice();
  if (!device.ok()) return Fail(device.status());
  absl::Status status;
  Tally tally(what == "spikes"   ? "spikes"
              : what == "counts" ? "windows"
              : what == "power"  ? "measurements"
                                 : "readout items");
  if (what == "spikes") {
    status = WatchSpikes(**client, device->id(), *options, &tally);
  }
  if (what == "counts") {
    status = WatchCounts(**client, device->id(), *options, &tally);
  }
  if (what == "power") status = WatchPower(**client, *device, &tally);
  if (what == "readout") {
    status = WatchReadout(**client, device->id(), *options, &tally);
  }
  Summarize(tally);
  return status.ok() ? kExitOk : Fail(status);
}

}  // namespace

const Command kWatchCommand = {
    "watch", "stream spikes, spike counts, power or readout from the device",
    "usage: speckctl watch spikes [--layer=L,...] [--feature=F,...] "
    "[--count=N]\n"
    "       speckctl watch counts --features=N [--interval=50ms] "
    "[--labels=a,b] [--layers=L,...] [--windows=N]\n"
    "       speckctl watch power [--rate=Hz]\n"
    "       speckctl watch readout [--features=N [--interval=500ms]]\n"
    "       (all: [--duration=D] [--output=table|json|csv])\n"
    "\n"
    "spikes: one line per output spike, 't_us layer feature x y' (csv\n"
    "  header 'timestamp_us,layer,feature,x,y'; json: one object per line),\n"
    "  filtered by layer (13 = the DVS layer's monitor) and feature. Stops\n"
    "  after --count spikes.\n"
    "counts: per-feature spike counts per window. On a terminal a live bar\n"
    "  chart (one bar per feature, named by --labels); otherwise one row per\n"
    "  window, 'START_US COUNT0 COUNT1 ...' under a header of the labels\n"
    "  (csv: 'window_start_us,count0,count1,...'). Stops after --windows.\n"
    "power: the power monitor's samples (5 rails, watts). They flow only\n"
    "  while the monitor runs: --rate=Hz sets it first (takes the lease).\n"
    "readout: readout values and pins; with --features=N also sinabs'\n"
    "  majority readout over N features per --interval.\n"
    "\n"
    "If speckd goes away (a restart), the watch says so, waits for it and\n"
    "subscribes again, saying after how long (what happened in between is\n"
    "not seen). Every stream stops on Ctrl-C (exit 0) or after --duration,\n"
    "with a line\n"
    "on stderr saying what it saw ('speckctl: watched 101 windows (25001\n"
    "spikes), 0 dropped'). Notices (a stop-watch reset, a new configuration)\n"
    "are shown where they happen; the bar chart starts over. The header\n"
    "line (tables and csv) is printed once the subscription is attached:\n"
    "nothing written after it is missed. Events the daemon had to drop\n"
    "because this client read too slowly are reported on stderr\n"
    "('speckctl: dropped N events').\n"
    "\n"
    "examples:\n"
    "  speckctl watch spikes --layer=0 --count=100 --output=csv\n"
    "  speckctl watch counts --interval=50ms --features=2 --labels=top,bottom\n"
    "  speckctl watch power --rate=10 --duration=5s\n",
    RunWatch};

}  // namespace speckd::cli
