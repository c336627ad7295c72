#include "server/api/subscriptions.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/log/log.h"

namespace speckd::server::api {

absl::StatusOr<StreamReactor*> SubscriptionHub::Subscribe(
    ManagedDevice* device, const std::string& key, const graph::GraphSpec& spec,
    const std::string& endpoint, const SubscriberOptions& options) {
  const std::string branch_key = absl::StrCat(device->id(), "|", key);
  MutexLock lock(&mu_);
  auto it = branches_.find(branch_key);
  if (it == branches_.end()) {
    graph::GraphContext context;
    context.config = *device->configuration();
    absl::StatusOr<std::unique_ptr<graph::Graph>> graph =
        graph::Graph::Build(spec, context);
    if (!graph.ok()) return graph.status();
    Branch branch;
    branch.device = device;
    branch.graph_id = devices_->NewGraphId();
    branch.endpoint = endpoint;
    branch.fanout = std::make_shared<Fanout>();
    absl::Status attached =
        (*graph)->SetEndpointSink(endpoint, branch.fanout.get());
    if (!attached.ok()) return attached;
    device->AddGraph(branch.graph_id, *std::move(graph), /*internal=*/true,
                     /*running=*/true);
    it = branches_.emplace(branch_key, std::move(branch)).first;
  }
  return Attach(branch_key, &it->second, options);
}

absl::StatusOr<StreamReactor*> SubscriptionHub::SubscribeNode(
    const std::string& graph_id, const std::string& node,
    const SubscriberOptions& options) {
  absl::StatusOr<ManagedDevice*> device = devices_->FindGraph(graph_id);
  if (!device.ok()) return device.status();
  const std::string branch_key = absl::StrCat("graph|", graph_id, "|", node);
  MutexLock lock(&mu_);
  auto it = branches_.find(branch_key);
  if (it == branches_.end()) {
    Branch branch;
    branch.device = *device;
    branch.graph_id = graph_id;
    branch.endpoint = node;
    branch.fanout = std::make_shared<Fanout>();
    branch.internal = false;
    Fanout* fanout = branch.fanout.get();
    absl::Status attached = (*device)->WithGraph(
        graph_id,
        [&](graph::Graph& g) { return g.SetEndpointSink(node, fanout); });
    if (!attached.ok()) return attached;
    it = branches_.emplace(branch_key, std::move(branch)).first;
  }
  return Attach(branch_key, &it->second, options);
}

StreamReactor* SubscriptionHub::Attach(const std::string& branch_key,
                                       Branch* branch,
                                       const SubscriberOptions& options) {
  auto subscriber = std::make_shared<Subscriber>(options);
  branch->fanout->Add(subscriber);
  // The reactor's address is known only after Start; its OnDone cannot run
  // before we return (it needs mu_, held here).
  auto* self = new StreamReactor*(nullptr);
  StreamReactor* reactor = StreamReactor::Start(
      std::move(subscriber), registry_, [this, branch_key, self] {
        Release(branch_key, *self);
        delete self;
      });
  *self = reactor;
  branch->reactors.insert(reactor);
  return reactor;
}

void SubscriptionHub::Release(const std::string& branch_key,
                              StreamReactor* reactor) {
  Branch gone;
  {
    MutexLock lock(&mu_);
    auto it = branches_.find(branch_key);
    if (it == branches_.end()) return;
    it->second.fanout->Remove(reactor->subscriber());
    it->second.reactors.erase(reactor);
    if (!it->second.reactors.empty()) return;
    gone = std::move(it->second);
    branches_.erase(it);
  }
  // Outside the hub's lock: removing a graph waits for the device thread to
  // leave it.
  if (gone.internal) {
    absl::StatusOr<std::unique_ptr<graph::Graph>> removed =
        gone.device->RemoveGraph(gone.graph_id);
    (void)removed;
  } else {
    // A client graph stays; only its endpoint is detached (if still there).
    (void)gone.device->WithGraph(gone.graph_id, [&](graph::Graph& g) {
      return g.SetEndpointSink(gone.endpoint, nullptr);
    });
  }
}

void SubscriptionHub::EndGraphStreams(const std::string& graph_id,
                                      const grpc::Status& status) {
  MutexLock lock(&mu_);
  for (auto& [key, branch] : branches_) {
    if (branch.graph_id != graph_id) continue;
    for (StreamReactor* reactor : branch.reactors) reactor->End(status);
  }
}

void SubscriptionHub::Broadcast(const std::string& device_id,
                                const PayloadPtr& payload) {
  MutexLock lock(&mu_);
  for (auto& [key, branch] : branches_) {
    if (branch.device->id() == device_id) branch.fanout->Broadcast(payload);
  }
}

size_t SubscriptionHub::internal_graphs() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [key, branch] : branches_) n += branch.internal;
  return n;
}

}  // namespace speckd::server::api
