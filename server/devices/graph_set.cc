#include "server/devices/graph_set.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace speckd::server {
namespace {

absl::Status NoGraph(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("no graph '", id, "'"));
}

}  // namespace

GraphSet::GraphSet(std::string device_id, const GraphSetOptions& options)
    : device_id_(std::move(device_id)),
      options_(options),
      list_(std::make_shared<const Entries>()) {}

std::shared_ptr<GraphSet::Entry> GraphSet::Find(absl::string_view id) const {
  MutexLock lock(&mu_);
  for (const std::shared_ptr<Entry>& entry : *list_) {
    if (entry->id == id) return entry;
  }
  return nullptr;
}

absl::Status GraphSet::Add(const std::string& id,
                           std::unique_ptr<graph::Graph> graph,
                           std::shared_ptr<const chip::SpeckConfig> config,
                           GraphOwner owner, bool running) {
  auto entry = std::make_shared<Entry>();
  entry->id = id;
  entry->owner = std::move(owner);
  entry->graph = std::move(graph);
  entry->running.store(running);
  entry->config = std::move(config);
  MutexLock lock(&mu_);
  size_t clients = 0;
  for (const std::shared_ptr<Entry>& e : *list_) {
    if (e->id == id) {
      return absl::AlreadyExistsError(
          absl::StrCat("graph '", id, "' exists already"));
    }
    clients += !e->owner.internal;
  }
  if (!entry->owner.internal && clients >= options_.max_graphs) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "device ", device_id_, " runs ", clients, " client graphs, at most ",
        options_.max_graphs, ": delete one first (speckctl graph list)"));
  }
  auto list = std::make_shared<Entries>(*list_);
  list->push_back(std::move(entry));
  list_ = std::move(list);
  return absl::OkStatus();
}

absl::Status GraphSet::SetRunning(const std::string& id, bool running) {
  std::shared_ptr<Entry> entry = Find(id);
  if (entry == nullptr) return NoGraph(id);
  entry->running.store(running, std::memory_order_release);
  if (running) {
    MutexLock lock(&mu_);
    auto& stopped = stopped_because_;
    stopped.erase(std::remove_if(stopped.begin(), stopped.end(),
                                 [&](const auto& s) { return s.first == id; }),
                  stopped.end());
  }
  return absl::OkStatus();
}

absl::Status GraphSet::Remove(const std::string& id) {
  MutexLock lock(&mu_);
  auto list = std::make_shared<Entries>(*list_);
  auto it = std::find_if(list->begin(), list->end(),
                         [&](const auto& e) { return e->id == id; });
  if (it == list->end()) return NoGraph(id);
  list->erase(it);
  list_ = std::move(list);
  stopped_because_.erase(
      std::remove_if(stopped_because_.begin(), stopped_because_.end(),
                     [&](const auto& s) { return s.first == id; }),
      stopped_because_.end());
  return absl::OkStatus();
}

GraphInfo GraphSet::InfoOf(const Entry& entry) const {
  GraphInfo info;
  info.id = entry.id;
  info.device_id = device_id_;
  info.spec = entry.graph->spec();
  info.running = entry.running.load(std::memory_order_acquire);
  info.internal = entry.owner.internal;
  info.owner = entry.owner.holder;
  info.counters = entry.graph->Counters();
  MutexLock lock(&mu_);
  for (const auto& [id, why] : stopped_because_) {
    if (id == entry.id) info.stopped_because = why;
  }
  return info;
}

absl::StatusOr<GraphInfo> GraphSet::Get(const std::string& id) const {
  std::shared_ptr<Entry> entry = Find(id);
  if (entry == nullptr) return NoGraph(id);
  return InfoOf(*entry);
}

absl::StatusOr<GraphOwner> GraphSet::Owner(const std::string& id) const {
  std::shared_ptr<Entry> entry = Find(id);
  if (entry == nullptr) return NoGraph(id);
  return entry->owner;
}

absl::Status GraphSet::CheckAccess(const std::string& id,
                                   const std::string& lease_id,
                                   const ControlLease& device_lease) const {
  absl::StatusOr<GraphOwner> owner = Owner(id);
  if (!owner.ok()) return owner.status();
  if (owner->internal) {
    return absl::FailedPreconditionError(absl::StrCat(
        "graph '", id, "' belongs to a subscription and ends with it"));
  }
  if (!lease_id.empty() && lease_id == owner->lease_id) {
    return absl::OkStatus();
  }
  absl::Status held = device_lease.Check(lease_id);
  if (held.ok()) return held;
  return absl::FailedPreconditionError(absl::StrCat(
      "graph '", id, "' was made by '", owner->holder,
      "': starting, stopping or deleting it needs the lease it was made with "
      "or the device's lease (",
      held.message(), ")"));
}

bool GraphSet::Has(absl::string_view id) const { return Find(id) != nullptr; }

std::vector<GraphInfo> GraphSet::List(bool include_internal) const {
  std::shared_ptr<const Entries> list;
  {
    MutexLock lock(&mu_);
    list = list_;
  }
  std::vector<GraphInfo> out;
  for (const std::shared_ptr<Entry>& entry : *list) {
    if (entry->owner.internal && !include_internal) continue;
    out.push_back(InfoOf(*entry));
  }
  return out;
}

size_t GraphSet::client_graphs() const {
  MutexLock lock(&mu_);
  return std::count_if(list_->begin(), list_->end(),
                       [](const auto& e) { return !e->owner.internal; });
}

absl::Status GraphSet::AttachEndpoint(
    const std::string& id, const std::string& node,
    std::shared_ptr<graph::EndpointSink> sink) {
  std::shared_ptr<Entry> entry = Find(id);
  if (entry == nullptr) return NoGraph(id);
  return entry->graph->SetEndpointSink(node, std::move(sink));
}

void GraphSet::Process(const driver::DeviceOutput& output,
                       const StoppedCallback& on_stopped) {
  std::shared_ptr<const Entries> list;
  {
    MutexLock lock(&mu_);
    list = list_;
  }
  for (const std::shared_ptr<Entry>& entry : *list) {
    // Sized for the configuration these events come from, stopped or not.
    if (output.configuration != nullptr &&
        output.configuration != entry->config) {
      entry->graph->Reconfigure(*output.configuration);
      entry->config = output.configuration;
    }
    if (!entry->running.load(std::memory_order_acquire)) continue;
    entry->graph->Process(output);
    std::optional<std::string> why = entry->graph->TakeStopRequest();
    if (!why.has_value()) continue;
    entry->running.store(false, std::memory_order_release);
    {
      MutexLock lock(&mu_);
      stopped_because_.emplace_back(entry->id, *why);
    }
    on_stopped(entry->id, *why);
  }
}

}  // namespace speckd::server
