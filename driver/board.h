// A board: one physical device on a bus (or a simulated one), as a backend
// sees it come and go. Backends (the simulated bus, the USB bus, the samna
// bridge) report boards to a BoardListener; the daemon's DeviceManager is the
// listener, gives each board its stable id and keeps its state across
// unplugs. A board that can be driven arrives with a Device; one that cannot
// (no permission, no firmware, no protocol driver, busy) arrives with a
// BoardProblem that tells the user what to do.
//
//   Board board;
//   board.key = "usb:2-1.3";             // bus and port path
//   board.id_prefix = "speck2edevkit";   // ids "speck2edevkit:N"
//   board.device = std::move(device);    // or board.problem = {...}
//   listener->OnBoardArrived(std::move(board));
//   ...
//   listener->OnBoardLeft("usb:2-1.3", "unplugged");
#ifndef SPECKD_DRIVER_BOARD_H_
#define SPECKD_DRIVER_BOARD_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "driver/device.h"

namespace speckd::driver {

// Why a board that is present cannot be used.
struct BoardProblem {
  enum class Kind {
    kNone,
    // The device node cannot be opened (LIBUSB_ERROR_ACCESS).
    kPermissionDenied,
    // A Cypress FX3 in its boot loader (04b4:00f3): no firmware loaded.
    kNeedsFirmware,
    // Opened and claimed, but speckd has no driver for its wire protocol.
    kNoProtocolDriver,
    // A SynSense board speckd does not know (an unlisted product id).
    kUnknownBoard,
    // Another process has claimed it (LIBUSB_ERROR_BUSY).
    kBusy,
    // Opening it failed otherwise (the detail names the error).
    kOpenFailed,
  };
  Kind kind = Kind::kNone;
  // What is wrong and what to do about it, in plain words.
  std::string detail;
};

const char* BoardProblemName(BoardProblem::Kind kind);

struct Board {
  // Identifies the physical board for the daemon's life: "sim:0",
  // "usb:<bus>-<port path>". A board that returns with the same key (or the
  // same serial number, when it has one) is the same device.
  std::string key;
  // Device ids are "<id_prefix>:<rank>", ranked per prefix in the order
  // boards are first seen (a backend reports the boards present at start in
  // USB-address order).
  std::string id_prefix;
  // What is known without opening it (id is left empty: the listener
  // assigns it).
  DeviceDescriptor descriptor;
  // The driven device, or null with `problem` saying why there is none.
  std::unique_ptr<Device> device;
  BoardProblem problem;
  // Asks the backend for a fresh driver after `device` stopped answering
  // (the daemon's watchdog): the backend reports the board again with
  // OnBoardArrived, same key, new Device, without waiting for the old one.
  // Null where the backend cannot.
  std::function<void()> restart;
};

class BoardListener {
 public:
  virtual ~BoardListener() = default;
  // A board is present (again). May be called for a board already present
  // to change what is known about it (e.g. its problem was fixed).
  virtual void OnBoardArrived(Board board) = 0;
  // The board with `key` went away; `why` is shown to the user.
  virtual void OnBoardLeft(const std::string& key, const std::string& why) = 0;
};

// A backend that can pretend its boards are pulled out and plugged back in,
// to test recovery end to end (the simulated bus, with --sim_faults).
class BoardFaults {
 public:
  virtual ~BoardFaults() = default;
  // NOT_FOUND for a key it does not own; FAILED_PRECONDITION if the board is
  // already out (Unplug) or in (Replug).
  virtual absl::Status Unplug(const std::string& key) = 0;
  virtual absl::Status Replug(const std::string& key) = 0;

  // Misbehaviour while plugged in, for `duration` (see sim_faults.h).
  enum class Misbehaviour {
    kStallOutput,
    kFillInputQueue,
    kJumpClock,
    kBurstOutput,
    kWedgeThread,
  };
  // FAILED_PRECONDITION while the board is unplugged.
  virtual absl::Status Inject(const std::string& key, Misbehaviour what,
                              absl::Duration duration) = 0;
};

}  // namespace speckd::driver

#endif  // SPECKD_DRIVER_BOARD_H_
