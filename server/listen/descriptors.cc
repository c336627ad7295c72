#include "server/listen/descriptors.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "driver/util/mutex.h"
#include "server/listen/connection_table.h"
#include "server/log/log.h"

// The sanitizers intercept accept4 under this name; calling it keeps their
// bookkeeping of descriptors intact in sanitizer builds.
extern "C" int __interceptor_accept4(int, struct sockaddr*, socklen_t*, int)
    __attribute__((weak));

namespace speckd::server {
namespace {

using Accept4 = int (*)(int, struct sockaddr*, socklen_t*, int);

Accept4 RealAccept4() {
  static const Accept4 real = [] {
    if (&__interceptor_accept4 != nullptr) return &__interceptor_accept4;
    return reinterpret_cast<Accept4>(dlsym(RTLD_NEXT, "accept4"));
  }();
  return real;
}

constexpr absl::Duration kLogEvery = absl::Seconds(10);

// The guard's state is atomic, so that the counters can be read without
// the lock that serializes accepts (GuardedAccept4).
std::atomic<int> reserve{-1};
std::atomic<uint64_t> refused{0};
std::atomic<uint64_t> exhaustions{0};
std::atomic<uint64_t> refused_unlogged{0};
std::atomic<int64_t> next_log_unix_ns{0};
std::atomic<bool> short_of_descriptors{false};

void TakeReserve() {
  int expected = -1;
  if (reserve.load(std::memory_order_relaxed) != -1) return;
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (!reserve.compare_exchange_strong(expected, fd)) close(fd);
}

uint64_t SoftLimit() {
  struct rlimit limit {};
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// Whether a warning kept to one per kLogEvery, next due at `*next`, is due
// now; if so, the next one is due a period later (one caller wins a race).
bool LogDue(std::atomic<int64_t>* next) {
  const int64_t now = absl::ToUnixNanos(absl::Now());
  int64_t due = next->load(std::memory_order_relaxed);
  return now >= due && next->compare_exchange_strong(
                           due, now + absl::ToInt64Nanoseconds(kLogEvery));
}

void LogRefusals() {
  if (!LogDue(&next_log_unix_ns)) return;
  log::Warning("out_of_descriptors",
               {{"refused", refused_unlogged.exchange(0)},
                {"refused_total", refused.load()},
                {"open_files_limit", SoftLimit()},
                {"hint",
                 "connections are refused until descriptors are free; raise "
                 "LimitNOFILE or close idle clients"}});
}

// Accepts each connection waiting on `listen_fd` into the reserve descriptor
// and closes it, until none waits or the reserve is gone.
void RefuseWaiting(int listen_fd) {
  for (;;) {
    int spare = reserve.exchange(-1);
    if (spare < 0) {
      TakeReserve();  // a descriptor may have come free since
      spare = reserve.exchange(-1);
    }
    if (spare < 0) {
      // Without a spare the connections stay queued; a short pause keeps a
      // level-triggered listener (libevent's) from spinning meanwhile.
      absl::SleepFor(absl::Milliseconds(5));
      return;
    }
    close(spare);
    const int fd = RealAccept4()(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      refused.fetch_add(1, std::memory_order_relaxed);
      refused_unlogged.fetch_add(1, std::memory_order_relaxed);
    }
    TakeReserve();
    if (fd < 0) return;
  }
}

// What the connection caps refused, logged at most every kLogEvery.
std::atomic<uint64_t> refused_client_full{0};
std::atomic<uint64_t> refused_total_full{0};
std::atomic<uint64_t> capped_unlogged{0};
std::atomic<int64_t> next_cap_log_unix_ns{0};

// One accept at a time across the process's listeners (both are
// non-blocking, so this costs nothing): otherwise one listener's real accept
// could take the descriptor another just freed from the reserve, and both
// would be left without one. The connection table is kept under the same
// lock.
struct Guard {
  Mutex mu;
  // Null when no cap is set (then accepts are not tracked at all).
  ConnectionTable* table ABSL_GUARDED_BY(mu) = nullptr;
};

Guard& TheGuard() {
  static Guard* const guard = new Guard();
  return *guard;
}

// The client's address, IPv4-mapped IPv6 written as IPv4; empty for a peer
// without one (a Unix socket).
std::string PeerAddress(int fd) {
  struct sockaddr_storage peer {};
  socklen_t length = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<struct sockaddr*>(&peer), &length)) {
    return "";
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const struct sockaddr_in*>(&peer);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
  } else if (peer.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const struct sockaddr_in6*>(&peer);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    }
  }
  return text;
}

void LogCapRefusal(const std::string& client, ConnectionTable::Verdict why,
                   const ConnectionLimits& limits) {
  capped_unlogged.fetch_add(1, std::memory_order_relaxed);
  if (!LogDue(&next_cap_log_unix_ns)) return;
  const bool client_full = why == ConnectionTable::kClientFull;
  log::Warning(
      "connections_refused",
      {{"refused", capped_unlogged.exchange(0)},
       {"reason", client_full ? "per_client" : "total"},
       {"client", client},
       {"cap", client_full ? limits.per_client : limits.total},
       {"hint", client_full ? "one address holds --max_connections_per_client "
                              "connections; raise it or close idle clients"
                            : "the daemon holds --max_connections "
                              "connections; raise it or close idle clients"}});
}

// Whether the caps admit `fd`, just accepted; counts and logs a refusal.
bool AdmitUnderCaps(ConnectionTable& table, int fd) {
  const std::string client = PeerAddress(fd);
  const ConnectionTable::Verdict verdict = table.Admit(fd, client);
  if (verdict == ConnectionTable::kAdmitted) return true;
  (verdict == ConnectionTable::kClientFull ? refused_client_full
                                           : refused_total_full)
      .fetch_add(1, std::memory_order_relaxed);
  LogCapRefusal(client, verdict, table.limits());
  return false;
}

// The guard's accept (see the header), under the guard's lock; the error it
// reports goes to `*error` (errno would not survive the unlock). A
// connection the caps refuse is closed and the next one waiting is
// accepted instead, so the caller still sees EAGAIN only when none waits
// (gRPC's edge-triggered poller would otherwise not look again).
int AcceptSerialized(ConnectionTable* table, int fd, struct sockaddr* address,
                     socklen_t* length, int flags, int* error) {
  const socklen_t room = length != nullptr ? *length : 0;
  for (;;) {
    if (length != nullptr) *length = room;
    const int accepted = RealAccept4()(fd, address, length, flags);
    *error = errno;
    if (accepted < 0) {
      if (*error != EMFILE && *error != ENFILE) return accepted;
      exhaustions.fetch_add(1, std::memory_order_relaxed);
      short_of_descriptors.store(true, std::memory_order_relaxed);
      RefuseWaiting(fd);
      LogRefusals();
      *error = EAGAIN;
      return -1;
    }
    if (short_of_descriptors.exchange(false, std::memory_order_relaxed)) {
      TakeReserve();
      log::Info("descriptors_available", {{"refused_total", refused.load()}});
    }
    if (table == nullptr || AdmitUnderCaps(*table, accepted)) return accepted;
    close(accepted);
  }
}

int GuardedAccept4(int fd, struct sockaddr* address, socklen_t* length,
                   int flags) {
  Guard& guard = TheGuard();
  int error = 0;
  int accepted;
  {
    MutexLock lock(&guard.mu);
    accepted =
        AcceptSerialized(guard.table, fd, address, length, flags, &error);
  }
  if (accepted < 0) errno = error;
  return accepted;
}

}  // namespace

uint64_t RaiseOpenFileLimit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return SoftLimit();
}

absl::Status InstallAcceptGuard() {
  if (dlsym(RTLD_DEFAULT, "accept4") != reinterpret_cast<void*>(&accept4)) {
    return absl::InternalError(
        "accept4 is not speckd's own: a port may stop accepting after the "
        "process runs out of file descriptors");
  }
  TakeReserve();
  return absl::OkStatus();
}

void SetConnectionLimits(const ConnectionLimits& limits) {
  Guard& guard = TheGuard();
  MutexLock lock(&guard.mu);
  delete guard.table;
  guard.table = limits.per_client == 0 && limits.total == 0
                    ? nullptr
                    : new ConnectionTable(limits);
}

AcceptGuardStats GetAcceptGuardStats() {
  AcceptGuardStats stats;
  stats.refused = refused.load();
  stats.exhaustions = exhaustions.load();
  stats.refused_client_full = refused_client_full.load();
  stats.refused_total_full = refused_total_full.load();
  Guard& guard = TheGuard();
  MutexLock lock(&guard.mu);
  if (guard.table != nullptr) stats.connections = guard.table->Open();
  return stats;
}

}  // namespace speckd::server

// Interposes libc's accept4 for every caller in the process (gRPC, libevent).
extern "C" int accept4(int fd, struct sockaddr* address, socklen_t* length,
                       int flags) {
  return speckd::server::GuardedAccept4(fd, address, length, flags);
}
