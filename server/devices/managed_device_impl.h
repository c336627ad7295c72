// ManagedDeviceImpl: the ManagedDevice of one board (simulated or hardware),
// for the daemon's life. It composes the pieces that each do one job:
//
//   ControlLease  who may change the device (lease.h)
//   InputWriter   writes into the device off the gRPC threads (input_writer.h)
//   GraphSet      the graphs, owned by the device thread (graph_set.h)
//
// and adds the state machine, the configuration cache, notices and the
// device_sink input. It is the attached device's output listener.
//
// The board's driver::Device comes and goes: Detach() (unplugged) ends the
// device's streams with a DEVICE_LOST notice and keeps the lease, the graphs,
// the configuration and the settings; Attach() (back, or first seen) re-applies
// them to the new Device. A board that cannot be driven is attached without
// a Device, as UNUSABLE with its problem. With a watchdog, a Device that stops
// answering is abandoned the same way and its board's driver restarted
// (managed_device_attach.cc holds this life cycle).
//
//   ManagedDeviceImpl dev(sim::NewSimDevice(options), clock, {});
//   dev.Detach("unplugged");
//   dev.Attach(std::move(board));        // same board, new driver::Device
#ifndef SPECKD_SERVER_DEVICES_MANAGED_DEVICE_IMPL_H_
#define SPECKD_SERVER_DEVICES_MANAGED_DEVICE_IMPL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "driver/board.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/util/mutex.h"
#include "server/devices/config_store.h"
#include "server/devices/device_watchdog.h"
#include "server/devices/graph_set.h"
#include "server/devices/input_writer.h"
#include "server/devices/lease.h"
#include "server/devices/managed_device.h"

namespace speckd::server {

struct ManagedDeviceOptions {
  GraphSetOptions graphs;
  InputWriterOptions writer;
  // How long a device may leave a ping unanswered before it is taken for
  // wedged (DeviceWatchdog); zero turns the watchdog off.
  absl::Duration watchdog = absl::ZeroDuration();
  // Where each board's last applied configuration is kept, and put back from
  // when the board is first attached; null: nowhere (tests, hand-run
  // daemons unless asked).
  std::shared_ptr<const ConfigStore> configs;
};

class ManagedDeviceImpl final : public ManagedDevice,
                                public driver::OutputListener,
                                public graph::InputSink {
 public:
  // A board not attached yet (ABSENT) with id `id`; `clock` times leases,
  // idleness and write deadlines, and must outlive this.
  ManagedDeviceImpl(std::string id, driver::Clock* clock,
                    const ManagedDeviceOptions& options);
  // Attached to `device` at once, with the device's own id.
  ManagedDeviceImpl(std::unique_ptr<driver::Device> device,
                    driver::Clock* clock, const ManagedDeviceOptions& options);
  // Shutdown(), then destroys the device.
  ~ManagedDeviceImpl() override;

  // The board is present: with a Device, re-applies the configuration and
  // settings it had before (logged; a failure leaves it READY and says why in
  // state_detail); without one, UNUSABLE with `board.problem`.
  void Attach(driver::Board board);
  // The board went away: LOST with `why`. Drops what is queued (counted),
  // ends the device's streams after a DEVICE_LOST notice, keeps the lease
  // (its holder may renew it meanwhile), graphs, configuration and settings.
  void Detach(const std::string& why);

  // Refuses new calls (UNAVAILABLE), drops what is queued, stops the writer
  // and detaches from the device. Idempotent; not concurrently with itself.
  void Shutdown();

  const std::string& id() const override { return id_; }
  DeviceSnapshot Snapshot() const override;

  absl::StatusOr<LeaseInfo> AcquireLease(const std::string& holder,
                                         absl::Duration ttl) override;
  absl::StatusOr<LeaseInfo> TakeOverLease(const std::string& holder,
                                          absl::Duration ttl) override;
  absl::StatusOr<LeaseInfo> RenewLease(const std::string& lease_id) override;
  absl::Status ReleaseLease(const std::string& lease_id) override;
  absl::Status CheckLease(const std::string& lease_id) const override;

  absl::StatusOr<chip::ValidationReport> ApplyConfiguration(
      const chip::SpeckConfig& config, const std::string& lease_id) override;
  bool configured() const override;
  std::shared_ptr<const chip::SpeckConfig> configuration() const override;

  absl::StatusOr<driver::StopWatchState> SetStopWatch(
      const std::string& lease_id, std::optional<bool> enable,
      bool reset) override;
  absl::StatusOr<driver::SlowClockState> SetSlowClock(
      const std::string& lease_id, bool enable, double rate_hz) override;
  absl::StatusOr<driver::Pacing> SetPacing(const std::string& lease_id,
                                           driver::Pacing pacing) override;
  absl::StatusOr<double> SetPowerMonitorRate(const std::string& lease_id,
                                             double rate_hz) override;
  absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const driver::NeuronAddress> neurons,
      std::vector<driver::NeuronAddress>* addresses) override;
  absl::Status WriteNeurons(const std::string& lease_id, int layer,
                            absl::Span<const driver::NeuronAddress> neurons,
                            absl::Span<const int16_t> values) override;

  absl::Status SubmitWrite(const std::string& lease_id, WriteJob job) override;
  absl::StatusOr<Cancelled> CancelInputs(const std::string& lease_id) override;
  bool WaitUntilIdle(absl::Duration timeout) override;

  absl::Status AddGraph(const std::string& graph_id,
                        std::unique_ptr<graph::Graph> graph,
                        std::shared_ptr<const chip::SpeckConfig> config,
                        GraphOwner owner, bool running) override;
  absl::Status CheckGraphAccess(const std::string& graph_id,
                                const std::string& lease_id) const override;
  absl::Status SetGraphRunning(const std::string& graph_id,
                               bool running) override;
  absl::Status RemoveGraph(const std::string& graph_id) override;
  absl::StatusOr<GraphInfo> GetGraph(
      const std::string& graph_id) const override;
  bool HasGraph(absl::string_view graph_id) const override;
  std::vector<GraphInfo> ListGraphs(bool include_internal) const override;
  absl::Status AttachEndpoint(
      const std::string& graph_id, const std::string& node,
      std::shared_ptr<graph::EndpointSink> sink) override;

  graph::InputSink* input() override { return this; }
  InputTap* input_tap() override { return &input_tap_; }
  void SetNoticeSink(NoticeSink* sink) override;
  void SetChangeCallback(std::function<void()> callback) override;
  bool Housekeeping() override;

  // driver::OutputListener: the device thread delivers output here.
  void OnOutput(const driver::DeviceOutput& output) override;

  // graph::InputSink: device_sink nodes write here (never blocking).
  absl::StatusOr<uint64_t> Write(absl::Span<const chip::InputEvent> events,
                                 const std::string& lease_id) override;

 private:
  // What Attach restores on a new Device; also shown while the board is away.
  struct Settings {
    driver::StopWatchState stop_watch;
    driver::SlowClockState slow_clock;
    driver::Pacing pacing = driver::Pacing::kRealTime;
    double power_monitor_rate_hz = 0;
  };
  // The settings at the watchdog's last answer (noted on the device thread):
  // what a restarted driver gets back, without asking the wedged one.
  struct LastSettings {
    Mutex mu;  // a leaf
    Settings settings ABSL_GUARDED_BY(mu);
  };
  // A driver::Device, the writer feeding it and the watchdog minding it;
  // replaced when the board returns. Shared so that a call in progress keeps
  // what it uses alive. It is the device's output listener, so that outputs
  // of an abandoned (wedged) device are dropped, never mixed with those of
  // its successor.
  struct Attachment final : driver::OutputListener {
    explicit Attachment(ManagedDeviceImpl* owner) : owner(owner) {}
    void OnOutput(const driver::DeviceOutput& output) override {
      if (!abandoned.load()) owner->OnOutput(output);
    }
    ManagedDeviceImpl* const owner;
    std::unique_ptr<driver::Device> device;
    std::unique_ptr<InputWriter> writer;
    std::unique_ptr<DeviceWatchdog> watchdog;  // null: off
    std::shared_ptr<LastSettings> last_settings;
    // Asks the backend for a fresh driver (Board::restart); may be null.
    std::function<void()> restart;
    std::atomic<bool> abandoned{false};
  };

  // OK, or UNAVAILABLE once the device is shutting down.
  absl::Status Serving() const;
  // The attached device, or why there is none (UNAVAILABLE while lost,
  // FAILED_PRECONDITION with the problem while unusable).
  absl::StatusOr<std::shared_ptr<Attachment>> Using() const;
  // Using(), after checking the lease.
  absl::StatusOr<std::shared_ptr<Attachment>> Controlling(
      const std::string& lease_id) const;
  std::shared_ptr<Attachment> attached() const;
  static Settings SettingsOf(const driver::Device& device);
  // Puts `settings` and the configuration (if one was applied) on a new
  // device; what could not be restored, or empty.
  // The saved configuration of the board, applied to a newly attached
  // device; what went wrong, or "" (also when nothing was saved).
  std::string RestoreSaved(driver::Device* device, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  std::string Restore(driver::Device* device, const Settings& settings)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  // Stops `gone` (its queued inputs dropped and counted) and keeps its
  // counters and settings.
  void Retire(Attachment* gone, absl::string_view why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_mu_);
  // Housekeeping: pings the attached device; abandons it once wedged.
  void MindWatchdog();
  // The wedged `gone` is detached at once (LOST, streams told) without
  // waiting for it; a reaper thread asks the backend for a fresh driver,
  // then stops `gone` once its thread returns and keeps its counters.
  void Abandon(std::shared_ptr<Attachment> gone, absl::Duration waited);
  void Reap(std::shared_ptr<Attachment> gone, const std::string& why);
  static void AddCounters(const driver::DeviceCounters& from,
                          driver::DeviceCounters* to);
  void NotifyChanged();
  void MarkWritten();
  // Device thread: the notices `output` carries, to the notice sink.
  void Announce(const driver::DeviceOutput& output);
  void SendDeviceNotice(const Notice& notice);

  const std::string id_;
  driver::Clock* const clock_;
  const ManagedDeviceOptions options_;
  ControlLease lease_;
  GraphSet graphs_;
  InputTap input_tap_;
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;  // Shutdown()'s own

  // Locks, in the order they may nest (each one's holder takes only those
  // after it):
  //   control_mu_ held through a change of the device (apply, the controls,
  //               attach and detach), so a returning board is restored with
  //               a consistent configuration and settings
  //   sink_mu_    held while handing a notice on (the hub takes its own locks)
  //   change_mu_  held while running the change callback (the manager takes
  //               its own and snapshots this device)
  //   mu_         the state below; a leaf
  //   attach_mu_  the attachment pointer; a leaf
  //   reap_mu_    the reaper threads; a leaf
  // The device's own locks, the lease's and the graph set's are leaves too,
  // and never taken with mu_ or attach_mu_ held.
  Mutex control_mu_;

  mutable Mutex sink_mu_;
  NoticeSink* notice_sink_ ABSL_GUARDED_BY(sink_mu_) = nullptr;

  Mutex change_mu_;
  std::function<void()> on_change_ ABSL_GUARDED_BY(change_mu_);

  mutable Mutex mu_;
  DeviceState state_ ABSL_GUARDED_BY(mu_) = DeviceState::kAbsent;
  std::string state_detail_ ABSL_GUARDED_BY(mu_);
  driver::DeviceDescriptor descriptor_ ABSL_GUARDED_BY(mu_);
  driver::BoardProblem problem_ ABSL_GUARDED_BY(mu_);
  bool configured_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const chip::SpeckConfig> config_ ABSL_GUARDED_BY(mu_);
  // The board's identity (Board::key), for its saved configuration.
  std::string board_key_ ABSL_GUARDED_BY(mu_);
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);
  // Of devices the board had before this one: their counters (added to the
  // current device's) and, while none is attached, the last settings.
  driver::DeviceCounters past_counters_ ABSL_GUARDED_BY(mu_);
  std::optional<Settings> settings_ ABSL_GUARDED_BY(mu_);

  mutable Mutex attach_mu_;
  std::shared_ptr<Attachment> attached_ ABSL_GUARDED_BY(attach_mu_);

  // Threads stopping abandoned devices; joined by Shutdown().
  Mutex reap_mu_;
  std::vector<std::thread> reapers_ ABSL_GUARDED_BY(reap_mu_);
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_MANAGED_DEVICE_IMPL_H_
