// Fanout: a graph endpoint's sink. It encodes each packet once and offers
// the shared payloads to every subscriber attached to it; what subscribers
// lose is counted as the endpoint's drops.
//
//   auto fanout = std::make_shared<Fanout>();
//   graph->SetEndpointSink("endpoint", fanout);
//   fanout->Add(subscriber);
#ifndef SPECKD_SERVER_API_FANOUT_H_
#define SPECKD_SERVER_API_FANOUT_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "driver/util/mutex.h"
#include "server/graph/graph.h"
#include "server/stream/subscriber.h"

namespace speckd::server::api {

class Fanout final : public graph::EndpointSink {
 public:
  // `raw_columns`: spikes are encoded as SpikeColumns for every subscriber.
  explicit Fanout(bool raw_columns = false) : raw_columns_(raw_columns) {}

  void Add(std::shared_ptr<Subscriber> subscriber);
  void Remove(const Subscriber* subscriber);
  size_t size() const;
  // A notice for every subscriber, past their caps.
  void Notify(const PayloadPtr& notice);
  // Ends every subscriber's stream with `reason`; with `drain`, after what
  // each has queued is delivered.
  void CloseAll(const absl::Status& reason, bool drain = false);

  // On the device thread: encodes `packet` once and pushes it to each
  // subscriber (a LOSSLESS one may hold the device up, for its stall budget
  // at most). Returns the items subscribers lost.
  uint64_t Publish(const graph::Packet& packet) override;

 private:
  std::vector<std::shared_ptr<Subscriber>> Snapshot() const;

  const bool raw_columns_;
  mutable Mutex mu_;  // a leaf: held only to copy or change the list
  std::vector<std::shared_ptr<Subscriber>> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_FANOUT_H_
