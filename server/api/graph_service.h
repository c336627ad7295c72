// speckd.v1.GraphService: client-made event-routing graphs.
#ifndef SPECKD_SERVER_API_GRAPH_SERVICE_H_
#define SPECKD_SERVER_API_GRAPH_SERVICE_H_

#include "proto/speckd/v1/graph_service.grpc.pb.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

using GraphServiceBase = v1::GraphService::WithRawCallbackMethod_SubscribeNode<
    v1::GraphService::CallbackService>;

class GraphServiceImpl final : public GraphServiceBase {
 public:
  GraphServiceImpl(DeviceManager* devices, SubscriptionHub* hub)
      : devices_(devices), hub_(hub) {}

  grpc::ServerUnaryReactor* ListNodeTypes(
      grpc::CallbackServerContext* context,
      const v1::ListNodeTypesRequest* request,
      v1::ListNodeTypesResponse* response) override;
  grpc::ServerUnaryReactor* CreateGraph(grpc::CallbackServerContext* context,
                                        const v1::CreateGraphRequest* request,
                                        v1::Graph* response) override;
  grpc::ServerUnaryReactor* ListGraphs(
      grpc::CallbackServerContext* context,
      const v1::ListGraphsRequest* request,
      v1::ListGraphsResponse* response) override;
  grpc::ServerUnaryReactor* GetGraph(grpc::CallbackServerContext* context,
                                     const v1::GetGraphRequest* request,
                                     v1::Graph* response) override;
  grpc::ServerUnaryReactor* StartGraph(grpc::CallbackServerContext* context,
                                       const v1::GraphRef* request,
                                       v1::Graph* response) override;
  grpc::ServerUnaryReactor* StopGraph(grpc::CallbackServerContext* context,
                                      const v1::GraphRef* request,
                                      v1::Graph* response) override;
  grpc::ServerUnaryReactor* DeleteGraph(
      grpc::CallbackServerContext* context, const v1::GraphRef* request,
      v1::DeleteGraphResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeNode(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  grpc::ServerUnaryReactor* SetRunning(grpc::CallbackServerContext* context,
                                       const std::string& graph_id,
                                       bool running, v1::Graph* response);

  DeviceManager* const devices_;
  SubscriptionHub* const hub_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_GRAPH_SERVICE_H_
