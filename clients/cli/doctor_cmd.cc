// `speckctl doctor`: checks, in order, everything between a user and a
// working device, and says what to do about each problem: the daemon and
// what it reports about its devices, the boards on this machine and their
// permissions, the udev rule and group, the service, samna for the bridge.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/doctor.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

// The first line a command prints (stdout and stderr), or "" if it cannot
// run; bounded by `timeout` seconds.
std::string FirstLine(const std::string& command, int timeout_s,
                      int* exit_code) {
  const std::string run =
      absl::StrCat("timeout ", timeout_s, " ", command, " 2>&1");
  FILE* out = popen(run.c_str(), "r");
  if (out == nullptr) return "";
  char buffer[512];
  std::string line;
  if (fgets(buffer, sizeof(buffer), out) != nullptr) line = buffer;
  while (fgets(buffer, sizeof(buffer), out) != nullptr) {
  }
  const int status = pclose(out);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return std::string(absl::StripTrailingAsciiWhitespace(line));
}

std::vector<Finding> CheckDaemon(std::vector<v1::Device>* devices) {
  absl::StatusOr<GlobalOptions> options = GlobalOptionsFromFlags();
  if (!options.ok())
    return {{Finding::Level::kFail, std::string(options.status().message())}};
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(*options);
  if (!client.ok()) {
    return {{Finding::Level::kFail, std::string(client.status().message())}};
  }
  v1::ListDevicesResponse list;
  absl::Status status = (*client)->Unary([&](grpc::ClientContext* context) {
    return (*client)->devices().ListDevices(context, v1::ListDevicesRequest(),
                                            &list);
  });
  if (!status.ok())
    return {{Finding::Level::kFail, std::string(status.message())}};
  std::vector<Finding> found = {
      {Finding::Level::kOk,
       absl::StrCat("speckd answers at ", (*client)->address())}};
  for (const v1::Device& d : list.devices()) {
    devices->push_back(d);
    const std::string state =
        absl::AsciiStrToLower(v1::DeviceState_Name(d.state()));
    const std::string head = absl::StrCat(
        d.id(), " (", absl::AsciiStrToLower(v1::Backend_Name(d.backend())),
        "): ", state);
    if (d.state() == v1::UNUSABLE) {
      found.push_back(
          {Finding::Level::kFail, absl::StrCat(head, ": ", d.state_detail())});
    } else if (d.state() == v1::LOST) {
      found.push_back(
          {Finding::Level::kWarn, absl::StrCat(head, ": ", d.state_detail())});
    } else {
      found.push_back({Finding::Level::kOk, head});
    }
  }
  return found;
}

std::vector<Finding> CheckService() {
  int code = 0;
  // sd_booted(3): systemd runs this machine.
  if (access("/run/systemd/system", F_OK) != 0) {
    return {{Finding::Level::kInfo,
             "systemd is not running here: speckd runs by hand "
             "(deploy/run.sh), not as a service"}};
  }
  const std::string active =
      FirstLine("systemctl is-active speckd.service", 5, &code);
  if (active == "inactive" || active == "unknown" || active.empty()) {
    const std::string loaded = FirstLine(
        "systemctl show -p LoadState --value speckd.service", 5, &code);
    if (loaded == "not-found") {
      return {
          {Finding::Level::kInfo,
           "speckd is not installed as a service (deploy/install-service.sh "
           "installs it, with the udev rule and group speck)"}};
    }
  }
  if (active == "active") {
    std::vector<Finding> found = {
        {Finding::Level::kOk, "the speckd service is active"}};
    const std::string groups = FirstLine("id -nG speckd", 5, &code);
    if (code == 0 &&
        !absl::StrContains(absl::StrCat(" ", groups, " "), " speck ")) {
      found.push_back({Finding::Level::kFail,
                       "the service user speckd is not in group speck, so it "
                       "cannot open boards: rerun sudo "
                       "deploy/install-service.sh"});
    }
    return found;
  }
  return {{Finding::Level::kWarn,
           absl::StrCat("the speckd service is ", active,
                        ": see systemctl status speckd and journalctl -u "
                        "speckd -n 50")}};
}

// The Pythons speckd --samna_python=auto tries first, then PATH's.
Finding CheckSamna() {
  for (const std::string python : {"/opt/samna/bin/python3", "python3"}) {
    int code = 0;
    const std::string version = FirstLine(
        absl::StrCat(python,
                     " -c 'import samna; print(getattr(samna, \"__version__\", "
                     "\"(version unknown)\"))' 2>/dev/null"),
        20, &code);
    if (code == 0) {
      return {
          Finding::Level::kOk,
          absl::StrCat("samna ", version, " is importable by ", python,
                       ": speckd --samna_python=", python,
                       " drives real boards through it (docs/hardware.md)")};
    }
  }
  return {Finding::Level::kInfo,
          "samna is not importable (by /opt/samna/bin/python3 or python3): to "
          "drive a real devkit, install it (python3 -m venv /opt/samna && "
          "/opt/samna/bin/pip install samna protobuf) and start speckd with "
          "--samna_python=/opt/samna/bin/python3 (docs/hardware.md)"};
}

void Print(const std::string& section, const std::vector<Finding>& found,
           int* failures) {
  std::printf("%s\n", section.c_str());
  for (const Finding& f : found) {
    std::printf("  %s %s\n", LevelTag(f.level), f.text.c_str());
    if (f.level == Finding::Level::kFail) ++*failures;
  }
}

int RunDoctor(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("doctor", "takes no arguments");
  int failures = 0;
  std::vector<v1::Device> devices;
  Print("daemon", CheckDaemon(&devices), &failures);
  const Machine machine = ThisMachine();
  std::vector<Finding> usb = CheckUsbAccess(machine);
  Print("usb on this machine", usb, &failures);
  Print("udev rule and group", CheckUdevRule(machine, BoardsIn(usb)),
        &failures);
  Print("service", CheckService(), &failures);
  Print("samna", {CheckSamna()}, &failures);
  if (failures == 0) {
    std::printf("doctor: no problems found\n");
    return kExitOk;
  }
  std::printf("doctor: %d problem%s (FAIL lines say what to do)\n", failures,
              failures == 1 ? "" : "s");
  return kExitFailure;
}

}  // namespace

const Command kDoctorCommand = {
    "doctor", "check what stands between you and a working board",
    "usage: speckctl doctor [--server=HOST:PORT]\n"
    "\n"
    "Checks, and explains in plain words: whether speckd answers and what it\n"
    "says about each device (lost, unusable and why); the SynSense boards\n"
    "plugged into this machine and whether you may open them (node owner,\n"
    "group, mode); the udev rule and group speck; the speckd service; and\n"
    "whether python3 can import samna. Each FAIL line says what to do. Exit\n"
    "code 1 when something fails. The USB checks look at the machine\n"
    "speckctl runs on.\n"
    "\n"
    "example:\n"
    "  speckctl doctor\n",
    RunDoctor};

}  // namespace speckd::cli
