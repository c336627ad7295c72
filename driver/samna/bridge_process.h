// The samna bridge as a child process: speckd's end of the socketpair, the
// framed protobuf channel (bridge.proto) and the process's life. Calls are
// synchronous, with a deadline each; a bridge that misses one is taken for
// hung and killed, as is one that says something speckd cannot parse. The
// bridge's stderr goes line by line to `log`.
//
//   BridgeOptions options;
//   options.python = "/opt/samna/bin/python3";
//   absl::StatusOr<std::unique_ptr<BridgeProcess>> bridge =
//       BridgeProcess::Start(options, &handler);
//   absl::StatusOr<samna::Reply> reply = (*bridge)->Call(request, timeout);
#ifndef SPECKD_DRIVER_SAMNA_BRIDGE_PROCESS_H_
#define SPECKD_DRIVER_SAMNA_BRIDGE_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "driver/samna/bridge.pb.h"
#include "driver/util/mutex.h"

namespace speckd::driver::samna {

struct BridgeOptions {
  // The Python that imports samna.
  std::string python;
  // The bridge's working directory (samna writes samna.log there); its
  // sources are written to `work_dir`/samna-bridge/. Created if missing.
  std::string work_dir;
  // Each line the bridge writes to stderr; null: dropped.
  std::function<void(absl::string_view line)> log;
  // For the Hello that proves the bridge runs.
  absl::Duration start_timeout = absl::Seconds(30);
};

class BridgeProcess {
 public:
  // Told on the bridge's reader thread, in the order the bridge sent things
  // (a board's Outputs before the reply to a Sync that follows them). Must
  // not block for long: replies wait behind it.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnOutputs(bridge::Outputs outputs) = 0;
    virtual void OnBoardsChanged(const bridge::BoardList& boards) = 0;
    // Once, when the bridge has gone; `why` is for the user.
    virtual void OnExit(const std::string& why) = 0;
  };

  // Writes the bridge's sources, starts it and says Hello. UNAVAILABLE with
  // the bridge's own words when it does not come up (no samna, ...).
  static absl::StatusOr<std::unique_ptr<BridgeProcess>> Start(
      const BridgeOptions& options, Handler* handler);
  // Shutdown().
  ~BridgeProcess();
  // Closes the channel, waits briefly for the bridge to close its boards,
  // then kills it. The handler hears nothing more (not even OnExit); calls
  // fail with UNAVAILABLE. Idempotent.
  void Shutdown();
  BridgeProcess(const BridgeProcess&) = delete;
  BridgeProcess& operator=(const BridgeProcess&) = delete;

  // Sends `request` (its id is set here) and waits for the reply. A reply
  // with an error becomes that status. UNAVAILABLE once the bridge has gone;
  // DEADLINE_EXCEEDED when it does not answer in time (it is then killed).
  absl::StatusOr<bridge::Reply> Call(bridge::Request request,
                                     absl::Duration timeout);

  const bridge::HelloReply& hello() const { return hello_; }
  pid_t pid() const { return pid_; }
  bool alive() const { return !dead_.load(); }
  // Kills the bridge (SIGKILL); OnExit gets `why`.
  void Kill(const std::string& why);

 private:
  struct Pending {
    bool done = false;
    absl::Status status;
    bridge::Reply reply;
  };

  BridgeProcess(const BridgeOptions& options, Handler* handler);
  absl::Status Spawn();
  absl::Status Send(const bridge::Request& request);
  void ReadLoop();
  void StderrLoop();
  void Dispatch(bridge::BridgeMessage message);
  void Died();
  absl::Status GoneLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string ExitReason();

  const BridgeOptions options_;
  Handler* handler_;
  bridge::HelloReply hello_;
  pid_t pid_ = -1;
  int socket_ = -1;
  int stderr_ = -1;
  std::atomic<bool> dead_{false};
  std::atomic<bool> closing_{false};
  // Hello answered: from then on the handler hears of the bridge's exit.
  std::atomic<bool> started_{false};
  std::thread reader_;
  Notification reader_done_;
  std::thread stderr_reader_;

  // Serializes frames on the socket. A leaf.
  Mutex send_mu_;
  // Calls waiting for replies, the kill reason and the last stderr lines.
  // A leaf: the handler is called without it.
  Mutex mu_;
  CondVar reply_cv_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Pending*> pending_ ABSL_GUARDED_BY(mu_);
  std::string kill_reason_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> last_lines_ ABSL_GUARDED_BY(mu_);
  bool stderr_closed_ ABSL_GUARDED_BY(mu_) = false;
  CondVar stderr_cv_;
};

// The status a bridge Error carries; a busy board's has a payload that
// IsBoardBusy finds.
absl::Status ErrorStatus(const bridge::Error& error);
bool IsBoardBusy(const absl::Status& status);

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_BRIDGE_PROCESS_H_
