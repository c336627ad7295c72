// ControlLease: who may change one device. One holder at a time, for a
// time-to-live on the Clock that renewing restarts; a secret lease_id proves
// the holder. Pure logic on the Clock, thread-safe.
//
//   ControlLease lease("speck2edevkit:0", clock);
//   absl::StatusOr<LeaseInfo> held = lease.Acquire("alice@lab", ttl);
//   lease.Check(held->lease_id);         // OK while held and not expired
#ifndef SPECKD_SERVER_DEVICES_LEASE_H_
#define SPECKD_SERVER_DEVICES_LEASE_H_

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"

namespace speckd::server {

struct LeaseInfo {
  // Secret; only the holder learns it.
  std::string lease_id;
  std::string holder;
  absl::Time expires;
  absl::Duration ttl;
  // When it was last renewed (InfiniteFuture: never, so far).
  absl::Time renewed = absl::InfiniteFuture();
};

class ControlLease {
 public:
  // `device_id` names the device in messages. `clock` must outlive this.
  ControlLease(std::string device_id, driver::Clock* clock);

  // FAILED_PRECONDITION naming the holder and expiry if someone holds it.
  absl::StatusOr<LeaseInfo> Acquire(const std::string& holder,
                                    absl::Duration ttl);
  // Acquires it whoever holds it; the holder it replaced, if any.
  std::pair<LeaseInfo, std::optional<std::string>> TakeOver(
      const std::string& holder, absl::Duration ttl);
  // Restarts the lease's time-to-live.
  absl::StatusOr<LeaseInfo> Renew(const std::string& lease_id);
  absl::Status Release(const std::string& lease_id);
  // OK if `lease_id` is the current lease; otherwise FAILED_PRECONDITION
  // saying who holds it until when (or that nobody does).
  absl::Status Check(const std::string& lease_id) const;
  // The current holder without its secret; nullopt when free (or expired).
  std::optional<LeaseInfo> Holder() const;
  // Forgets a lease whose time is up; its holder, if there was one.
  std::optional<std::string> Expire();

 private:
  absl::Status CheckLocked(const std::string& lease_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // "device X is leased by 'alice' until T (8.6 s from now)", or, for a
  // lease its holder keeps renewing, that it is in use.
  std::string HeldByLocked(absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string device_id_;
  driver::Clock* const clock_;
  mutable Mutex mu_;  // guards lease_; taken last (calls nothing)
  std::optional<LeaseInfo> lease_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_LEASE_H_
