// SubscriptionHub turns a Subscribe* call into a subscriber: it builds the
// small internal graph the call describes (device_source -> filters ->
// windows -> endpoint) on the device, or joins an identical one already
// running (one encoding shared by every subscriber), and attaches a bounded
// subscriber queue. The graph goes away with its last subscriber. It also
// hands devices' notices to their subscribers, in order with the data.
//
// No gRPC here: the services wrap a Subscription in a StreamReactor.
//
//   absl::StatusOr<Subscription> s = hub.Subscribe(device, key, spec,
//                                                   "endpoint", options);
//   ... stream s->subscriber ...; s->release();   // when the stream is done
#ifndef SPECKD_SERVER_API_SUBSCRIPTIONS_H_
#define SPECKD_SERVER_API_SUBSCRIPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"
#include "server/api/fanout.h"
#include "server/api/subscribe_options.h"
#include "server/devices/device_manager.h"
#include "server/devices/managed_device.h"
#include "server/graph/graph.h"
#include "server/stream/queue_budget.h"
#include "server/stream/subscriber.h"

namespace speckd::server::api {

// What speckd allows streams, whatever clients ask for. With these defaults
// the data queued for streams stays under 256 MiB (every DROP_OLDEST queue
// together) + 256 KiB per DROP_OLDEST subscriber (at most 256) + 16 MiB per
// LOSSLESS one (at most 8 per device): 320 MiB, plus 128 MiB per device.
struct SubscriptionLimits {
  size_t max_subscriptions = 256;
  size_t max_lossless_per_device = 8;
  // Per subscriber; larger requests are clamped to these.
  size_t max_queued_messages = 4096;
  size_t max_queued_bytes = size_t{64} << 20;
  size_t max_lossless_queued_bytes = size_t{16} << 20;
  // All DROP_OLDEST queues together (beyond each one's first 256 KiB).
  size_t total_queued_bytes = size_t{256} << 20;
};

// A subscriber on a graph endpoint, and how to let go of it: call `release`
// once, when its stream is done.
struct Subscription {
  std::shared_ptr<Subscriber> subscriber;
  std::function<void()> release;
};

class SubscriptionHub final : public NoticeSink {
 public:
  // `devices` and `clock` must outlive the hub.
  SubscriptionHub(DeviceManager* devices, driver::Clock* clock,
                  const SubscriptionLimits& limits = {});

  // Subscribes to the output of node `endpoint` of the internal graph `spec`
  // on `device`; graphs with the same `key` on the same device are shared.
  // RESOURCE_EXHAUSTED beyond the limits; FAILED_PRECONDITION for LOSSLESS
  // without the lease.
  absl::StatusOr<Subscription> Subscribe(ManagedDevice* device,
                                         const std::string& key,
                                         const graph::GraphSpec& spec,
                                         const std::string& endpoint,
                                         const SubscribeOptions& options);

  // Subscribes to endpoint `node` of a client-made graph.
  absl::StatusOr<Subscription> SubscribeNode(const std::string& graph_id,
                                             const std::string& node,
                                             const SubscribeOptions& options);

  // Ends the streams of graph `graph_id` with `status` (it is being
  // deleted).
  void EndGraphStreams(const std::string& graph_id, const absl::Status& status);

  // NoticeSink: on a device thread.
  void OnDeviceNotice(const std::string& device_id,
                      const Notice& notice) override;
  void OnGraphNotice(const std::string& graph_id,
                     const Notice& notice) override;

  // Internal graphs and subscriptions now (tests, diagnostics).
  size_t internal_graphs() const;
  size_t subscriptions() const;
  // LOSSLESS subscribers of `device_id` ended because they made the device
  // wait beyond their stall budget (counted when their stream is done).
  uint64_t stalled_subscribers_ended(const std::string& device_id) const;

 private:
  struct Branch {
    ManagedDevice* device = nullptr;
    std::string graph_id;
    std::string endpoint;
    std::shared_ptr<Fanout> fanout;
    bool internal = true;
    std::set<const Subscriber*> subscribers;
  };

  // The subscriber options a request gets, clamped; checks the lease and
  // the limits.
  absl::StatusOr<SubscriberOptions> Admit(ManagedDevice* device,
                                          const SubscribeOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Subscription Attach(const std::string& branch_key, Branch* branch,
                      const SubscriberOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(const std::string& branch_key, const Subscriber* subscriber);

  DeviceManager* const devices_;
  driver::Clock* const clock_;
  const SubscriptionLimits limits_;
  const std::shared_ptr<QueueBudget> budget_;

  // Lock order: mu_ before a branch's fan-out and its subscribers' locks,
  // and before a device's graph set (Subscribe adds graphs holding it).
  // Devices call the NoticeSink methods holding their notice lock, which
  // comes before mu_; the hub never takes a device's notice lock.
  mutable Mutex mu_;
  std::map<std::string, Branch> branches_ ABSL_GUARDED_BY(mu_);
  size_t subscriptions_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, size_t> lossless_ ABSL_GUARDED_BY(mu_);  // by device
  std::map<std::string, uint64_t> stalled_ended_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_SUBSCRIPTIONS_H_
