// SamnaBus: the backend of boards driven through SynSense's samna. It runs
// the samna bridge (one per host: samna lets one process open a board),
// reports every Speck2e board samna lists to a BoardListener with a
// SamnaDevice, follows samna's list as boards come and go, and when the
// bridge fails — it cannot start (no samna, a samna too old), it crashes,
// it misses a call's deadline — reports why, restarts it with backoff and
// reports the boards again under the same keys (the daemon then re-applies
// their configurations).
//
// Until the bridge runs, one board stands for it, key "samna:bridge" (id
// "samna-bridge:0"), unusable, its problem saying why and what to do.
//
//   SamnaBusOptions options;
//   options.python = "/opt/samna/bin/python3";
//   options.work_dir = "/var/lib/speckd";
//   std::unique_ptr<SamnaBus> bus = SamnaBus::Start(options, &devices);
#ifndef SPECKD_DRIVER_SAMNA_SAMNA_BUS_H_
#define SPECKD_DRIVER_SAMNA_SAMNA_BUS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "driver/board.h"
#include "driver/samna/board_link.h"
#include "driver/samna/bridge_process.h"
#include "driver/samna/samna_device.h"
#include "driver/util/mutex.h"

namespace speckd::driver::samna {

inline constexpr absl::string_view kBridgeBoardKey = "samna:bridge";

struct SamnaBusOptions {
  // The Python that imports samna (speckd --samna_python).
  std::string python;
  // The bridge's working directory (samna.log goes there).
  std::string work_dir;
  // The bridge's stderr and the bus's own news, a line each; null: dropped.
  std::function<void(absl::string_view line)> log;
  SamnaDeviceOptions device;
  // samna opens a board in about 3 s.
  absl::Duration open_timeout = absl::Seconds(30);
  absl::Duration call_timeout = absl::Seconds(10);
  absl::Duration start_timeout = absl::Seconds(30);
  // Between bridge restarts: doubling from min to max, back to min once a
  // bridge has run for a minute.
  absl::Duration min_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  // A board that could not be opened (busy) is tried again this often.
  absl::Duration retry_interval = absl::Seconds(5);
  // Where the boards' USB port paths are looked up (their keys).
  std::string sysfs_root = "/sys";
};

class SamnaBus final : public BridgeProcess::Handler {
 public:
  static std::unique_ptr<SamnaBus> Start(SamnaBusOptions options,
                                         BoardListener* listener);
  // Stops the bridge; reports nothing more.
  ~SamnaBus() override;
  SamnaBus(const SamnaBus&) = delete;
  SamnaBus& operator=(const SamnaBus&) = delete;

  // The running bridge's pid, or 0 (tests kill it).
  pid_t bridge_pid() const;
  // True once the bridge has started `starts` times (or failed to) and the
  // last one's boards are reported (tests).
  bool WaitForStarts(int starts, absl::Duration timeout) const;

  // BridgeProcess::Handler.
  void OnOutputs(bridge::Outputs outputs) override;
  void OnBoardsChanged(const bridge::BoardList& boards) override;
  void OnExit(const std::string& why) override;

 private:
  struct Reported {
    std::string key;
    std::shared_ptr<BoardLink> link;  // null for a board with a problem
  };

  SamnaBus(SamnaBusOptions options, BoardListener* listener);
  void Supervise();
  // Serves one running bridge until it exits or must restart; why.
  std::string Serve(const std::shared_ptr<BridgeProcess>& bridge);
  void Reconcile(const std::shared_ptr<BridgeProcess>& bridge);
  void Arrive(const std::shared_ptr<BridgeProcess>& bridge,
              const bridge::BoardInfo& info);
  void LeaveAll(const std::string& why);
  void ReportBridgeProblem(const std::string& why, absl::Duration retry);
  std::string KeyOf(const bridge::BoardInfo& info) const;
  void Log(absl::string_view line) const;

  const SamnaBusOptions options_;
  BoardListener* const listener_;
  std::thread supervisor_;

  // Supervisor thread only.
  std::map<std::string, Reported> reported_;  // by the bridge's board name
  bool problem_reported_ = false;

  // What the supervisor waits for. A leaf: links and the listener are
  // called without it.
  mutable Mutex mu_;
  mutable CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool restart_ ABSL_GUARDED_BY(mu_) = false;
  bool boards_changed_ ABSL_GUARDED_BY(mu_) = false;
  std::string exited_ ABSL_GUARDED_BY(mu_);
  int starts_ ABSL_GUARDED_BY(mu_) = 0;
  pid_t pid_ ABSL_GUARDED_BY(mu_) = 0;
  // Output routes, by the bridge's board name.
  std::map<std::string, std::shared_ptr<BoardLink>> links_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_SAMNA_BUS_H_
