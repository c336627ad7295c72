// The daemon's families for /metrics, beside the RPC counts
// (rpc_metrics.h): per device (state, lease, events in and out by kind,
// synaptic operations, queued, late and dropped inputs), the open streams
// (totals: a stream is too short-lived to be a series of its own) and the
// process (resident memory, descriptors, start time). docs/daemon.md lists
// them.
#ifndef SPECKD_SERVER_METRICS_DAEMON_METRICS_H_
#define SPECKD_SERVER_METRICS_DAEMON_METRICS_H_

#include <vector>

#include "server/devices/managed_device.h"
#include "server/listen/descriptors.h"
#include "server/metrics/exposition.h"
#include "server/stream/subscriber.h"

namespace speckd::server::metrics {

void RenderDevices(const std::vector<DeviceSnapshot>& devices, Exposition* out);
void RenderStreams(const std::vector<SubscriberStats>& streams,
                   Exposition* out);
// From /proc/self: process_resident_memory_bytes, process_open_fds,
// process_start_time_seconds (Prometheus' standard process names), and
// the connections on both ports (RenderConnections).
void RenderProcess(Exposition* out);
// speckd_connections_open and speckd_connections_refused_total by reason.
void RenderConnections(const AcceptGuardStats& stats, Exposition* out);

}  // namespace speckd::server::metrics

#endif  // SPECKD_SERVER_METRICS_DAEMON_METRICS_H_
