// What a SamnaDevice and the SamnaBus share for one board: the bridge that
// drives it, the bridge's name for it, and the route of its outputs. The bus
// hands outputs to whichever device is attached; a device detaches before
// it is destroyed, so the bus never reaches a dead one.
#ifndef SPECKD_DRIVER_SAMNA_BOARD_LINK_H_
#define SPECKD_DRIVER_SAMNA_BOARD_LINK_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "driver/samna/bridge.pb.h"
#include "driver/samna/bridge_process.h"
#include "driver/util/mutex.h"

namespace speckd::driver::samna {

class BoardOutputs {
 public:
  virtual ~BoardOutputs() = default;
  // On the bridge's reader thread; must not block for long.
  virtual void OnBridgeOutputs(bridge::Outputs outputs) = 0;
  // The bridge has gone (crash, kill, restart).
  virtual void OnBridgeGone(const std::string& why) = 0;
};

class BoardLink {
 public:
  BoardLink(std::shared_ptr<BridgeProcess> process, std::string board)
      : process_(std::move(process)), board_(std::move(board)) {}

  BridgeProcess& process() const { return *process_; }
  const std::string& board() const { return board_; }

  void Attach(BoardOutputs* outputs) {
    MutexLock lock(&mu_);
    outputs_ = outputs;
  }
  // Returns once no delivery to the attached device is in progress.
  void Detach() {
    MutexLock lock(&mu_);
    outputs_ = nullptr;
  }
  void Deliver(bridge::Outputs outputs) {
    MutexLock lock(&mu_);
    if (outputs_ != nullptr) outputs_->OnBridgeOutputs(std::move(outputs));
  }
  void Gone(const std::string& why) {
    MutexLock lock(&mu_);
    if (outputs_ != nullptr) outputs_->OnBridgeGone(why);
  }

 private:
  const std::shared_ptr<BridgeProcess> process_;
  const std::string board_;
  // Guards the attached device. Lock order: before the device's own lock
  // (Deliver calls into it).
  Mutex mu_;
  BoardOutputs* outputs_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_BOARD_LINK_H_
