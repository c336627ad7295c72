// SimBus: the backend of simulated devkits. It reports `count` boards
// ("sim:0", ... with ids "speck2edevkit-sim:N") to a BoardListener, and can
// unplug and replug them (BoardFaults) so that the daemon's recovery path is
// tested end to end: a replugged board is a new SimDevice, with a fresh chip
// and stop watch, like a devkit that lost power. Each board can also be
// restarted (Board::restart, after the daemon's watchdog found it wedged):
// the same, without the unplug.
//
//   SimBus bus(options);            // options.count = 1
//   bus.Start(&devices);            // devices.OnBoardArrived(...)
//   bus.Unplug("sim:0");            // devices.OnBoardLeft("sim:0", ...)
//   bus.Replug("sim:0");
#ifndef SPECKD_DRIVER_SIM_SIM_BUS_H_
#define SPECKD_DRIVER_SIM_SIM_BUS_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "driver/board.h"
#include "driver/sim/sim_device.h"
#include "driver/sim/sim_faults.h"
#include "driver/util/mutex.h"

namespace speckd::driver::sim {

// Id prefix of simulated devkits: never mistaken for a real board.
inline constexpr char kSimIdPrefix[] = "speck2edevkit-sim";

struct SimBusOptions {
  int count = 1;
  // For every board (its rank is set per board).
  SimDeviceOptions device;
};

class SimBus final : public BoardFaults {
 public:
  explicit SimBus(const SimBusOptions& options);
  // Boards' restart hooks that outlive the bus do nothing.
  ~SimBus() override;

  // Reports every board to `listener`, which must outlive the bus.
  void Start(BoardListener* listener);

  absl::Status Unplug(const std::string& key) override;
  absl::Status Replug(const std::string& key) override;
  absl::Status Inject(const std::string& key, Misbehaviour what,
                      absl::Duration duration) override;

 private:
  // The board "sim:<rank>", freshly made.
  Board MakeBoard(int rank) const;
  // The rank of `key`, or NOT_FOUND.
  absl::StatusOr<int> RankOf(const std::string& key) const;
  // Reports board `rank` again with a new device, unless it is unplugged.
  void Restart(int rank);

  // Shared with the boards' restart hooks, which the daemon may keep (and
  // call) after the bus is gone: `bus` is null once it is. Lock order: mu
  // before the bus's mu_.
  struct Life {
    Mutex mu;
    SimBus* bus ABSL_GUARDED_BY(mu) = nullptr;
  };
  const std::shared_ptr<Life> life_ = std::make_shared<Life>();

  const SimBusOptions options_;
  // Per board, for the daemon's life (each replugged device obeys its
  // board's); never resized after construction.
  std::vector<std::shared_ptr<SimFaults>> faults_;
  // Serializes plugging, so a listener hears of each board in order; a leaf
  // apart from the listener's locks (taken while it is held).
  Mutex mu_;
  BoardListener* listener_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::set<int> unplugged_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_SIM_BUS_H_
