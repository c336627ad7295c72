#include "clients/cli/doctor.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace speckd::cli {
namespace {

namespace fs = std::filesystem;

std::string ReadTrimmed(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return std::string(absl::StripAsciiWhitespace(text));
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string GroupName(gid_t gid) {
  const group* g = getgrgid(gid);
  return g != nullptr ? g->gr_name : absl::StrCat(gid);
}

std::string UserName(uid_t uid) {
  const passwd* pw = getpwuid(uid);
  return pw != nullptr ? pw->pw_name : absl::StrCat(uid);
}

// "a SynSense board", ... for a vendor:product, or "" if not ours.
std::string KindOf(const std::string& vendor, const std::string& product) {
  if (vendor == "337d") return "SynSense board";
  if (vendor == "04b4" && product == "00f3") return "FX3 without firmware";
  if (vendor == "152a") return "iniVation camera";
  return "";
}

// What to do about a node this user cannot open.
std::string AccessFix(const Machine& m, const std::string& node_group) {
  if (node_group != "speck") {
    return "the udev rule is missing or was installed after the board was "
           "plugged in: run sudo deploy/install-udev-rule.sh, then unplug and "
           "replug the board";
  }
  if (Has(m.listed_groups, "speck") && !Has(m.current_groups, "speck")) {
    return absl::StrCat(m.user,
                        " was added to group speck but this login predates "
                        "it: log out and in again (or run: newgrp speck)");
  }
  return absl::StrCat("add ", m.user,
                      " to group speck: sudo usermod -aG speck ", m.user,
                      ", then log in again");
}

// A device in sysfs that is one of ours, read once.
struct SysfsBoard {
  fs::path dir;
  std::string vendor;
  std::string product;
  std::string kind;
  bool operator<(const SysfsBoard& other) const { return dir < other.dir; }
};

Finding CheckBoard(const Machine& m, const SysfsBoard& board) {
  const fs::path& dir = board.dir;
  const std::string name = dir.filename().string();
  const std::string& vendor = board.vendor;
  const std::string& product = board.product;
  const std::string& kind = board.kind;
  int bus = 0;
  int address = 0;
  (void)absl::SimpleAtoi(ReadTrimmed(dir / "busnum"), &bus);
  (void)absl::SimpleAtoi(ReadTrimmed(dir / "devnum"), &address);
  const std::string node =
      absl::StrFormat("/dev/bus/usb/%03d/%03d", bus, address);
  const std::string what = absl::StrCat(kind, " ", vendor, ":", product,
                                        " at usb ", name, " (", node, ")");
  struct stat st;
  const std::string path = m.root + node;
  if (stat(path.c_str(), &st) != 0) {
    return {Finding::Level::kFail,
            absl::StrCat(what,
                         ": the device node is missing (udev has not "
                         "created it; unplug and replug the board)")};
  }
  const std::string owner = UserName(st.st_uid);
  const std::string group = GroupName(st.st_gid);
  const std::string mode = absl::StrFormat("%04o", st.st_mode & 07777);
  const std::string facts =
      absl::StrCat("owner ", owner, ", group ", group, ", mode ", mode);
  if ((st.st_mode & 0002) != 0) {
    return {
        Finding::Level::kWarn,
        absl::StrCat(what, ": ", facts,
                     ": anyone on this machine may drive it (samna's "
                     "suggested MODE=\"0666\" rule); deploy/60-speckd.rules "
                     "limits it to group speck")};
  }
  if (access(path.c_str(), R_OK | W_OK) == 0) {
    return {Finding::Level::kOk,
            absl::StrCat(what, ": ", facts, ": ", m.user, " can open it",
                         m.is_root ? " (as root)" : "")};
  }
  return {Finding::Level::kFail,
          absl::StrCat(what, ": ", facts, ": ", m.user,
                       " cannot open it: ", AccessFix(m, group))};
}

}  // namespace

const char* LevelTag(Finding::Level level) {
  switch (level) {
    case Finding::Level::kOk:
      return "ok  ";
    case Finding::Level::kInfo:
      return "info";
    case Finding::Level::kWarn:
      return "warn";
    case Finding::Level::kFail:
      return "FAIL";
  }
  return "?";
}

Machine ThisMachine() {
  Machine m;
  m.user = UserName(geteuid());
  m.is_root = geteuid() == 0;
  gid_t groups[256];
  const int n = getgroups(256, groups);
  for (int i = 0; i < n; ++i) m.current_groups.push_back(GroupName(groups[i]));
  m.current_groups.push_back(GroupName(getegid()));
  if (const passwd* pw = getpwuid(geteuid())) {
    int count = 256;
    std::vector<gid_t> listed(count);
    if (getgrouplist(pw->pw_name, pw->pw_gid, listed.data(), &count) >= 0) {
      for (int i = 0; i < count; ++i) {
        m.listed_groups.push_back(GroupName(listed[i]));
      }
    }
  }
  return m;
}

std::vector<Finding> CheckUsbAccess(const Machine& m) {
  std::vector<Finding> found;
  const fs::path devices = fs::path(m.root + "/sys/bus/usb/devices");
  std::error_code error;
  if (!fs::exists(devices, error)) {
    found.push_back({Finding::Level::kInfo,
                     "this machine shows no USB bus (/sys/bus/usb is absent: "
                     "a VM or container without USB); only simulated devkits "
                     "are available here"});
    return found;
  }
  std::vector<SysfsBoard> boards;
  for (const fs::directory_entry& e : fs::directory_iterator(devices, error)) {
    SysfsBoard board{e.path(), ReadTrimmed(e.path() / "idVendor"),
                     ReadTrimmed(e.path() / "idProduct"), ""};
    board.kind = KindOf(board.vendor, board.product);
    if (!board.kind.empty()) boards.push_back(std::move(board));
  }
  std::sort(boards.begin(), boards.end());
  for (const SysfsBoard& board : boards) found.push_back(CheckBoard(m, board));
  if (boards.empty()) {
    found.push_back({Finding::Level::kInfo,
                     "no SynSense board is plugged into this machine "
                     "(vendor 337d or 04b4:00f3 in /sys/bus/usb/devices); "
                     "check the cable (USB 3, a data cable) and lsusb"});
  }
  return found;
}

int BoardsIn(const std::vector<Finding>& usb_findings) {
  int boards = 0;
  for (const Finding& f : usb_findings) {
    boards += f.level != Finding::Level::kInfo;
  }
  return boards;
}

std::vector<Finding> CheckUdevRule(const Machine& m, int boards) {
  // Without a board nothing fails yet: it is advice for the day one comes.
  const Finding::Level missing =
      boards > 0 ? Finding::Level::kFail : Finding::Level::kInfo;
  std::vector<Finding> found;
  const fs::path ours = m.root + "/etc/udev/rules.d/60-speckd.rules";
  std::error_code error;
  if (fs::exists(ours, error)) {
    found.push_back({Finding::Level::kOk,
                     absl::StrCat("udev rule installed: ", ours.string())});
  } else {
    bool other = false;
    for (const char* dir : {"/etc/udev/rules.d", "/lib/udev/rules.d"}) {
      const fs::path rules = m.root + dir;
      if (!fs::exists(rules, error)) continue;
      for (const fs::directory_entry& e :
           fs::directory_iterator(rules, error)) {
        if (absl::StrContains(ReadAll(e.path()), "337d")) {
          found.push_back(
              {Finding::Level::kWarn,
               absl::StrCat("no speckd udev rule, but ", e.path().string(),
                            " names SynSense boards (samna's rule?); "
                            "deploy/install-udev-rule.sh installs speckd's "
                            "(group speck, mode 0660)")});
          other = true;
        }
      }
    }
    if (!other) {
      found.push_back(
          {missing,
           "no udev rule gives access to SynSense boards: run sudo "
           "deploy/install-udev-rule.sh (installs /etc/udev/rules.d/"
           "60-speckd.rules, creates group speck, adds you to it)"});
    }
  }
  if (getgrnam("speck") == nullptr && m.root.empty()) {
    found.push_back({missing,
                     "group speck does not exist: sudo "
                     "deploy/install-udev-rule.sh creates it"});
  } else if (Has(m.current_groups, "speck")) {
    found.push_back(
        {Finding::Level::kOk, absl::StrCat(m.user, " is in group speck")});
  } else if (Has(m.listed_groups, "speck")) {
    found.push_back(
        {Finding::Level::kWarn,
         absl::StrCat(m.user,
                      " was added to group speck, but this login predates "
                      "it: log out and in again (or: newgrp speck)")});
  } else if (!m.is_root) {
    found.push_back(
        {Finding::Level::kInfo,
         absl::StrCat(m.user,
                      " is not in group speck: needed only to run speckd or "
                      "samna by hand (the service has it): sudo usermod -aG "
                      "speck ",
                      m.user)});
  }
  return found;
}

}  // namespace speckd::cli
