#include "server/api/graph_api.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/codec/graph_codec.h"
#include "server/api/convert.h"
#include "server/log/log.h"

namespace speckd::server::api {

absl::Status GraphApi::ListNodeTypes(const v1::ListNodeTypesRequest&,
                                     v1::ListNodeTypesResponse* response) {
  NodeCatalogue(response);
  return absl::OkStatus();
}

absl::Status GraphApi::CheckSinks(const graph::GraphSpec& spec) const {
  for (const graph::NodeSpec& node : spec.nodes) {
    if (node.kind != graph::NodeKind::kDeviceSink) continue;
    absl::StatusOr<ManagedDevice*> target = devices_->Find(node.member);
    if (!target.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node '", node.name, "': ", target.status().message()));
    }
    if (absl::Status held = (*target)->CheckLease(node.lease_id); !held.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("node '", node.name, "' writes into ", node.member, ": ",
                       held.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status GraphApi::CreateGraph(const v1::CreateGraphRequest& request,
                                   v1::Graph* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  if (absl::Status held = (*device)->CheckLease(request.lease_id());
      !held.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "creating a graph needs the device's lease: ", held.message()));
  }
  absl::StatusOr<graph::GraphSpec> spec = codec::GraphSpecFromProto(
      request.spec(), (*device)->id(), request.lease_id());
  if (!spec.ok()) return spec.status();
  if (absl::Status s = CheckSinks(*spec); !s.ok()) return s;
  std::shared_ptr<const chip::SpeckConfig> config = (*device)->configuration();
  graph::GraphContext context;
  context.config = *config;
  DeviceManager* devices = devices_;
  context.input_sink = [devices](const std::string& id) -> graph::InputSink* {
    absl::StatusOr<ManagedDevice*> target = devices->Find(id);
    return target.ok() ? (*target)->input() : nullptr;
  };
  absl::StatusOr<std::unique_ptr<graph::Graph>> built =
      graph::Graph::Build(*spec, context);
  if (!built.ok()) return built.status();
  GraphOwner owner;
  owner.lease_id = request.lease_id();
  owner.holder = (*device)->Snapshot().lease.value_or(LeaseInfo{}).holder;
  const std::string id = devices_->NewGraphId();
  if (absl::Status s = (*device)->AddGraph(
          id, *std::move(built), std::move(config), owner, request.start());
      !s.ok()) {
    return s;
  }
  log::Info("graph_created", {{"graph", id},
                              {"device", (*device)->id()},
                              {"owner", owner.holder},
                              {"nodes", spec->nodes.size()},
                              {"running", request.start()}});
  absl::StatusOr<GraphInfo> info = (*device)->GetGraph(id);
  if (!info.ok()) return info.status();
  ToProto(*info, response);
  return absl::OkStatus();
}

absl::Status GraphApi::ListGraphs(const v1::ListGraphsRequest& request,
                                  v1::ListGraphsResponse* response) {
  std::vector<ManagedDevice*> devices;
  if (request.device_id().empty()) {
    devices = devices_->Devices();
  } else {
    absl::StatusOr<ManagedDevice*> one = devices_->Find(request.device_id());
    if (!one.ok()) return one.status();
    devices.push_back(*one);
  }
  for (ManagedDevice* device : devices) {
    for (const GraphInfo& info :
         device->ListGraphs(request.include_internal())) {
      ToProto(info, response->add_graphs());
    }
  }
  return absl::OkStatus();
}

absl::Status GraphApi::GetGraph(const v1::GetGraphRequest& request,
                                v1::Graph* response) {
  absl::StatusOr<ManagedDevice*> device =
      devices_->FindGraph(request.graph_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<GraphInfo> info = (*device)->GetGraph(request.graph_id());
  if (!info.ok()) return info.status();
  ToProto(*info, response);
  return absl::OkStatus();
}

absl::Status GraphApi::SetRunning(const v1::GraphRef& request, bool running,
                                  v1::Graph* response) {
  absl::StatusOr<ManagedDevice*> device =
      devices_->FindGraph(request.graph_id());
  if (!device.ok()) return device.status();
  if (absl::Status s =
          (*device)->CheckGraphAccess(request.graph_id(), request.lease_id());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = (*device)->SetGraphRunning(request.graph_id(), running);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<GraphInfo> info = (*device)->GetGraph(request.graph_id());
  if (!info.ok()) return info.status();
  ToProto(*info, response);
  return absl::OkStatus();
}

absl::Status GraphApi::StartGraph(const v1::GraphRef& request,
                                  v1::Graph* response) {
  return SetRunning(request, true, response);
}

absl::Status GraphApi::StopGraph(const v1::GraphRef& request,
                                 v1::Graph* response) {
  return SetRunning(request, false, response);
}

absl::Status GraphApi::DeleteGraph(const v1::GraphRef& request,
                                   v1::DeleteGraphResponse*) {
  absl::StatusOr<ManagedDevice*> device =
      devices_->FindGraph(request.graph_id());
  if (!device.ok()) return device.status();
  if (absl::Status s =
          (*device)->CheckGraphAccess(request.graph_id(), request.lease_id());
      !s.ok()) {
    return s;
  }
  hub_->EndGraphStreams(request.graph_id(),
                        absl::NotFoundError(absl::StrCat(
                            "graph '", request.graph_id(), "' was deleted")));
  if (absl::Status s = (*device)->RemoveGraph(request.graph_id()); !s.ok()) {
    return s;
  }
  log::Info("graph_deleted", {{"graph", request.graph_id()}});
  return absl::OkStatus();
}

absl::StatusOr<Subscription> GraphApi::SubscribeNode(
    const v1::SubscribeNodeRequest& request) {
  return hub_->SubscribeNode(request.graph_id(), request.node(),
                             OptionsFromProto(request.options()));
}

}  // namespace speckd::server::api
