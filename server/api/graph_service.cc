#include "server/api/graph_service.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/convert.h"
#include "server/api/event_service.h"
#include "server/api/status.h"
#include "server/log/log.h"

namespace speckd::server::api {

grpc::ServerUnaryReactor* GraphServiceImpl::ListNodeTypes(
    grpc::CallbackServerContext* context, const v1::ListNodeTypesRequest*,
    v1::ListNodeTypesResponse* response) {
  NodeCatalogue(response);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* GraphServiceImpl::CreateGraph(
    grpc::CallbackServerContext* context, const v1::CreateGraphRequest* request,
    v1::Graph* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::StatusOr<graph::GraphSpec> spec =
      GraphSpecFromProto(request->spec(), (*device)->id());
  if (!spec.ok()) return FinishUnary(context, spec.status());

  // A graph that writes into devices needs their leases.
  for (const graph::NodeSpec& node : spec->nodes) {
    if (node.kind != graph::NodeKind::kDeviceSink) continue;
    absl::StatusOr<ManagedDevice*> target = devices_->Find(node.member);
    if (!target.ok()) {
      return FinishUnary(
          context, absl::InvalidArgumentError(absl::StrCat(
                       "node '", node.name, "': ", target.status().message())));
    }
    absl::Status held = (*target)->CheckLease(request->lease_id());
    if (!held.ok()) {
      return FinishUnary(context, absl::FailedPreconditionError(absl::StrCat(
                                      "node '", node.name, "' writes into ",
                                      node.member, ": ", held.message())));
    }
  }
  graph::GraphContext graph_context;
  graph_context.config = *(*device)->configuration();
  DeviceManager* devices = devices_;
  graph_context.input_sink =
      [devices](const std::string& id) -> graph::InputSink* {
    absl::StatusOr<ManagedDevice*> target = devices->Find(id);
    return target.ok() ? *target : nullptr;
  };
  absl::StatusOr<std::unique_ptr<graph::Graph>> built =
      graph::Graph::Build(*spec, graph_context);
  if (!built.ok()) return FinishUnary(context, built.status());
  const std::string id = devices_->NewGraphId();
  (*device)->AddGraph(id, *std::move(built), /*internal=*/false,
                      request->start());
  log::Info("graph_created", {{"graph", id},
                              {"device", (*device)->id()},
                              {"nodes", spec->nodes.size()},
                              {"running", request->start()}});
  absl::StatusOr<GraphInfo> info = (*device)->GetGraph(id);
  if (info.ok()) ToProto(*info, response);
  return FinishUnary(context, info.status());
}

grpc::ServerUnaryReactor* GraphServiceImpl::ListGraphs(
    grpc::CallbackServerContext* context, const v1::ListGraphsRequest* request,
    v1::ListGraphsResponse* response) {
  std::vector<ManagedDevice*> devices;
  if (request->device_id().empty()) {
    devices = devices_->Devices();
  } else {
    absl::StatusOr<ManagedDevice*> one = devices_->Find(request->device_id());
    if (!one.ok()) return FinishUnary(context, one.status());
    devices.push_back(*one);
  }
  for (ManagedDevice* device : devices) {
    for (const GraphInfo& info :
         device->ListGraphs(request->include_internal())) {
      ToProto(info, response->add_graphs());
    }
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* GraphServiceImpl::GetGraph(
    grpc::CallbackServerContext* context, const v1::GetGraphRequest* request,
    v1::Graph* response) {
  absl::StatusOr<ManagedDevice*> device =
      devices_->FindGraph(request->graph_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::StatusOr<GraphInfo> info = (*device)->GetGraph(request->graph_id());
  if (info.ok()) ToProto(*info, response);
  return FinishUnary(context, info.status());
}

grpc::ServerUnaryReactor* GraphServiceImpl::SetRunning(
    grpc::CallbackServerContext* context, const std::string& graph_id,
    bool running, v1::Graph* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->FindGraph(graph_id);
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::Status status = (*device)->SetGraphRunning(graph_id, running);
  if (!status.ok()) return FinishUnary(context, status);
  absl::StatusOr<GraphInfo> info = (*device)->GetGraph(graph_id);
  if (info.ok()) ToProto(*info, response);
  return FinishUnary(context, info.status());
}

grpc::ServerUnaryReactor* GraphServiceImpl::StartGraph(
    grpc::CallbackServerContext* context, const v1::GraphRef* request,
    v1::Graph* response) {
  return SetRunning(context, request->graph_id(), true, response);
}

grpc::ServerUnaryReactor* GraphServiceImpl::StopGraph(
    grpc::CallbackServerContext* context, const v1::GraphRef* request,
    v1::Graph* response) {
  return SetRunning(context, request->graph_id(), false, response);
}

grpc::ServerUnaryReactor* GraphServiceImpl::DeleteGraph(
    grpc::CallbackServerContext* context, const v1::GraphRef* request,
    v1::DeleteGraphResponse*) {
  absl::StatusOr<ManagedDevice*> device =
      devices_->FindGraph(request->graph_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::StatusOr<GraphInfo> info = (*device)->GetGraph(request->graph_id());
  if (info.ok() && info->internal) {
    return FinishUnary(context,
                       absl::FailedPreconditionError(absl::StrCat(
                           "graph '", request->graph_id(),
                           "' belongs to a subscription and ends with it")));
  }
  hub_->EndGraphStreams(
      request->graph_id(),
      grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          absl::StrCat("graph '", request->graph_id(), "' was deleted")));
  absl::StatusOr<std::unique_ptr<graph::Graph>> removed =
      (*device)->RemoveGraph(request->graph_id());
  if (removed.ok()) {
    log::Info("graph_deleted", {{"graph", request->graph_id()}});
  }
  return FinishUnary(context, removed.status());
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* GraphServiceImpl::SubscribeNode(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::SubscribeNodeRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  absl::StatusOr<StreamReactor*> reactor = hub_->SubscribeNode(
      request.graph_id(), request.node(), OptionsFromProto(request.options()));
  if (!reactor.ok()) return FailedStream(ToGrpcStatus(reactor.status()));
  return *reactor;
}

}  // namespace speckd::server::api
