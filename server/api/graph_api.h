// GraphApi: the logic of speckd.v1.GraphService (client-made event-routing
// graphs), gRPC-free; services.h serves it.
//
// Graphs are part of a device's setup: creating one needs the device's
// lease, and the graph remembers the holder; starting, stopping and deleting
// need that lease or the device's current one. A device_sink writes only
// while its lease holds the target device.
#ifndef SPECKD_SERVER_API_GRAPH_API_H_
#define SPECKD_SERVER_API_GRAPH_API_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/speckd/v1/graph_service.pb.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

class GraphApi {
 public:
  // Both must outlive the API.
  GraphApi(DeviceManager* devices, SubscriptionHub* hub)
      : devices_(devices), hub_(hub) {}

  absl::Status ListNodeTypes(const v1::ListNodeTypesRequest& request,
                             v1::ListNodeTypesResponse* response);
  absl::Status CreateGraph(const v1::CreateGraphRequest& request,
                           v1::Graph* response);
  absl::Status ListGraphs(const v1::ListGraphsRequest& request,
                          v1::ListGraphsResponse* response);
  absl::Status GetGraph(const v1::GetGraphRequest& request,
                        v1::Graph* response);
  absl::Status StartGraph(const v1::GraphRef& request, v1::Graph* response);
  absl::Status StopGraph(const v1::GraphRef& request, v1::Graph* response);
  absl::Status DeleteGraph(const v1::GraphRef& request,
                           v1::DeleteGraphResponse* response);
  absl::StatusOr<Subscription> SubscribeNode(
      const v1::SubscribeNodeRequest& request);

 private:
  absl::Status SetRunning(const v1::GraphRef& request, bool running,
                          v1::Graph* response);
  // Every device_sink's target is known and held by the node's lease.
  absl::Status CheckSinks(const graph::GraphSpec& spec) const;

  DeviceManager* const devices_;
  SubscriptionHub* const hub_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_GRAPH_API_H_
