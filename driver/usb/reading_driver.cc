#include "driver/usb/reading_driver.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "driver/sim/sim_device.h"

namespace speckd::driver::usb::testing {
namespace {

// The board's Device: the simulated chip (what it computes is not the point
// here) plus the reader thread on the claimed handle.
class ReadingDevice final : public Device {
 public:
  ReadingDevice(std::unique_ptr<UsbHandle> handle, DeviceDescriptor descriptor,
                Reads* reads)
      : handle_(std::move(handle)),
        sim_(sim::NewSimDevice(0)),
        descriptor_(std::move(descriptor)),
        reads_(reads) {
    reader_ = std::thread([this] { Read(); });
  }
  ~ReadingDevice() override {
    stop_.store(true);
    reader_.join();
  }
  const DeviceDescriptor& descriptor() const override { return descriptor_; }
  void SetOutputListener(OutputListener* l) override {
    sim_->SetOutputListener(l);
  }
  absl::Status ApplyConfiguration(const chip::SpeckConfig& c) override {
    return sim_->ApplyConfiguration(c);
  }
  std::shared_ptr<const chip::SpeckConfig> configuration() const override {
    return sim_->configuration();
  }
  absl::Status Write(std::vector<chip::InputEvent> e, absl::Time d) override {
    return sim_->Write(std::move(e), d);
  }
  void Flush() override { sim_->Flush(); }
  absl::StatusOr<uint64_t> CancelInputs() override {
    return sim_->CancelInputs();
  }
  bool WaitUntilIdle(absl::Duration t) override {
    return sim_->WaitUntilIdle(t);
  }
  absl::StatusOr<StopWatchState> SetStopWatch(std::optional<bool> e,
                                              bool r) override {
    return sim_->SetStopWatch(e, r);
  }
  StopWatchState stop_watch() const override { return sim_->stop_watch(); }
  absl::Status SetSlowClock(bool e, double r) override {
    return sim_->SetSlowClock(e, r);
  }
  SlowClockState slow_clock() const override { return sim_->slow_clock(); }
  absl::Status SetPacing(Pacing p) override { return sim_->SetPacing(p); }
  Pacing pacing() const override { return sim_->pacing(); }
  absl::Status SetPowerMonitorRate(double r) override {
    return sim_->SetPowerMonitorRate(r);
  }
  double power_monitor_rate() const override {
    return sim_->power_monitor_rate();
  }
  absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const NeuronAddress> n,
      std::vector<NeuronAddress>* a) override {
    return sim_->ReadNeurons(layer, n, a);
  }
  absl::Status WriteNeurons(int layer, absl::Span<const NeuronAddress> n,
                            absl::Span<const int16_t> v) override {
    return sim_->WriteNeurons(layer, n, v);
  }
  DeviceCounters counters() const override { return sim_->counters(); }
  void Ping(std::function<void()> pong) override {
    sim_->Ping(std::move(pong));
  }

 private:
  void Read() {
    while (!stop_.load()) {
      std::vector<uint8_t> buffer(512);
      const absl::Time start = absl::Now();
      absl::StatusOr<size_t> got =
          handle_->BulkIn(0x81, &buffer, absl::Milliseconds(300));
      MutexLock lock(&reads_->mu);
      reads_->results.push_back(got.status());
      reads_->took.push_back(absl::Now() - start);
      reads_->changed.SignalAll();
    }
  }

  std::unique_ptr<UsbHandle> handle_;
  std::unique_ptr<Device> sim_;
  const DeviceDescriptor descriptor_;
  Reads* const reads_;
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Device>> ReadingDriver::Open(
    std::unique_ptr<UsbHandle> handle, const DeviceDescriptor& descriptor) {
  {
    MutexLock lock(&reads_->mu);
    ++reads_->opened;
  }
  return std::make_unique<ReadingDevice>(std::move(handle), descriptor, reads_);
}

std::string PendingInCapture() {
  const std::string path =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/pending-in.pcap");
  std::string bytes;
  auto put = [&](const void* p, size_t n) {
    bytes.append(static_cast<const char*>(p), n);
  };
  const uint32_t global[] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 220};
  put(global, sizeof(global));
  unsigned char usb[64] = {};
  usb[8] = 'S';    // submit
  usb[9] = 3;      // bulk
  usb[10] = 0x81;  // IN 1
  usb[11] = 3;     // device 3
  usb[12] = 2;     // bus 2
  usb[14] = '-';
  usb[15] = '<';  // no data
  const int32_t in_progress = -115;
  std::memcpy(usb + 28, &in_progress, 4);
  const uint32_t length = 512;
  std::memcpy(usb + 32, &length, 4);
  const uint32_t record[] = {1, 0, sizeof(usb), sizeof(usb)};
  put(record, sizeof(record));
  put(usb, sizeof(usb));
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace speckd::driver::usb::testing
