// Commands about devices themselves: `devices` (list, or --watch changes),
// `info` (one device and its configuration), `lease`, `stopwatch`, `cancel`.
#include <cstdio>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/flags.h"
#include "clients/cli/output.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

std::string Lower(const std::string& name) {
  return absl::AsciiStrToLower(name);
}

std::string BackendName(v1::Backend backend) {
  return Lower(v1::Backend_Name(backend));
}

std::string StateName(v1::DeviceState state) {
  return Lower(v1::DeviceState_Name(state));
}

// "held by X until 12:00:03 (in 8.2 s)" or "free".
std::string LeaseText(const v1::Lease& lease) {
  if (lease.holder().empty()) return "free";
  if (lease.renewed_unix_ms() > 0) {
    return absl::StrFormat(
        "held by '%s', which renews it while it runs (last %.1f s ago)",
        lease.holder(),
        absl::ToDoubleSeconds(absl::Now() -
                              absl::FromUnixMillis(lease.renewed_unix_ms())));
  }
  const absl::Time expires = absl::FromUnixMillis(lease.expires_unix_ms());
  return absl::StrFormat(
      "held by '%s' until %s (in %.1f s)", lease.holder(),
      absl::FormatTime("%H:%M:%S", expires, absl::LocalTimeZone()),
      absl::ToDoubleSeconds(expires - absl::Now()));
}

// "usb 2-1.3 #5 super" (bus-ports, address, speed); "" for simulated ones.
std::string WhereText(const v1::Device& d) {
  if (d.backend() == v1::SAMNA && d.usb_device_address() != 0) {
    // What samna says: bus and address (the ports when sysfs knows them).
    return d.usb_port_path().empty()
               ? absl::StrCat("usb ", d.usb_bus_number(), " #",
                              d.usb_device_address())
               : absl::StrCat("usb ", d.usb_bus_number(), "-",
                              d.usb_port_path(), " #", d.usb_device_address());
  }
  if (d.backend() != v1::USB) return "";
  std::string where =
      absl::StrCat("usb ", d.usb_bus_number(), "-", d.usb_port_path(), " #",
                   d.usb_device_address());
  if (!d.usb_speed().empty()) absl::StrAppend(&where, " ", d.usb_speed());
  return where;
}

std::vector<Column> DeviceColumns() {
  return {{"id", "ID"},
          {"type", "TYPE"},
          {"backend", "BACKEND"},
          {"state", "STATE"},
          {"where", "WHERE"},
          {"lease_holder", "LEASE"},
          {"events_in", "EVENTS IN", /*numeric=*/true},
          {"events_out", "EVENTS OUT", /*numeric=*/true}};
}

std::vector<std::string> DeviceCells(const v1::Device& d, Format format) {
  std::string holder = d.lease().holder();
  std::string where = WhereText(d);
  if (format == Format::kTable) {
    if (holder.empty()) holder = "-";
    if (where.empty()) where = "-";
  }
  return {d.id(),
          d.type_name(),
          BackendName(d.backend()),
          StateName(d.state()),
          where,
          holder,
          absl::StrCat(d.events_in()),
          absl::StrCat(d.events_out())};
}

// Under the table: what is wrong with each device that needs attention, and
// what to do (a table cell is no place for it).
void PrintStateDetails(const v1::ListDevicesResponse& response) {
  for (const v1::Device& d : response.devices()) {
    if (d.state_detail().empty()) continue;
    std::printf("\n%s is %s: %s\n", d.id().c_str(),
                StateName(d.state()).c_str(), d.state_detail().c_str());
  }
}

absl::Status ListDevices(Client& client) {
  v1::ListDevicesResponse response;
  absl::Status status = client.Unary([&](grpc::ClientContext* context) {
    return client.devices().ListDevices(context, v1::ListDevicesRequest(),
                                        &response);
  });
  if (!status.ok()) return status;
  const Format format = client.options().format;
  if (format == Format::kJson) {
    std::printf("%s\n", ProtoJson(response, /*multiline=*/true).c_str());
    return absl::OkStatus();
  }
  std::vector<Column> columns = DeviceColumns();
  if (format == Format::kCsv) columns.push_back({"state_detail", "DETAIL"});
  Table table(columns);
  for (const v1::Device& d : response.devices()) {
    std::vector<std::string> cells = DeviceCells(d, format);
    if (format == Format::kCsv) cells.push_back(d.state_detail());
    table.AddRow(cells);
  }
  std::fputs(table.Render(format).c_str(), stdout);
  if (format == Format::kTable) PrintStateDetails(response);
  return absl::OkStatus();
}

absl::Status WatchDevices(Client& client) {
  const Format format = client.options().format;
  // Streamed rows cannot be measured first: widths that fit typical values.
  std::vector<Column> columns = {{"kind", "KIND", false, 7}};
  const int widths[] = {19, 13, 7, 10, 16, 12, 10, 10};
  std::vector<Column> device_columns = DeviceColumns();
  for (size_t i = 0; i < device_columns.size(); ++i) {
    device_columns[i].width = widths[i];
    columns.push_back(device_columns[i]);
  }
  RowPrinter rows(columns, format, stdout);
  grpc::ClientContext context;
  SetStreamDuration(&context, absl::GetFlag(FLAGS_duration));
  auto reader =
      client.devices().WatchDevices(&context, v1::WatchDevicesRequest());
  return ReadStream<v1::DeviceChange>(
      client, &context, reader.get(),
      [&] {
        Note(absl::StrCat("watching devices at ", client.address(),
                          " (Ctrl-C to stop)"));
        rows.Header();
      },
      [&](const v1::DeviceChange& change) {
        if (change.dropped_since_last() > 0) {
          Note(absl::StrCat("dropped ", change.dropped_since_last(),
                            " device changes"));
        }
        if (format == Format::kJson) {
          std::printf("%s\n", ProtoJson(change).c_str());
        } else {
          std::vector<std::string> cells = {
              Lower(v1::DeviceChange::Kind_Name(change.kind()))};
          for (std::string& cell : DeviceCells(change.device(), format)) {
            cells.push_back(std::move(cell));
          }
          rows.Row(cells);
        }
        std::fflush(stdout);
        return true;
      });
}

int RunDevices(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("devices", "takes no arguments");
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  absl::Status status = absl::GetFlag(FLAGS_watch) ? WatchDevices(**client)
                                                   : ListDevices(**client);
  return status.ok() ? kExitOk : Fail(status);
}

// --- info -------------------------------------------------------------------

std::string ShapeText(const v1::Shape& s) {
  return absl::StrCat(s.size().x(), "x", s.size().y(), "x", s.feature_count());
}

const v1::CoreMemoryUsage* MemoryOf(const v1::GetConfigurationResponse& config,
                                    uint32_t layer) {
  for (const v1::CoreMemoryUsage& m : config.memory()) {
    if (m.layer() == layer) return &m;
  }
  return nullptr;
}

std::string DestinationsText(
    const google::protobuf::RepeatedPtrField<v1::CnnLayerDestination>& list) {
  std::vector<std::string> parts;
  for (const v1::CnnLayerDestination& d : list) {
    if (!d.enable()) continue;
    parts.push_back(d.layer() == 12 ? "readout"
                                    : absl::StrCat("core ", d.layer()));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

// " (core 0: 25001 spikes, DVS monitor: 25001)", or "" with no outputs.
std::string OutputsByKind(const v1::Device& d) {
  std::vector<std::string> parts;
  for (int i = 0; i < d.core_spikes_out_size(); ++i) {
    if (d.core_spikes_out(i) > 0) {
      parts.push_back(
          absl::StrCat("core ", i, ": ", d.core_spikes_out(i), " spikes"));
    }
  }
  if (d.dvs_monitor_out() > 0) {
    parts.push_back(absl::StrCat("DVS monitor: ", d.dvs_monitor_out()));
  }
  if (d.readout_out() > 0) {
    parts.push_back(absl::StrCat("readout: ", d.readout_out()));
  }
  return parts.empty() ? ""
                       : absl::StrCat(" (", absl::StrJoin(parts, ", "), ")");
}

void PrintInfoTable(const v1::Device& d,
                    const v1::GetConfigurationResponse& config) {
  auto line = [](absl::string_view key, const std::string& value) {
    std::printf("%-15s %s\n", std::string(key).c_str(), value.c_str());
  };
  line("device", absl::StrCat(d.id(), " (", d.type_name(), ", ",
                              BackendName(d.backend()), ")"));
  line("state",
       d.state_detail().empty()
           ? StateName(d.state())
           : absl::StrCat(StateName(d.state()), ": ", d.state_detail()));
  if (!d.driver_detail().empty() && d.driver_detail() != d.state_detail()) {
    line("driver", d.driver_detail());
  }
  if (d.backend() == v1::USB) {
    line("usb",
         absl::StrFormat(
             "bus %d, port %s, address %d, %s, id %04x:%04x",
             d.usb_bus_number(), d.usb_port_path(), d.usb_device_address(),
             d.usb_speed().empty() ? "speed unknown" : d.usb_speed() + " speed",
             d.usb_vendor_id(), d.usb_product_id()));
  }
  if (!d.manufacturer().empty() || !d.product().empty()) {
    line("product",
         absl::StrCat(d.manufacturer(), d.manufacturer().empty() ? "" : " ",
                      d.product()));
  }
  if (!d.serial_number().empty()) line("serial", d.serial_number());
  line("lease", LeaseText(d.lease()));
  // Nothing below exists on a board speckd cannot drive.
  if (d.state() == v1::UNUSABLE) return;
  line("stop watch",
       absl::StrFormat("%s, %.6f s, epoch %d",
                       d.stop_watch().enabled() ? "running" : "stopped",
                       static_cast<double>(d.stop_watch().time_us()) / 1e6,
                       d.stop_watch().epoch()));
  line("pacing", Lower(v1::Pacing_Name(d.pacing())));
  line("slow clock", d.slow_clock().enabled()
                         ? absl::StrCat(d.slow_clock().rate_hz(), " Hz")
                         : "off");
  line("power monitor", d.power_monitor_rate_hz() > 0
                            ? absl::StrCat(d.power_monitor_rate_hz(), " Hz")
                            : "off");
  line("events", absl::StrCat("in ", d.events_in(), ", out ", d.events_out(),
                              OutputsByKind(d)));
  std::string work = absl::StrCat(d.synops(), " synops, ", d.queued_inputs(),
                                  " queued, ", d.late_inputs(), " late");
  if (d.pending_writes() > 0) {
    absl::StrAppend(&work, ", ", d.pending_writes(), " writes waiting");
  }
  if (d.dropped_inputs() > 0) {
    absl::StrAppend(&work, ", ", d.dropped_inputs(),
                    " dropped (cancel, reset or apply)");
  }
  if (d.dropped_outputs() > 0) {
    absl::StrAppend(&work, ", ", d.dropped_outputs(),
                    " outputs dropped (the driver's queue was full)");
  }
  if (d.cascade_overflow() > 0) {
    absl::StrAppend(&work, ", ", d.cascade_overflow(),
                    " spikes cut off (runaway cascade)");
  }
  line("work", work);
  if (d.stalled_subscribers_ended() > 0) {
    line("subscribers",
         absl::StrCat(d.stalled_subscribers_ended(),
                      " LOSSLESS ended for stalling the device"));
  }
  line("configuration",
       config.applied() ? "applied" : "not applied (chip defaults)");
  const v1::SpeckConfiguration& c = config.configuration();
  int in_use = 0;
  for (int i = 0; i < c.cnn_layers_size(); ++i) {
    const v1::CnnLayerConfig& core = c.cnn_layers(i);
    if (core.dimensions().output_shape().feature_count() == 0) continue;
    ++in_use;
    const v1::CnnLayerDimensions& dims = core.dimensions();
    std::string text = absl::StrCat(
        ShapeText(dims.input_shape()), " -> ", ShapeText(dims.output_shape()),
        ", kernel ", dims.kernel_size(), ", monitor ",
        core.monitor_enable() ? "on" : "off", ", to ",
        DestinationsText(core.destinations()));
    if (const v1::CoreMemoryUsage* m = MemoryOf(config, i)) {
      absl::StrAppend(&text, "; memory: kernel ", m->kernel_words(), "/",
                      m->kernel_limit(), ", neurons ", m->neuron_words(), "/",
                      m->neuron_limit(), ", biases ", m->bias_words(), "/",
                      m->bias_limit(), " words");
    }
    line(absl::StrCat("  core ", i), text);
  }
  line("cores in use", absl::StrCat(in_use));
  if (config.applied()) {
    line("  dvs layer",
         absl::StrCat("to ", DestinationsText(c.dvs_layer().destinations()),
                      ", monitor ",
                      c.dvs_layer().monitor_enable() ? "on" : "off"));
  }
}

int RunInfo(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("info", "takes no arguments");
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::Device> device = (*client)->GetDevice();
  if (!device.ok()) return Fail(device.status());
  absl::StatusOr<v1::GetConfigurationResponse> config =
      (*client)->GetConfiguration();
  // A board that cannot be used has no configuration to show; its state
  // says why, which is what the user needs.
  if (!config.ok() && device->state() == v1::UNUSABLE) {
    config = v1::GetConfigurationResponse();
  }
  if (!config.ok()) return Fail(config.status());
  const Format format = (*client)->options().format;
  if (format == Format::kTable) {
    PrintInfoTable(*device, *config);
    return kExitOk;
  }
  // json and csv: one entry per core in use, with its memory.
  Table cores({{"layer", "LAYER", true},
               {"input", "INPUT"},
               {"output", "OUTPUT"},
               {"kernel_size", "KERNEL", true},
               {"kernel_words", "KERNEL WORDS", true},
               {"kernel_limit", "KERNEL LIMIT", true},
               {"neuron_words", "NEURON WORDS", true},
               {"neuron_limit", "NEURON LIMIT", true},
               {"bias_words", "BIAS WORDS", true},
               {"bias_limit", "BIAS LIMIT", true}});
  const v1::SpeckConfiguration& c = config->configuration();
  for (int i = 0; i < c.cnn_layers_size(); ++i) {
    const v1::CnnLayerDimensions& dims = c.cnn_layers(i).dimensions();
    if (dims.output_shape().feature_count() == 0) continue;
    v1::CoreMemoryUsage none;
    const v1::CoreMemoryUsage* m = MemoryOf(*config, i);
    if (m == nullptr) m = &none;
    cores.AddRow(
        {absl::StrCat(i), ShapeText(dims.input_shape()),
         ShapeText(dims.output_shape()), absl::StrCat(dims.kernel_size()),
         absl::StrCat(m->kernel_words()), absl::StrCat(m->kernel_limit()),
         absl::StrCat(m->neuron_words()), absl::StrCat(m->neuron_limit()),
         absl::StrCat(m->bias_words()), absl::StrCat(m->bias_limit())});
  }
  if (format == Format::kCsv) {
    std::fputs(cores.Render(Format::kCsv).c_str(), stdout);
    return kExitOk;
  }
  std::string cores_json = cores.Render(Format::kJson);
  cores_json.pop_back();  // newline
  JsonObject info;
  info.AddRaw("device", ProtoJson(*device))
      .AddBool("configuration_applied", config->applied())
      .AddRaw("cores", cores_json);
  std::printf("%s\n", info.str().c_str());
  return kExitOk;
}

// --- lease, stopwatch -------------------------------------------------------

// `lease break`: takes the lease from its holder (an admin's power) and
// frees it.
int BreakLease(Client& client, const v1::Device& device) {
  v1::AcquireLeaseRequest take;
  take.set_device_id(device.id());
  take.set_holder("speckctl lease break");
  take.set_take_over(true);
  v1::Lease lease;
  absl::Status taken = client.Unary([&](grpc::ClientContext* context) {
    return client.devices().AcquireLease(context, take, &lease);
  });
  if (!taken.ok()) return Fail(taken);
  v1::ReleaseLeaseRequest release;
  release.set_device_id(device.id());
  release.set_lease_id(lease.lease_id());
  v1::ReleaseLeaseResponse released;
  absl::Status freed = client.Unary([&](grpc::ClientContext* context) {
    return client.devices().ReleaseLease(context, release, &released);
  });
  if (!freed.ok()) return Fail(freed);
  const std::string from = device.lease().holder();
  std::printf("%s: %s; the lease is free\n", device.id().c_str(),
              from.empty() ? "nobody held it"
                           : absl::StrCat("taken from '", from, "'").c_str());
  return kExitOk;
}

int RunLease(const std::vector<std::string>& args) {
  if (!args.empty() && !(args.size() == 1 && args[0] == "break")) {
    return UsageError("lease", "takes nothing, or break");
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::Device> device = (*client)->GetDevice();
  if (!device.ok()) return Fail(device.status());
  if (!args.empty()) return BreakLease(**client, *device);
  const v1::Lease& lease = device->lease();
  switch ((*client)->options().format) {
    case Format::kTable:
      std::printf("%s: %s\n", device->id().c_str(), LeaseText(lease).c_str());
      break;
    case Format::kCsv:
      std::printf("device_id,holder,expires_unix_ms\n%s,%s,%lld\n",
                  CsvField(device->id()).c_str(),
                  CsvField(lease.holder()).c_str(),
                  static_cast<long long>(lease.expires_unix_ms()));
      break;
    case Format::kJson: {
      JsonObject object;
      object.AddString("device_id", device->id())
          .AddBool("free", lease.holder().empty())
          .AddString("holder", lease.holder())
          .AddInt("expires_unix_ms", lease.expires_unix_ms())
          .AddInt("renewed_unix_ms", lease.renewed_unix_ms());
      std::printf("%s\n", object.str().c_str());
      break;
    }
  }
  return kExitOk;
}

int RunStopWatch(const std::vector<std::string>& args) {
  const bool reset = !args.empty() && args[0] == "reset";
  if (args.size() > 1 || (!args.empty() && !reset && args[0] != "show")) {
    return UsageError("stopwatch", "expects 'reset' or 'show'");
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  v1::StopWatch watch;
  std::string device_id;
  if (reset) {
    absl::StatusOr<std::unique_ptr<Lease>> lease =
        Lease::Acquire(client->get(), /*keep_renewed=*/false);
    if (!lease.ok()) return Fail(lease.status());
    absl::StatusOr<v1::StopWatch> reset_watch = (*client)->SetStopWatch(
        **lease, /*enable=*/std::nullopt, /*reset=*/true);
    device_id = (*lease)->device_id();
    absl::Status released = (*lease)->Release();
    if (!reset_watch.ok()) return Fail(reset_watch.status());
    if (!released.ok()) return Fail(released);
    watch = *reset_watch;
  } else {
    absl::StatusOr<v1::Device> device = (*client)->GetDevice();
    if (!device.ok()) return Fail(device.status());
    watch = device->stop_watch();
    device_id = device->id();
  }
  switch ((*client)->options().format) {
    case Format::kTable:
      std::printf("%s: stop watch %s%s at %.6f s, epoch %llu\n",
                  device_id.c_str(), reset ? "reset, " : "",
                  watch.enabled() ? "running" : "stopped",
                  static_cast<double>(watch.time_us()) / 1e6,
                  static_cast<unsigned long long>(watch.epoch()));
      break;
    case Format::kCsv:
      std::printf("device_id,enabled,time_us,epoch\n%s,%d,%llu,%llu\n",
                  CsvField(device_id).c_str(), watch.enabled() ? 1 : 0,
                  static_cast<unsigned long long>(watch.time_us()),
                  static_cast<unsigned long long>(watch.epoch()));
      break;
    case Format::kJson: {
      JsonObject object;
      object.AddString("device_id", device_id)
          .AddRaw("stop_watch", ProtoJson(watch));
      std::printf("%s\n", object.str().c_str());
      break;
    }
  }
  return kExitOk;
}

int RunCancel(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("cancel", "takes no arguments");
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<std::unique_ptr<Lease>> lease =
      Lease::Acquire(client->get(), /*keep_renewed=*/false);
  if (!lease.ok()) return Fail(lease.status());
  absl::StatusOr<v1::CancelInputsResponse> dropped =
      (*client)->CancelInputs(**lease);
  const std::string device_id = (*lease)->device_id();
  absl::Status released = (*lease)->Release();
  if (!dropped.ok()) return Fail(dropped.status());
  if (!released.ok()) return Fail(released);
  switch ((*client)->options().format) {
    case Format::kTable:
      std::printf(
          "%s: dropped %llu inputs not yet played (and %llu write calls "
          "that had not reached the device)\n",
          device_id.c_str(),
          static_cast<unsigned long long>(dropped->dropped_inputs()),
          static_cast<unsigned long long>(dropped->dropped_writes()));
      break;
    case Format::kCsv:
      std::printf("device_id,dropped_inputs,dropped_writes\n%s,%llu,%llu\n",
                  CsvField(device_id).c_str(),
                  static_cast<unsigned long long>(dropped->dropped_inputs()),
                  static_cast<unsigned long long>(dropped->dropped_writes()));
      break;
    case Format::kJson: {
      JsonObject object;
      object.AddString("device_id", device_id)
          .AddUint("dropped_inputs", dropped->dropped_inputs())
          .AddUint("dropped_writes", dropped->dropped_writes());
      std::printf("%s\n", object.str().c_str());
      break;
    }
  }
  return kExitOk;
}

}  // namespace

const Command kDevicesCommand = {
    "devices", "list speckd's devices, or watch them change",
    "usage: speckctl devices [--watch [--duration=D]] "
    "[--output=table|json|csv]\n"
    "\n"
    "Lists every device speckd owns: id, type, backend (sim or usb), state,\n"
    "where it is (USB bus-ports, address, speed), who holds its control\n"
    "lease, and the events written to / emitted by it; then, for each device\n"
    "that is lost or cannot be used, why and what to do.\n"
    "With --watch, streams every change instead (the current list first),\n"
    "one line per change (one JSON object per line with --output=json),\n"
    "until Ctrl-C or --duration.\n"
    "\n"
    "global flags: --server=HOST:PORT (default $SPECKD_SERVER or\n"
    "127.0.0.1:50051), --device=ID, --timeout=10s, --output=table|json|csv\n"
    "\n"
    "examples:\n"
    "  speckctl devices\n"
    "  speckctl devices --watch --output=json\n",
    RunDevices};

const Command kInfoCommand = {
    "info", "show one device: state, lease, stop watch, cores in use",
    "usage: speckctl info [--device=ID] [--output=table|json|csv]\n"
    "\n"
    "Shows one device (default: speckd's default device): state, lease, stop\n"
    "watch, pacing, slow clock, power monitor, event counters, and whether a\n"
    "configuration is applied, with each core in use (input -> output shape,\n"
    "kernel, destinations) and its memory against the core's limits.\n"
    "--output=csv/json give one entry per core in use.\n"
    "\n"
    "example:\n"
    "  speckctl info --device=speck2edevkit-sim:0\n",
    RunInfo};

const Command kLeaseCommand = {
    "lease", "show who holds the device's control lease",
    "usage: speckctl lease [break] [--device=ID] [--output=table|json|csv]\n"
    "\n"
    "Shows the holder of the device's control lease and when it expires, or\n"
    "'free'. Commands that change the device (config apply, write,\n"
    "stopwatch reset, demo) take the lease themselves and release it.\n"
    "break: takes the lease from whoever holds it and frees it (the admin\n"
    "role's, on a speckd with access tokens; logged with both names).\n"
    "\n"
    "example:\n"
    "  speckctl lease\n"
    "  speckctl lease break --token=@admin.token\n",
    RunLease};

const Command kStopWatchCommand = {
    "stopwatch", "show or reset the device's stop watch",
    "usage: speckctl stopwatch [show|reset] [--device=ID]\n"
    "\n"
    "show (default): the stop watch's state, time and epoch.\n"
    "reset: restarts it at 0 (a new epoch); takes the lease briefly. Input\n"
    "timestamps are released when the stop watch reaches them, and outputs\n"
    "are stamped with it; a reset drops the inputs queued for the old epoch\n"
    "(subscribers get an INPUTS_DROPPED notice).\n"
    "\n"
    "example:\n"
    "  speckctl stopwatch reset\n",
    RunStopWatch};

const Command kCancelCommand = {
    "cancel", "drop the inputs the device has not played yet",
    "usage: speckctl cancel [--device=ID] [--output=table|json|csv]\n"
    "\n"
    "Drops every input speckd accepted for the device that has not played\n"
    "yet: what the device has queued (real-time pacing holds inputs until the\n"
    "stop watch reaches them) and writes still waiting to reach it (those\n"
    "calls end ABORTED). The stop watch and the configuration stay as they\n"
    "are. Takes the lease briefly, so it fails while another client holds\n"
    "it (speckctl lease shows who). Subscribers get an INPUTS_DROPPED notice\n"
    "with the count; the device's dropped_inputs counter adds it up.\n"
    "\n"
    "example:\n"
    "  speckctl write --nowait --pattern=tutorial --duration=60s && "
    "speckctl cancel\n",
    RunCancel};

}  // namespace speckd::cli
