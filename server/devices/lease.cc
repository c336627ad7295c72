#include "server/devices/lease.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace speckd::server {
namespace {

std::string NewLeaseId() {
  std::random_device random;
  return absl::StrFormat("%08x%08x%08x%08x", random(), random(), random(),
                         random());
}

std::string Timestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

ControlLease::ControlLease(std::string device_id, driver::Clock* clock)
    : device_id_(std::move(device_id)), clock_(clock) {}

std::string ControlLease::HeldByLocked(absl::Time now) const {
  // A renewed lease is in use, and will stay held while its holder runs:
  // its expiry would mislead.
  if (lease_->renewed <= now) {
    return absl::StrFormat(
        "device %s is held by '%s', which keeps renewing its lease while it "
        "runs (last %.1f s ago; it lapses %s after the holder stops)",
        device_id_, lease_->holder,
        absl::ToDoubleSeconds(now - lease_->renewed),
        absl::FormatDuration(lease_->ttl));
  }
  return absl::StrFormat(
      "device %s is leased by '%s' until %s (%.1f s from "
      "now)",
      device_id_, lease_->holder, Timestamp(lease_->expires),
      absl::ToDoubleSeconds(lease_->expires - now));
}

absl::Status ControlLease::CheckLocked(const std::string& lease_id) const {
  const absl::Time now = clock_->Now();
  if (lease_.has_value() && lease_->expires > now) {
    if (lease_->lease_id == lease_id) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        HeldByLocked(now), "; only the lease holder may change it"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "device ", device_id_,
      lease_id.empty() ? " needs" : "'s lease has expired; it needs",
      " a control lease: call AcquireLease first and pass its lease_id"));
}

absl::Status ControlLease::Check(const std::string& lease_id) const {
  MutexLock lock(&mu_);
  return CheckLocked(lease_id);
}

absl::StatusOr<LeaseInfo> ControlLease::Acquire(const std::string& holder,
                                                absl::Duration ttl) {
  MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (lease_.has_value() && lease_->expires > now) {
    return absl::FailedPreconditionError(HeldByLocked(now));
  }
  lease_ = LeaseInfo{NewLeaseId(), holder, now + ttl, ttl};
  return *lease_;
}

std::pair<LeaseInfo, std::optional<std::string>> ControlLease::TakeOver(
    const std::string& holder, absl::Duration ttl) {
  MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  std::optional<std::string> previous;
  if (lease_.has_value() && lease_->expires > now) previous = lease_->holder;
  lease_ = LeaseInfo{NewLeaseId(), holder, now + ttl, ttl};
  return {*lease_, previous};
}

absl::StatusOr<LeaseInfo> ControlLease::Renew(const std::string& lease_id) {
  MutexLock lock(&mu_);
  if (absl::Status held = CheckLocked(lease_id); !held.ok()) return held;
  lease_->renewed = clock_->Now();
  lease_->expires = lease_->renewed + lease_->ttl;
  return *lease_;
}

absl::Status ControlLease::Release(const std::string& lease_id) {
  MutexLock lock(&mu_);
  if (absl::Status held = CheckLocked(lease_id); !held.ok()) return held;
  lease_.reset();
  return absl::OkStatus();
}

std::optional<LeaseInfo> ControlLease::Holder() const {
  MutexLock lock(&mu_);
  if (!lease_.has_value() || lease_->expires <= clock_->Now()) {
    return std::nullopt;
  }
  return LeaseInfo{"", lease_->holder, lease_->expires, lease_->ttl,
                   lease_->renewed};
}

std::optional<std::string> ControlLease::Expire() {
  MutexLock lock(&mu_);
  if (!lease_.has_value() || lease_->expires > clock_->Now()) {
    return std::nullopt;
  }
  std::string holder = std::move(lease_->holder);
  lease_.reset();
  return holder;
}

}  // namespace speckd::server
