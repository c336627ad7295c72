#include "proto/codec/device_codec.h"

namespace speckd::codec {

namespace v1 = ::speckd::v1;

void ToProto(const driver::DeviceDescriptor& d, v1::Device* out) {
  out->set_id(d.id);
  out->set_type_name(d.type_name);
  out->set_serial_number(d.serial_number);
  switch (d.backend) {
    case driver::Backend::kSim:
      out->set_backend(v1::SIM);
      break;
    case driver::Backend::kUsb:
      out->set_backend(v1::USB);
      break;
    case driver::Backend::kSamna:
      out->set_backend(v1::SAMNA);
      break;
  }
  out->set_driver_detail(d.driver_detail);
  out->set_usb_bus_number(d.usb_bus_number);
  out->set_usb_device_address(d.usb_device_address);
  out->set_usb_port_path(d.usb_port_path);
  out->set_usb_speed(d.usb_speed);
  out->set_usb_vendor_id(d.usb_vendor_id);
  out->set_usb_product_id(d.usb_product_id);
  out->set_manufacturer(d.manufacturer);
  out->set_product(d.product);
  out->set_logic_version(d.logic_version);
}

void ToProto(const driver::StopWatchState& state, v1::StopWatch* out) {
  out->set_enabled(state.enabled);
  out->set_time_us(state.time_us);
  out->set_epoch(state.epoch);
}

void ToProto(const driver::SlowClockState& state, v1::SlowClock* out) {
  out->set_enabled(state.enabled);
  out->set_rate_hz(state.rate_hz);
}

void ToProto(const driver::DeviceCounters& counters, v1::Device* out) {
  out->set_events_in(counters.events_in);
  out->set_events_out(counters.events_out);
  out->clear_core_spikes_out();
  for (uint64_t n : counters.core_spikes_out) out->add_core_spikes_out(n);
  out->set_dvs_monitor_out(counters.dvs_monitor_out);
  out->set_readout_out(counters.readout_out);
  out->set_queued_inputs(counters.queued_inputs);
  out->set_late_inputs(counters.late_inputs);
  out->set_synops(counters.synops);
  out->set_cascade_overflow(counters.cascade_overflow);
  out->set_dropped_inputs(counters.dropped_inputs);
  out->set_dropped_outputs(counters.dropped_outputs);
}

v1::DeviceProblem ToProto(driver::BoardProblem::Kind kind) {
  switch (kind) {
    case driver::BoardProblem::Kind::kNone:
      return v1::PROBLEM_NONE;
    case driver::BoardProblem::Kind::kPermissionDenied:
      return v1::PERMISSION_DENIED;
    case driver::BoardProblem::Kind::kNeedsFirmware:
      return v1::NEEDS_FIRMWARE;
    case driver::BoardProblem::Kind::kNoProtocolDriver:
      return v1::NO_PROTOCOL_DRIVER;
    case driver::BoardProblem::Kind::kUnknownBoard:
      return v1::UNKNOWN_BOARD;
    case driver::BoardProblem::Kind::kBusy:
      return v1::BUSY;
    case driver::BoardProblem::Kind::kOpenFailed:
      return v1::OPEN_FAILED;
  }
  return v1::PROBLEM_NONE;
}

v1::Pacing ToProto(driver::Pacing pacing) {
  return pacing == driver::Pacing::kRealTime ? v1::REAL_TIME
                                             : v1::AS_FAST_AS_POSSIBLE;
}

driver::Pacing PacingFromProto(v1::Pacing pacing) {
  return pacing == v1::AS_FAST_AS_POSSIBLE ? driver::Pacing::kAsFastAsPossible
                                           : driver::Pacing::kRealTime;
}

}  // namespace speckd::codec
