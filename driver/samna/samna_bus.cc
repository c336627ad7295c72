#include "driver/samna/samna_bus.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace speckd::driver::samna {
namespace {

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

// The hub ports of the USB device at bus/address ("1.3"), from sysfs; empty
// when sysfs does not know it.
std::string PortPath(const std::string& sysfs_root, uint32_t bus,
                     uint32_t address) {
  const std::string dir = sysfs_root + "/bus/usb/devices";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return "";
  std::string found;
  while (dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    const size_t dash = name.find('-');
    if (dash == std::string::npos || name.find(':') != std::string::npos)
      continue;
    uint32_t b = 0, a = 0;
    if (absl::SimpleAtoi(ReadLine(dir + "/" + name + "/busnum"), &b) &&
        absl::SimpleAtoi(ReadLine(dir + "/" + name + "/devnum"), &a) &&
        b == bus && a == address) {
      found = name.substr(dash + 1);
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

std::unique_ptr<SamnaBus> SamnaBus::Start(SamnaBusOptions options,
                                          BoardListener* listener) {
  std::unique_ptr<SamnaBus> bus(new SamnaBus(std::move(options), listener));
  bus->supervisor_ = std::thread([b = bus.get()] { b->Supervise(); });
  return bus;
}

SamnaBus::SamnaBus(SamnaBusOptions options, BoardListener* listener)
    : options_(std::move(options)), listener_(listener) {}

SamnaBus::~SamnaBus() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  supervisor_.join();
}

pid_t SamnaBus::bridge_pid() const {
  MutexLock lock(&mu_);
  return pid_;
}

bool SamnaBus::WaitForStarts(int starts, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&mu_);
  while (starts_ < starts) {
    if (cv_.WaitWithDeadline(&mu_, deadline)) return starts_ >= starts;
  }
  return true;
}

void SamnaBus::Log(absl::string_view line) const {
  if (options_.log) options_.log(line);
}

void SamnaBus::OnOutputs(bridge::Outputs outputs) {
  std::shared_ptr<BoardLink> link;
  {
    MutexLock lock(&mu_);
    auto it = links_.find(outputs.board());
    if (it != links_.end()) link = it->second;
  }
  if (link != nullptr) link->Deliver(std::move(outputs));
}

void SamnaBus::OnBoardsChanged(const bridge::BoardList&) {
  MutexLock lock(&mu_);
  boards_changed_ = true;
  cv_.SignalAll();
}

void SamnaBus::OnExit(const std::string& why) {
  MutexLock lock(&mu_);
  exited_ = why;
  cv_.SignalAll();
}

void SamnaBus::Supervise() {
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    BridgeOptions bridge_options;
    bridge_options.python = options_.python;
    bridge_options.work_dir = options_.work_dir;
    bridge_options.log = options_.log;
    bridge_options.start_timeout = options_.start_timeout;
    {
      MutexLock lock(&mu_);
      if (stop_) return;
      exited_.clear();
      restart_ = boards_changed_ = false;
    }
    absl::StatusOr<std::unique_ptr<BridgeProcess>> started =
        BridgeProcess::Start(bridge_options, this);
    const absl::Time began = absl::Now();
    std::string why;
    if (started.ok()) {
      std::shared_ptr<BridgeProcess> bridge = std::move(*started);
      why = Serve(bridge);
      bridge->Shutdown();
      LeaveAll(why);
      if (absl::Now() - began > absl::Minutes(1))
        backoff = options_.min_backoff;
    } else {
      why = std::string(started.status().message());
      ReportBridgeProblem(why, backoff);
      MutexLock lock(&mu_);
      ++starts_;
      cv_.SignalAll();
    }
    Log(absl::StrCat("samna bridge: ", why, "; restarting in ",
                     absl::FormatDuration(backoff)));
    MutexLock lock(&mu_);
    const absl::Time until = absl::Now() + backoff;
    while (!stop_ && !restart_) {
      if (cv_.WaitWithDeadline(&mu_, until)) break;
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

std::string SamnaBus::Serve(const std::shared_ptr<BridgeProcess>& bridge) {
  const bridge::HelloReply& hello = bridge->hello();
  Log(absl::StrCat("samna bridge: pid ", bridge->pid(), ", samna ",
                   hello.samna_version(), ", python ", hello.python_version()));
  for (const std::string& warning : hello.warnings()) {
    Log(absl::StrCat("samna bridge: ", warning));
  }
  if (problem_reported_) {
    listener_->OnBoardLeft(std::string(kBridgeBoardKey),
                           "the samna bridge runs");
    problem_reported_ = false;
  }
  {
    MutexLock lock(&mu_);
    pid_ = bridge->pid();
  }
  Reconcile(bridge);
  {
    MutexLock lock(&mu_);
    ++starts_;
    cv_.SignalAll();
  }
  while (true) {
    bool changed = false;
    {
      MutexLock lock(&mu_);
      const absl::Time retry = absl::Now() + options_.retry_interval;
      while (!stop_ && !restart_ && exited_.empty() && !boards_changed_) {
        if (cv_.WaitWithDeadline(&mu_, retry)) break;
      }
      if (stop_) return "speckd is stopping";
      if (restart_) return "restarted by speckd (a device stopped answering)";
      if (!exited_.empty()) return exited_;
      changed = boards_changed_;
      boards_changed_ = false;
    }
    const bool problems =
        std::any_of(reported_.begin(), reported_.end(),
                    [](const auto& r) { return r.second.link == nullptr; });
    if (changed || problems) Reconcile(bridge);
  }
}

void SamnaBus::Reconcile(const std::shared_ptr<BridgeProcess>& bridge) {
  bridge::Request request;
  request.mutable_list_boards();
  absl::StatusOr<bridge::Reply> listed =
      bridge->Call(std::move(request), options_.call_timeout);
  if (!listed.ok()) return;  // the bridge's exit says why
  std::set<std::string> present;
  for (const bridge::BoardInfo& info : listed->boards().boards()) {
    present.insert(info.board());
    auto it = reported_.find(info.board());
    if (it == reported_.end() || it->second.link == nullptr)
      Arrive(bridge, info);
  }
  for (auto it = reported_.begin(); it != reported_.end();) {
    if (present.count(it->first) > 0) {
      ++it;
      continue;
    }
    const std::string why = "samna no longer lists it (unplugged?)";
    if (it->second.link != nullptr) it->second.link->Gone(why);
    {
      MutexLock lock(&mu_);
      links_.erase(it->first);
    }
    bridge::Request close;
    close.mutable_close()->set_board(it->first);
    (void)bridge->Call(std::move(close), options_.call_timeout);
    listener_->OnBoardLeft(it->second.key, why);
    it = reported_.erase(it);
  }
}

void SamnaBus::Arrive(const std::shared_ptr<BridgeProcess>& bridge,
                      const bridge::BoardInfo& info) {
  const bridge::HelloReply& hello = bridge->hello();
  Board board;
  board.key = KeyOf(info);
  board.id_prefix = absl::AsciiStrToLower(info.device_type_name());
  DeviceDescriptor& d = board.descriptor;
  d.type_name = info.device_type_name();
  d.serial_number = info.serial_number();
  d.backend = Backend::kSamna;
  d.usb_bus_number = info.usb_bus_number();
  d.usb_device_address = info.usb_device_address();
  d.usb_port_path = PortPath(options_.sysfs_root, info.usb_bus_number(),
                             info.usb_device_address());
  d.logic_version = absl::StrCat(info.logic_version());
  d.driver_detail = absl::StrCat(
      "samna ", hello.samna_version(), " (Python ", hello.python_version(),
      ") through speckd's samna bridge, pid ", bridge->pid(),
      "; the bridge is untested on hardware until a lab runs "
      "docs/hardware.md");
  for (const std::string& warning : hello.warnings()) {
    absl::StrAppend(&d.driver_detail, "; ", warning);
  }
  bridge::Request open;
  open.mutable_open()->set_board(info.board());
  absl::StatusOr<bridge::Reply> opened =
      bridge->Call(std::move(open), options_.open_timeout);
  if (!opened.ok()) {
    const bool busy = IsBoardBusy(opened.status());
    board.problem = {
        busy ? BoardProblem::Kind::kBusy : BoardProblem::Kind::kOpenFailed,
        absl::StrCat(
            opened.status().message(),
            busy ? "; samna lets one process per machine open a board: close "
                   "the other program using it (a Python session with samna "
                   "or sinabs, another speckd)"
                 : "",
            "; speckd tries again every ",
            absl::FormatDuration(options_.retry_interval))};
    reported_[info.board()] = {board.key, nullptr};
    listener_->OnBoardArrived(std::move(board));
    return;
  }
  auto link = std::make_shared<BoardLink>(bridge, info.board());
  {
    MutexLock lock(&mu_);
    links_[info.board()] = link;
  }
  board.device = NewSamnaDevice(d, link, options_.device);
  board.restart = [this] {
    MutexLock lock(&mu_);
    restart_ = true;
    cv_.SignalAll();
  };
  reported_[info.board()] = {board.key, link};
  listener_->OnBoardArrived(std::move(board));
}

void SamnaBus::LeaveAll(const std::string& why) {
  {
    MutexLock lock(&mu_);
    links_.clear();
    pid_ = 0;
  }
  for (const auto& [name, reported] : reported_) {
    if (reported.link != nullptr) reported.link->Gone(why);
    listener_->OnBoardLeft(reported.key, why);
  }
  reported_.clear();
}

void SamnaBus::ReportBridgeProblem(const std::string& why,
                                   absl::Duration retry) {
  Board board;
  board.key = std::string(kBridgeBoardKey);
  board.id_prefix = "samna-bridge";
  board.descriptor.type_name = "samna bridge";
  board.descriptor.backend = Backend::kSamna;
  board.descriptor.driver_detail =
      absl::StrCat("speckd --samna_python=", options_.python);
  board.problem = {
      BoardProblem::Kind::kOpenFailed,
      absl::StrCat(why, "; speckd tries again in ", absl::FormatDuration(retry),
                   " (docs/hardware.md says how to install samna "
                   "for speckd)")};
  listener_->OnBoardArrived(std::move(board));
  problem_reported_ = true;
}

std::string SamnaBus::KeyOf(const bridge::BoardInfo& info) const {
  const std::string ports = PortPath(options_.sysfs_root, info.usb_bus_number(),
                                     info.usb_device_address());
  if (ports.empty()) {
    return absl::StrCat("usb:", info.usb_bus_number(), "#",
                        info.usb_device_address());
  }
  return absl::StrCat("usb:", info.usb_bus_number(), "-", ports);
}

}  // namespace speckd::driver::samna
