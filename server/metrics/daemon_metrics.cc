#include "server/metrics/daemon_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace speckd::server::metrics {
namespace {

using Get = std::function<double(const DeviceSnapshot&)>;

struct DeviceFamily {
  const char* name;
  const char* type;
  const char* help;
  Get get;
};

double N(uint64_t v) { return static_cast<double>(v); }

const std::vector<DeviceFamily>& DeviceFamilies() {
  static const auto* families = new std::vector<DeviceFamily>{
      {"speckd_device_events_in_total", "counter",
       "Events written into the device (DVS events and spikes).",
       [](const DeviceSnapshot& d) { return N(d.counters.events_in); }},
      {"speckd_device_synops_total", "counter",
       "Synaptic operations the chip performed.",
       [](const DeviceSnapshot& d) { return N(d.counters.synops); }},
      {"speckd_device_queued_inputs", "gauge",
       "Inputs accepted but not yet processed (waiting for their time).",
       [](const DeviceSnapshot& d) { return N(d.counters.queued_inputs); }},
      {"speckd_device_pending_writes", "gauge",
       "Writes admitted or waiting in speckd, not yet in the device.",
       [](const DeviceSnapshot& d) { return N(d.pending_writes); }},
      {"speckd_device_late_inputs_total", "counter",
       "Inputs processed after their timestamp.",
       [](const DeviceSnapshot& d) { return N(d.counters.late_inputs); }},
      {"speckd_device_dropped_inputs_total", "counter",
       "Accepted inputs dropped before processing (cancel, reset, apply).",
       [](const DeviceSnapshot& d) { return N(d.counters.dropped_inputs); }},
      {"speckd_device_cascade_overflow_total", "counter",
       "Spikes cut off in cascades that never settled.",
       [](const DeviceSnapshot& d) { return N(d.counters.cascade_overflow); }},
      {"speckd_device_leased", "gauge",
       "1 while a client holds the device's control lease.",
       [](const DeviceSnapshot& d) { return d.lease.has_value() ? 1.0 : 0.0; }},
  };
  return *families;
}

// Events out by kind: "core0" .. "core8", "dvs_monitor", "readout".
void RenderEventsOut(const std::vector<DeviceSnapshot>& devices,
                     Exposition* out) {
  constexpr char kName[] = "speckd_device_events_out_total";
  out->Family(kName, "counter",
              "Events the device sent out, by kind (a core's monitored "
              "spikes, the DVS layer's monitor, readout values and pins).");
  for (const DeviceSnapshot& d : devices) {
    const std::string& id = d.descriptor.id;
    for (size_t i = 0; i < d.counters.core_spikes_out.size(); ++i) {
      out->Sample(kName, {{"device", id}, {"kind", absl::StrCat("core", i)}},
                  N(d.counters.core_spikes_out[i]));
    }
    out->Sample(kName, {{"device", id}, {"kind", "dvs_monitor"}},
                N(d.counters.dvs_monitor_out));
    out->Sample(kName, {{"device", id}, {"kind", "readout"}},
                N(d.counters.readout_out));
  }
}

uint64_t OpenDescriptors() {
  uint64_t n = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
    closedir(dir);
    --n;  // opendir's own
  }
  return n;
}

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) *
         static_cast<double>(sysconf(_SC_PAGESIZE));
}

double StartTimeSeconds() {
  // Field 22 of /proc/self/stat: start time in clock ticks after boot.
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
  }
  std::ifstream uptime_file("/proc/uptime");
  double uptime = 0;
  uptime_file >> uptime;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double boot = static_cast<double>(time(nullptr)) - uptime;
  return boot + std::stod(field.empty() ? "0" : field) / ticks;
}

}  // namespace

void RenderDevices(const std::vector<DeviceSnapshot>& devices,
                   Exposition* out) {
  out->Family("speckd_device_info", "gauge",
              "1 per device, labelled with its type, backend and state.");
  for (const DeviceSnapshot& d : devices) {
    out->Sample("speckd_device_info",
                {{"device", d.descriptor.id},
                 {"type", d.descriptor.type_name},
                 {"backend", driver::BackendName(d.descriptor.backend)},
                 {"state", DeviceStateName(d.state)}},
                1);
  }
  for (const DeviceFamily& f : DeviceFamilies()) {
    out->Family(f.name, f.type, f.help);
    for (const DeviceSnapshot& d : devices) {
      out->Sample(f.name, {{"device", d.descriptor.id}}, f.get(d));
    }
  }
  RenderEventsOut(devices, out);
}

void RenderStreams(const std::vector<SubscriberStats>& streams,
                   Exposition* out) {
  uint64_t delivered = 0, dropped = 0, queued = 0, queued_bytes = 0;
  for (const SubscriberStats& s : streams) {
    delivered += s.delivered_messages;
    dropped += s.dropped_items;
    queued += s.queued_messages;
    queued_bytes += s.queued_bytes;
  }
  const struct {
    const char* name;
    const char* help;
    double value;
  } families[] = {
      {"speckd_streams_open", "Subscription streams open now.",
       N(streams.size())},
      {"speckd_streams_delivered_messages",
       "Messages the open streams have sent so far.", N(delivered)},
      {"speckd_streams_dropped_items",
       "Items the open streams' queues dropped so far (DROP_OLDEST, "
       "DROP_NEWEST), each also reported to its client.",
       N(dropped)},
      {"speckd_streams_queued_messages",
       "Messages waiting in the open streams' queues.", N(queued)},
      {"speckd_streams_queued_bytes",
       "Bytes waiting in the open streams' queues.", N(queued_bytes)},
  };
  for (const auto& f : families) {
    out->Family(f.name, "gauge", f.help);
    out->Sample(f.name, {}, f.value);
  }
}

void RenderProcess(Exposition* out) {
  out->Family("process_resident_memory_bytes", "gauge",
              "Resident memory of the speckd process.");
  out->Sample("process_resident_memory_bytes", {}, ResidentBytes());
  out->Family("process_open_fds", "gauge", "Open file descriptors.");
  out->Sample("process_open_fds", {}, N(OpenDescriptors()));
  out->Family("process_start_time_seconds", "gauge",
              "When the process started (Unix seconds).");
  out->Sample("process_start_time_seconds", {}, StartTimeSeconds());
  RenderConnections(GetAcceptGuardStats(), out);
}

void RenderConnections(const AcceptGuardStats& stats, Exposition* out) {
  out->Family("speckd_connections_open", "gauge",
              "TCP connections open on both ports (counted only while "
              "--max_connections or --max_connections_per_client is set).");
  out->Sample("speckd_connections_open", {}, N(stats.connections));
  out->Family("speckd_connections_refused_total", "counter",
              "Connections closed as soon as accepted: past the per-client "
              "or total cap, or for want of file descriptors.");
  out->Sample("speckd_connections_refused_total", {{"reason", "per_client"}},
              N(stats.refused_client_full));
  out->Sample("speckd_connections_refused_total", {{"reason", "total"}},
              N(stats.refused_total_full));
  out->Sample("speckd_connections_refused_total", {{"reason", "descriptors"}},
              N(stats.refused));
}

}  // namespace speckd::server::metrics
