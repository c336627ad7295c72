// SubscriptionHub turns a Subscribe* call into a stream: it builds the small
// internal graph the call describes (device_source -> filters -> windows ->
// endpoint) on the device, or joins an identical one that is already running
// (one encoding shared by every subscriber), attaches a bounded subscriber
// queue and starts the stream. The graph goes away with its last subscriber.
#ifndef SPECKD_SERVER_API_SUBSCRIPTIONS_H_
#define SPECKD_SERVER_API_SUBSCRIPTIONS_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "driver/util/mutex.h"
#include "server/api/stream_reactor.h"
#include "server/devices/device_manager.h"
#include "server/graph/graph.h"
#include "server/stream/subscriber.h"

namespace speckd::server::api {

class SubscriptionHub {
 public:
  SubscriptionHub(DeviceManager* devices, StreamRegistry* registry)
      : devices_(devices), registry_(registry) {}

  // Subscribes to the output of node `endpoint` of the internal graph `spec`
  // on `device`; graphs with the same `key` on the same device are shared.
  absl::StatusOr<StreamReactor*> Subscribe(ManagedDevice* device,
                                           const std::string& key,
                                           const graph::GraphSpec& spec,
                                           const std::string& endpoint,
                                           const SubscriberOptions& options);

  // Subscribes to node `node` of a client-made graph (an endpoint node).
  absl::StatusOr<StreamReactor*> SubscribeNode(
      const std::string& graph_id, const std::string& node,
      const SubscriberOptions& options);

  // Ends the streams of graph `graph_id` with `status` (the graph is being
  // deleted).
  void EndGraphStreams(const std::string& graph_id, const grpc::Status& status);

  // Sends `payload` to every subscriber of every graph on `device_id`.
  void Broadcast(const std::string& device_id, const PayloadPtr& payload);

  // Internal graphs running now (for tests and diagnostics).
  size_t internal_graphs() const;

 private:
  struct Branch {
    ManagedDevice* device = nullptr;
    std::string graph_id;
    std::string endpoint;
    std::shared_ptr<Fanout> fanout;
    bool internal = true;
    // Live while registered: Release() (from the reactor's OnDone, under
    // mu_) removes a reactor before it is deleted.
    std::set<StreamReactor*> reactors;
  };

  StreamReactor* Attach(const std::string& branch_key, Branch* branch,
                        const SubscriberOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(const std::string& branch_key, StreamReactor* reactor);

  DeviceManager* const devices_;
  StreamRegistry* const registry_;
  mutable Mutex mu_;
  std::map<std::string, Branch> branches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_SUBSCRIPTIONS_H_
