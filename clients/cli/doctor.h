// What stands between a user and a working board, checked on this machine:
// SynSense boards in sysfs and whether this user may open their device
// nodes, the udev rule, group speck, the speckd service. Each finding says
// what is wrong in plain words and what to do. `speckctl doctor` adds what
// the daemon itself reports.
//
//   Machine machine;                          // "/" (tests: a fake tree)
//   std::vector<Finding> found = CheckUsbAccess(machine);
#ifndef SPECKD_CLIENTS_CLI_DOCTOR_H_
#define SPECKD_CLIENTS_CLI_DOCTOR_H_

#include <string>
#include <vector>

namespace speckd::cli {

struct Finding {
  enum class Level { kOk, kInfo, kWarn, kFail };
  Level level = Level::kOk;
  std::string text;
};

const char* LevelTag(Finding::Level level);

// Where to look, and who is asking.
struct Machine {
  std::string root;  // "" for the real one; a directory in tests
  std::string user;  // the user speckctl runs as
  // Groups the user is in now (this process), and in /etc/group (a user
  // added to a group counts only after logging in again).
  std::vector<std::string> current_groups;
  std::vector<std::string> listed_groups;
  bool is_root = false;
};

// The running user and real paths.
Machine ThisMachine();

// SynSense boards (337d), FX3s without firmware (04b4:00f3) and iniVation
// cameras (152a) in sysfs, each with its node's owner, group and mode and
// whether this user can open it.
std::vector<Finding> CheckUsbAccess(const Machine& machine);
// How many boards CheckUsbAccess found.
int BoardsIn(const std::vector<Finding>& usb_findings);

// The udev rule and group speck: failures when boards are plugged in,
// advice otherwise.
std::vector<Finding> CheckUdevRule(const Machine& machine, int boards);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_DOCTOR_H_
