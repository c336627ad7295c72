#include "server/api/subscriptions.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/convert.h"
#include "server/log/log.h"

namespace speckd::server::api {

SubscriptionHub::SubscriptionHub(DeviceManager* devices, driver::Clock* clock,
                                 const SubscriptionLimits& limits)
    : devices_(devices),
      clock_(clock),
      limits_(limits),
      budget_(std::make_shared<QueueBudget>(limits.total_queued_bytes)) {}

absl::StatusOr<SubscriberOptions> SubscriptionHub::Admit(
    ManagedDevice* device, const SubscribeOptions& options) {
  if (subscriptions_ >= limits_.max_subscriptions) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "speckd serves ", subscriptions_, " subscriptions, at most ",
        limits_.max_subscriptions, ": close one first"));
  }
  SubscriberOptions out;
  out.policy = options.policy;
  out.clock = clock_;
  if (options.max_queued_messages > 0) {
    out.max_messages =
        std::min(options.max_queued_messages, limits_.max_queued_messages);
  }
  if (options.max_queued_bytes > 0) {
    out.max_bytes = options.max_queued_bytes;
  }
  if (options.policy == OverflowPolicy::kDropOldest) {
    out.max_bytes = std::min(out.max_bytes, limits_.max_queued_bytes);
    out.budget = budget_;
    return out;
  }
  out.max_bytes = std::min(out.max_bytes, limits_.max_lossless_queued_bytes);
  if (!options.exempt_from_lease) {
    if (absl::Status held = device->CheckLease(options.lease_id); !held.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a LOSSLESS subscription can slow device ", device->id(),
          " down, so it needs the device's lease (options.lease_id), or use "
          "DROP_OLDEST: ",
          held.message()));
    }
  }
  if (lossless_[device->id()] >= limits_.max_lossless_per_device) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "device ", device->id(), " has ", limits_.max_lossless_per_device,
        " LOSSLESS subscriptions already, at most"));
  }
  return out;
}

absl::StatusOr<Subscription> SubscriptionHub::Subscribe(
    ManagedDevice* device, const std::string& key, const graph::GraphSpec& spec,
    const std::string& endpoint, const SubscribeOptions& options) {
  // Subscribers share a branch (one graph, one encoding) only when they want
  // the same encoding.
  const std::string branch_key =
      absl::StrCat(device->id(), "|", key, options.raw_columns ? "|raw" : "");
  MutexLock lock(&mu_);
  absl::StatusOr<SubscriberOptions> admitted = Admit(device, options);
  if (!admitted.ok()) return admitted.status();
  auto it = branches_.find(branch_key);
  if (it == branches_.end()) {
    std::shared_ptr<const chip::SpeckConfig> config = device->configuration();
    graph::GraphContext context;
    context.config = *config;
    absl::StatusOr<std::unique_ptr<graph::Graph>> graph =
        graph::Graph::Build(spec, context);
    if (!graph.ok()) return graph.status();
    Branch branch;
    branch.device = device;
    branch.graph_id = devices_->NewGraphId();
    branch.endpoint = endpoint;
    branch.fanout = std::make_shared<Fanout>(options.raw_columns);
    if (absl::Status s = (*graph)->SetEndpointSink(endpoint, branch.fanout);
        !s.ok()) {
      return s;
    }
    GraphOwner owner;
    owner.holder = "speckd (subscription)";
    owner.internal = true;
    if (absl::Status s =
            device->AddGraph(branch.graph_id, *std::move(graph),
                             std::move(config), owner, /*running=*/true);
        !s.ok()) {
      return s;
    }
    it = branches_.emplace(branch_key, std::move(branch)).first;
  }
  return Attach(branch_key, &it->second, *admitted);
}

absl::StatusOr<Subscription> SubscriptionHub::SubscribeNode(
    const std::string& graph_id, const std::string& node,
    const SubscribeOptions& options) {
  absl::StatusOr<ManagedDevice*> device = devices_->FindGraph(graph_id);
  if (!device.ok()) return device.status();
  const std::string branch_key = absl::StrCat("graph|", graph_id, "|", node);
  MutexLock lock(&mu_);
  absl::StatusOr<SubscriberOptions> admitted = Admit(*device, options);
  if (!admitted.ok()) return admitted.status();
  auto it = branches_.find(branch_key);
  if (it == branches_.end()) {
    Branch branch;
    branch.device = *device;
    branch.graph_id = graph_id;
    branch.endpoint = node;
    branch.fanout = std::make_shared<Fanout>();
    branch.internal = false;
    if (absl::Status s =
            (*device)->AttachEndpoint(graph_id, node, branch.fanout);
        !s.ok()) {
      return s;
    }
    it = branches_.emplace(branch_key, std::move(branch)).first;
  }
  return Attach(branch_key, &it->second, *admitted);
}

Subscription SubscriptionHub::Attach(const std::string& branch_key,
                                     Branch* branch,
                                     const SubscriberOptions& options) {
  auto subscriber = std::make_shared<Subscriber>(options);
  branch->fanout->Add(subscriber);
  branch->subscribers.insert(subscriber.get());
  ++subscriptions_;
  if (options.policy == OverflowPolicy::kLossless) {
    ++lossless_[branch->device->id()];
  }
  const Subscriber* raw = subscriber.get();
  return Subscription{std::move(subscriber),
                      [this, branch_key, raw] { Release(branch_key, raw); }};
}

void SubscriptionHub::Release(const std::string& branch_key,
                              const Subscriber* subscriber) {
  Branch gone;
  {
    MutexLock lock(&mu_);
    auto it = branches_.find(branch_key);
    if (it == branches_.end()) return;
    Branch& branch = it->second;
    if (branch.subscribers.erase(subscriber) == 0) return;
    branch.fanout->Remove(subscriber);
    --subscriptions_;
    if (subscriber->options().policy == OverflowPolicy::kLossless) {
      --lossless_[branch.device->id()];
      const absl::Status reason = subscriber->close_reason();
      if (absl::IsResourceExhausted(reason)) {
        ++stalled_ended_[branch.device->id()];
        log::Warning(
            "lossless_subscriber_ended",
            {{"device", branch.device->id()}, {"reason", reason.message()}});
      }
    }
    if (!branch.subscribers.empty()) return;
    gone = std::move(branch);
    branches_.erase(it);
  }
  // Outside the hub's lock. A graph that is already gone (deleted by its
  // owner) has nothing left to detach.
  if (gone.internal) {
    (void)gone.device->RemoveGraph(gone.graph_id);
  } else {
    (void)gone.device->AttachEndpoint(gone.graph_id, gone.endpoint, nullptr);
  }
}

void SubscriptionHub::EndGraphStreams(const std::string& graph_id,
                                      const absl::Status& status) {
  MutexLock lock(&mu_);
  for (auto& [key, branch] : branches_) {
    if (branch.graph_id == graph_id) branch.fanout->CloseAll(status);
  }
}

void SubscriptionHub::OnDeviceNotice(const std::string& device_id,
                                     const Notice& notice) {
  const PayloadPtr payload = EncodeNotice(notice);
  MutexLock lock(&mu_);
  for (auto& [key, branch] : branches_) {
    if (branch.device->id() != device_id) continue;
    branch.fanout->Notify(payload);
    // What the subscriber has queued is delivered, then the notice, then
    // the status: nothing accepted before the unplug is lost.
    if (notice.kind == Notice::Kind::kDeviceLost) {
      branch.fanout->CloseAll(absl::UnavailableError(notice.message),
                              /*drain=*/true);
    }
  }
}

void SubscriptionHub::OnGraphNotice(const std::string& graph_id,
                                    const Notice& notice) {
  const PayloadPtr payload = EncodeNotice(notice);
  MutexLock lock(&mu_);
  for (auto& [key, branch] : branches_) {
    if (branch.graph_id == graph_id) branch.fanout->Notify(payload);
  }
}

size_t SubscriptionHub::internal_graphs() const {
  MutexLock lock(&mu_);
  return std::count_if(branches_.begin(), branches_.end(),
                       [](const auto& b) { return b.second.internal; });
}

size_t SubscriptionHub::subscriptions() const {
  MutexLock lock(&mu_);
  return subscriptions_;
}

uint64_t SubscriptionHub::stalled_subscribers_ended(
    const std::string& device_id) const {
  MutexLock lock(&mu_);
  auto it = stalled_ended_.find(device_id);
  return it == stalled_ended_.end() ? 0 : it->second;
}

}  // namespace speckd::server::api
