// `speckctl sim`: make a simulated devkit misbehave (speckd --sim_faults),
// to see how scripts and dashboards cope.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/output.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

int RunSim(const std::vector<std::string>& args) {
  static const std::pair<const char*, v1::SimulateFaultRequest::Fault>
      kFaults[] = {{"unplug", v1::SimulateFaultRequest::UNPLUG},
                   {"replug", v1::SimulateFaultRequest::REPLUG},
                   {"stall", v1::SimulateFaultRequest::STALL_OUTPUT},
                   {"fill-queue", v1::SimulateFaultRequest::FILL_INPUT_QUEUE},
                   {"jump", v1::SimulateFaultRequest::JUMP_CLOCK},
                   {"burst", v1::SimulateFaultRequest::BURST_OUTPUT},
                   {"wedge", v1::SimulateFaultRequest::WEDGE_THREAD}};
  v1::SimulateFaultRequest request;
  bool known = false;
  for (const auto& [name, fault] : kFaults) {
    if (!args.empty() && args[0] == name) {
      request.set_fault(fault);
      known = true;
    }
  }
  const bool timed = known &&
                     request.fault() != v1::SimulateFaultRequest::UNPLUG &&
                     request.fault() != v1::SimulateFaultRequest::REPLUG;
  if (!known || args.size() != (timed ? 2u : 1u)) {
    return UsageError("sim",
                      "expects unplug, replug, or "
                      "stall|fill-queue|jump|burst|wedge DURATION (e.g. "
                      "500ms)");
  }
  if (timed) {
    absl::Duration d;
    if (!absl::ParseDuration(args[1], &d) || d <= absl::ZeroDuration()) {
      return UsageError(
          "sim",
          absl::StrCat("'", args[1], "' is not a duration (e.g. 500ms, 2s)"));
    }
    request.set_duration_ms(
        static_cast<uint32_t>(absl::ToInt64Milliseconds(d)));
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  request.set_device_id((*client)->device());
  v1::Device device;
  absl::Status status = (*client)->Unary([&](grpc::ClientContext* context) {
    return (*client)->devices().SimulateFault(context, request, &device);
  });
  if (!status.ok()) return Fail(status);
  if ((*client)->options().format == Format::kJson) {
    std::printf("%s\n", ProtoJson(device).c_str());
  } else {
    std::printf(
        "%s: %s%s%s\n", device.id().c_str(),
        absl::AsciiStrToLower(v1::DeviceState_Name(device.state())).c_str(),
        device.state_detail().empty() ? "" : ": ",
        device.state_detail().c_str());
  }
  return kExitOk;
}

}  // namespace

const Command kSimCommand = {
    "sim", "make a simulated devkit misbehave (speckd --sim_faults)",
    "usage: speckctl sim unplug|replug [--device=ID]\n"
    "       speckctl sim stall|fill-queue|jump|burst|wedge DURATION "
    "[--device=ID]\n"
    "\n"
    "Pretends the simulated devkit was pulled out (unplug) or plugged back in\n"
    "(replug), to see how scripts and dashboards recover. On unplug the\n"
    "device goes LOST: its streams deliver what they had, a DEVICE_LOST\n"
    "notice, and end with UNAVAILABLE; writes fail; the lease stays. On\n"
    "replug speckd re-applies its configuration and settings.\n"
    "stall: for DURATION (up to 10s) the device delivers nothing, like a\n"
    "stalled USB link (it stops processing; writers wait). fill-queue: for\n"
    "DURATION its input queue takes nothing (writes wait up to their\n"
    "deadline). jump: its stop watch leaps forward by DURATION. burst: for\n"
    "DURATION it holds its outputs back, then delivers them at once (slow\n"
    "subscribers drop, and say so). wedge: its thread stops dead for\n"
    "DURATION; past speckd's --device_watchdog the device goes LOST and\n"
    "its driver is restarted.\n"
    "Only when speckd runs with --sim_faults, and only for simulated devkits.\n"
    "\n"
    "example:\n"
    "  speckctl sim unplug && speckctl devices && speckctl sim replug\n"
    "  speckctl sim stall 2s\n",
    RunSim};

}  // namespace speckd::cli
