#include "driver/usb/usb_bus.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace speckd::driver::usb {
namespace {

// How long the event thread waits in libusb before checking for a stop.
constexpr int kEventWaitMs = 100;

std::string UserName() {
  const passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : absl::StrCat("uid ", geteuid());
}

bool InGroup(const char* name) {
  const group* g = getgrnam(name);
  if (g == nullptr) return false;
  if (getegid() == g->gr_gid) return true;
  gid_t groups[256];
  const int n = getgroups(256, groups);
  return std::find(groups, groups + std::max(n, 0), g->gr_gid) !=
         groups + std::max(n, 0);
}

std::string SpeedName(int speed) {
  switch (speed) {
    case LIBUSB_SPEED_LOW:
      return "low";
    case LIBUSB_SPEED_FULL:
      return "full";
    case LIBUSB_SPEED_HIGH:
      return "high";
    case LIBUSB_SPEED_SUPER:
      return "super";
    case LIBUSB_SPEED_SUPER_PLUS:
      return "super-plus";
    default:
      return "";
  }
}

// "1.3": the hub ports from the root, as sysfs names the device "2-1.3".
std::string PortPath(libusb_device* device) {
  uint8_t ports[8];
  const int n = libusb_get_port_numbers(device, ports, 8);
  std::vector<int> path(ports, ports + std::max(n, 0));
  return absl::StrJoin(path, ".");
}

// A text attribute of the device in sysfs (the kernel reads the string
// descriptors at enumeration, so this needs no access to the device).
std::string SysfsString(const std::string& root, int bus,
                        const std::string& ports, const char* name) {
  std::ifstream in(
      absl::StrCat(root, "/bus/usb/devices/", bus, "-", ports, "/", name));
  std::string value;
  std::getline(in, value);
  return std::string(absl::StripAsciiWhitespace(value));
}

std::string DescriptorString(libusb_device_handle* handle, uint8_t index) {
  if (index == 0) return "";
  unsigned char text[256];
  const int n =
      libusb_get_string_descriptor_ascii(handle, index, text, sizeof(text));
  return n > 0 ? std::string(reinterpret_cast<char*>(text), n) : "";
}

}  // namespace

std::string PermissionHint(int bus, int address) {
  const std::string node =
      absl::StrFormat("/dev/bus/usb/%03d/%03d", bus, address);
  const std::string user = UserName();
  std::string fix;
  if (user == "speckd") {
    fix =
        "the speckd service needs group speck: run sudo "
        "deploy/install-service.sh (installs /etc/udev/rules.d/60-speckd.rules "
        "and SupplementaryGroups=speck), then unplug and replug the board";
  } else if (InGroup("speck")) {
    fix =
        "you are in group speck, so the udev rule is missing or was added "
        "after the board: run sudo deploy/install-udev-rule.sh, then unplug "
        "and replug the board";
  } else {
    fix = absl::StrCat(
        "install the udev rule (sudo deploy/install-udev-rule.sh) and add ",
        user, " to group speck (sudo usermod -aG speck ", user,
        ", then log in again), then unplug and replug the board");
  }
  return absl::StrCat("permission denied on ", node, " (speckd runs as ", user,
                      "): ", fix, "; speckctl doctor checks each step");
}

UsbBus::UsbBus(UsbBusOptions options, BoardListener* listener)
    : options_(std::move(options)), listener_(listener) {}

absl::StatusOr<std::unique_ptr<UsbBus>> UsbBus::Start(UsbBusOptions options,
                                                      BoardListener* listener) {
  std::unique_ptr<UsbBus> bus(new UsbBus(std::move(options), listener));
  if (absl::Status s = bus->Init(); !s.ok()) return s;
  return bus;
}

absl::Status UsbBus::Init() {
  if (int r = libusb_init(&context_); r != 0) {
    context_ = nullptr;
    return absl::UnavailableError(
        absl::StrCat("libusb cannot start: ", libusb_error_name(r)));
  }
  shared_context_ = std::shared_ptr<libusb_context>(context_, libusb_exit);
  worker_ = std::thread([this] { WorkLoop(); });
  hotplug_ = libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) != 0;
  std::vector<Event> present;
  if (hotplug_) {
    {
      MutexLock lock(&mu_);
      enumerating_ = true;
    }
    // ENUMERATE reports the devices already present, from within this call.
    const int r = libusb_hotplug_register_callback(
        context_,
        static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                          LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
        LIBUSB_HOTPLUG_ENUMERATE, LIBUSB_HOTPLUG_MATCH_ANY,
        LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, &UsbBus::OnHotplug,
        this, &callback_);
    MutexLock lock(&mu_);
    enumerating_ = false;
    present.swap(present_);
    if (r != 0) hotplug_ = false;
  }
  if (!hotplug_) {
    libusb_device** list = nullptr;
    const ssize_t n = libusb_get_device_list(context_, &list);
    for (ssize_t i = 0; i < n; ++i) {
      present.push_back({true, libusb_ref_device(list[i])});
    }
    if (list != nullptr) libusb_free_device_list(list, /*unref=*/1);
  }
  // Ranks follow USB addresses among the boards present at start.
  std::sort(present.begin(), present.end(), [](const Event& a, const Event& b) {
    return std::make_pair(libusb_get_bus_number(a.device),
                          libusb_get_device_address(a.device)) <
           std::make_pair(libusb_get_bus_number(b.device),
                          libusb_get_device_address(b.device));
  });
  {
    MutexLock lock(&mu_);
    for (Event& e : present) queue_.push_back(e);
    work_cv_.SignalAll();
  }
  events_ = std::thread([this] { EventLoop(); });
  return absl::OkStatus();
}

UsbBus::~UsbBus() {
  if (context_ == nullptr) return;
  stopping_.store(true);
  if (hotplug_) libusb_hotplug_deregister_callback(context_, callback_);
  libusb_interrupt_event_handler(context_);
  if (events_.joinable()) events_.join();
  {
    MutexLock lock(&mu_);
    stop_ = true;
    work_cv_.SignalAll();
  }
  worker_.join();
  {
    MutexLock lock(&mu_);
    for (Event& e : queue_) libusb_unref_device(e.device);
  }
  for (auto& [device, key] : reported_) libusb_unref_device(device);
  // libusb_exit once no driver holds a handle either.
  shared_context_.reset();
}

int LIBUSB_CALL UsbBus::OnHotplug(libusb_context*, libusb_device* device,
                                  libusb_hotplug_event event, void* self) {
  // libusb's thread: queue it for the worker, which may open the device.
  static_cast<UsbBus*>(self)->Push(
      {event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED,
       libusb_ref_device(device)});
  return 0;  // stay registered
}

void UsbBus::Push(Event event) {
  MutexLock lock(&mu_);
  if (enumerating_) {
    present_.push_back(event);
    return;
  }
  queue_.push_back(event);
  work_cv_.SignalAll();
}

void UsbBus::EventLoop() {
  while (!stopping_.load()) {
    timeval wait = {0, kEventWaitMs * 1000};
    libusb_handle_events_timeout_completed(context_, &wait, nullptr);
  }
}

void UsbBus::WorkLoop() {
  MutexLock lock(&mu_);
  while (true) {
    while (!stop_ && queue_.empty()) work_cv_.Wait(&mu_);
    if (stop_) return;
    Event event = queue_.front();
    queue_.pop_front();
    busy_ = true;
    mu_.Unlock();
    if (event.arrived) {
      Arrived(event.device);
    } else {
      Left(event.device);
    }
    mu_.Lock();
    busy_ = false;
    work_cv_.SignalAll();
  }
}

bool UsbBus::WaitUntilSettled(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&mu_);
  while (busy_ || !queue_.empty()) {
    if (work_cv_.WaitWithDeadline(&mu_, deadline)) return false;
  }
  return true;
}

void UsbBus::Arrived(libusb_device* device) {
  libusb_device_descriptor d;
  std::optional<BoardKind> kind;
  if (libusb_get_device_descriptor(device, &d) == 0) {
    kind = options_.ids.Classify(d.idVendor, d.idProduct);
  }
  if (!kind.has_value() || reported_.count(device) > 0) {
    libusb_unref_device(device);
    return;
  }
  const int bus = libusb_get_bus_number(device);
  const int address = libusb_get_device_address(device);
  const std::string ports = PortPath(device);
  Board board;
  board.key = ports.empty() ? absl::StrCat("usb:", bus, "#", address)
                            : absl::StrCat("usb:", bus, "-", ports);
  DeviceDescriptor& desc = board.descriptor;
  desc.backend = Backend::kUsb;
  desc.usb_bus_number = bus;
  desc.usb_device_address = address;
  desc.usb_port_path = ports;
  desc.usb_speed = SpeedName(libusb_get_device_speed(device));
  desc.usb_vendor_id = d.idVendor;
  desc.usb_product_id = d.idProduct;
  desc.manufacturer =
      SysfsString(options_.sysfs_root, bus, ports, "manufacturer");
  desc.product = SysfsString(options_.sysfs_root, bus, ports, "product");
  desc.serial_number = SysfsString(options_.sysfs_root, bus, ports, "serial");
  const std::string where = absl::StrFormat(
      "%04x:%04x on USB bus %d port %s", d.idVendor, d.idProduct, bus, ports);
  switch (*kind) {
    case BoardKind::kSpeck2eDevKit:
      board.id_prefix = "speck2edevkit";
      desc.type_name = "Speck2eDevKit";
      Probe(device, *kind, &board);
      break;
    case BoardKind::kFx3Boot:
      board.id_prefix = "fx3";
      desc.type_name = "FX3 without firmware";
      board.problem = {
          BoardProblem::Kind::kNeedsFirmware,
          absl::StrCat("a Cypress FX3 in its boot loader (", where,
                       "): the board has no firmware; flash it with "
                       "SynSense's tools (samna's flasher), then replug it")};
      break;
    case BoardKind::kSynSenseBoard:
      board.id_prefix = "synsense";
      desc.type_name =
          absl::StrFormat("SynSense board (product 0x%04x)", d.idProduct);
      board.problem = {
          BoardProblem::Kind::kUnknownBoard,
          absl::StrFormat(
              "a SynSense board speckd does not know (%s); if it is a Speck2e "
              "devkit, start speckd with --usb_ids=%04x:%04x=speck2edevkit",
              where, d.idVendor, d.idProduct)};
      break;
  }
  reported_[device] = board.key;
  listener_->OnBoardArrived(std::move(board));
}

void UsbBus::Probe(libusb_device* device, BoardKind kind, Board* board) {
  DeviceDescriptor& desc = board->descriptor;
  if (!options_.open_boards) {
    board->problem = {BoardProblem::Kind::kNoProtocolDriver,
                      "listed only: speckd leaves the board to samna, its "
                      "only opener"};
    return;
  }
  libusb_device_handle* handle = nullptr;
  if (int r = libusb_open(device, &handle); r != 0) {
    if (r == LIBUSB_ERROR_ACCESS) {
      board->problem = {
          BoardProblem::Kind::kPermissionDenied,
          PermissionHint(desc.usb_bus_number, desc.usb_device_address)};
    } else {
      board->problem = {
          BoardProblem::Kind::kOpenFailed,
          absl::StrCat("cannot open the board: ", libusb_error_name(r),
                       "; unplug and replug it")};
    }
    return;
  }
  libusb_device_descriptor d;
  if (libusb_get_device_descriptor(device, &d) == 0) {
    if (desc.manufacturer.empty()) {
      desc.manufacturer = DescriptorString(handle, d.iManufacturer);
    }
    if (desc.product.empty())
      desc.product = DescriptorString(handle, d.iProduct);
    if (desc.serial_number.empty()) {
      desc.serial_number = DescriptorString(handle, d.iSerialNumber);
    }
  }
  Handover(handle, kind, board);
}

void UsbBus::Handover(libusb_device_handle* handle, BoardKind kind,
                      Board* board) {
  DeviceDescriptor& desc = board->descriptor;
  if (int r = libusb_claim_interface(handle, 0); r != 0) {
    libusb_close(handle);
    board->problem =
        r == LIBUSB_ERROR_BUSY
            ? BoardProblem{BoardProblem::Kind::kBusy,
                           "another program has claimed the board (samna, "
                           "or a second speckd): close it, then unplug and "
                           "replug the board"}
            : BoardProblem{BoardProblem::Kind::kOpenFailed,
                           absl::StrCat("cannot claim the board's interface: ",
                                        libusb_error_name(r))};
    return;
  }
  std::vector<uint8_t> endpoints;
  libusb_config_descriptor* config = nullptr;
  if (libusb_get_active_config_descriptor(libusb_get_device(handle), &config) ==
          0 &&
      config->bNumInterfaces > 0 && config->interface[0].num_altsetting > 0) {
    const libusb_interface_descriptor& alt = config->interface[0].altsetting[0];
    for (int i = 0; i < alt.bNumEndpoints; ++i) {
      endpoints.push_back(alt.endpoint[i].bEndpointAddress);
    }
  }
  if (config != nullptr) libusb_free_config_descriptor(config);
  auto claimed = std::make_unique<UsbHandle>(handle, 0, std::move(endpoints),
                                             shared_context_);
  for (ProtocolDriver* driver : options_.drivers) {
    if (!driver->Accepts(kind, desc.usb_vendor_id, desc.usb_product_id)) {
      continue;
    }
    absl::StatusOr<std::unique_ptr<Device>> device =
        driver->Open(std::move(claimed), desc);
    if (device.ok()) {
      board->device = *std::move(device);
      return;
    }
    board->problem = {BoardProblem::Kind::kOpenFailed,
                      absl::StrCat("the ", driver->name(),
                                   " driver could not start the board: ",
                                   device.status().message())};
    return;
  }
  // Released and closed: another program may use it.
  claimed.reset();
  board->problem = {
      BoardProblem::Kind::kNoProtocolDriver,
      "speckd found the board but has no driver for its USB protocol, which "
      "SynSense has not published; drive it with samna for now "
      "(docs/hardware.md: the samna bridge, and how to record the protocol "
      "so speckd can learn it)"};
}

void UsbBus::Left(libusb_device* device) {
  auto it = reported_.find(device);
  if (it != reported_.end()) {
    const std::string key = it->second;
    libusb_unref_device(it->first);
    reported_.erase(it);
    listener_->OnBoardLeft(key, "unplugged");
  }
  libusb_unref_device(device);
}

}  // namespace speckd::driver::usb
