// GraphSet: the graphs that run on one device's output.
//
// The device thread owns them: it alone runs Process, and it reconfigures a
// graph (new frame sizes, ...) when an output carries a configuration the
// graph was not built for, so Process and Reconfigure never overlap. Adding,
// removing, starting and stopping happen on any thread: they swap an
// immutable list that the device thread picks up at its next output. A
// removed graph may therefore see one more output; its endpoints hold their
// sinks by shared_ptr, so that is safe.
//
//   GraphSet graphs("speck2edevkit:0", {.max_graphs = 16});
//   graphs.Add("g1", std::move(graph), config, owner, /*running=*/true);
//   graphs.Process(output, on_stopped);      // on the device thread
#ifndef SPECKD_SERVER_DEVICES_GRAPH_SET_H_
#define SPECKD_SERVER_DEVICES_GRAPH_SET_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "driver/chip/config.h"
#include "driver/device.h"
#include "driver/util/mutex.h"
#include "server/devices/lease.h"
#include "server/graph/graph.h"

namespace speckd::server {

// Who made a graph, and so who may change it.
struct GraphOwner {
  // The lease holder that created it, as shown to others.
  std::string holder;
  // The lease it was created with (secret): stopping, starting or deleting
  // needs it or the device's current lease.
  std::string lease_id;
  // Made by a subscription: not counted against the cap, not listed unless
  // asked, gone with its last subscriber.
  bool internal = false;
};

struct GraphInfo {
  std::string id;
  std::string device_id;
  graph::GraphSpec spec;
  bool running = false;
  bool internal = false;
  std::string owner;
  // Why it stopped by itself (a device_sink lost its lease); empty if not.
  std::string stopped_because;
  std::vector<graph::NodeCounters> counters;
};

struct GraphSetOptions {
  // Client graphs per device, at most (subscriptions' own do not count).
  size_t max_graphs = 16;
};

class GraphSet {
 public:
  // `on_stopped(id, why)` runs on the device thread when a graph stops by
  // itself.
  using StoppedCallback =
      std::function<void(const std::string& id, const std::string& why)>;

  GraphSet(std::string device_id, const GraphSetOptions& options);

  // Adds `graph`, built for `config`. RESOURCE_EXHAUSTED when the device has
  // max_graphs client graphs already; ALREADY_EXISTS for a known id.
  absl::Status Add(const std::string& id, std::unique_ptr<graph::Graph> graph,
                   std::shared_ptr<const chip::SpeckConfig> config,
                   GraphOwner owner, bool running);
  // NOT_FOUND for an unknown id (here and below).
  absl::Status SetRunning(const std::string& id, bool running);
  absl::Status Remove(const std::string& id);
  absl::StatusOr<GraphInfo> Get(const std::string& id) const;
  absl::StatusOr<GraphOwner> Owner(const std::string& id) const;
  // OK if `lease_id` may start, stop or delete graph `id`: the lease it was
  // made with, or `device_lease`'s current one. FAILED_PRECONDITION saying
  // who made it otherwise, and for a subscription's graph.
  absl::Status CheckAccess(const std::string& id, const std::string& lease_id,
                           const ControlLease& device_lease) const;
  bool Has(absl::string_view id) const;
  std::vector<GraphInfo> List(bool include_internal) const;
  // Client graphs now (what max_graphs limits).
  size_t client_graphs() const;
  // Attaches `sink` to endpoint `node` of graph `id` (nullptr detaches).
  absl::Status AttachEndpoint(const std::string& id, const std::string& node,
                              std::shared_ptr<graph::EndpointSink> sink);

  // Device thread only: runs `output` through every running graph.
  void Process(const driver::DeviceOutput& output,
               const StoppedCallback& on_stopped);

 private:
  struct Entry {
    std::string id;
    GraphOwner owner;
    std::shared_ptr<graph::Graph> graph;
    std::atomic<bool> running{false};
    // Device thread only (set before the entry is published): the
    // configuration the graph's nodes are sized for.
    std::shared_ptr<const chip::SpeckConfig> config;
  };
  using Entries = std::vector<std::shared_ptr<Entry>>;

  std::shared_ptr<Entry> Find(absl::string_view id) const;
  GraphInfo InfoOf(const Entry& entry) const;

  const std::string device_id_;
  const GraphSetOptions options_;
  // A leaf lock: held only to read or swap list_ (and stopped_because_).
  mutable Mutex mu_;
  std::shared_ptr<const Entries> list_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> stopped_because_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_GRAPH_SET_H_
