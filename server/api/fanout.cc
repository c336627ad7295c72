#include "server/api/fanout.h"

#include <algorithm>
#include <utility>

#include "server/api/convert.h"

namespace speckd::server::api {

void Fanout::Add(std::shared_ptr<Subscriber> subscriber) {
  MutexLock lock(&mu_);
  subscribers_.push_back(std::move(subscriber));
}

void Fanout::Remove(const Subscriber* subscriber) {
  MutexLock lock(&mu_);
  subscribers_.erase(
      std::remove_if(subscribers_.begin(), subscribers_.end(),
                     [&](const auto& s) { return s.get() == subscriber; }),
      subscribers_.end());
}

size_t Fanout::size() const {
  MutexLock lock(&mu_);
  return subscribers_.size();
}

std::vector<std::shared_ptr<Subscriber>> Fanout::Snapshot() const {
  MutexLock lock(&mu_);
  return subscribers_;
}

void Fanout::Notify(const PayloadPtr& notice) {
  for (const auto& s : Snapshot()) s->PushNotice(notice);
}

void Fanout::CloseAll(const absl::Status& reason, bool drain) {
  for (const auto& s : Snapshot()) {
    if (drain) {
      s->CloseAfterDrain(reason);
    } else {
      s->Close(reason);
    }
  }
}

uint64_t Fanout::Publish(const graph::Packet& packet) {
  const std::vector<std::shared_ptr<Subscriber>> subscribers = Snapshot();
  if (subscribers.empty()) return 0;
  // Encoded once, whatever the number of subscribers.
  const std::vector<PayloadPtr> payloads = EncodePacket(packet, raw_columns_);
  uint64_t dropped = 0;
  for (const auto& subscriber : subscribers) {
    for (const PayloadPtr& payload : payloads) {
      dropped += subscriber->Push(payload);
    }
  }
  return dropped;
}

}  // namespace speckd::server::api
