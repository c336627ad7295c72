// The simulated devkit behind the Device interface: pacing by a fake clock,
// as-fast-as-possible runs, flush, stop watch, power monitor, back-pressure.
#include "driver/sim/sim_device.h"

#include <functional>
#include <optional>
#include <thread>

#include "driver/chip/test_networks.h"
#include "driver/clock_fake.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::sim {
namespace {

using ::testing::HasSubstr;

// Records every output; tests wait on conditions with a deadline.
class RecordingListener : public OutputListener {
 public:
  void OnOutput(const DeviceOutput& output) override {
    MutexLock lock(&mu_);
    outputs_.push_back(output);
    for (const chip::Spike& s : output.events.spikes) spikes_.push_back(s);
    changed_.SignalAll();
  }

  // True once `done(outputs, spikes)` holds (checked under the lock) or false
  // after 10 s.
  using Done = std::function<bool(const std::vector<DeviceOutput>& outputs,
                                  const std::vector<chip::Spike>& spikes)>;
  bool WaitFor(const Done& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    MutexLock lock(&mu_);
    while (!done(outputs_, spikes_)) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) {
        return done(outputs_, spikes_);
      }
    }
    return true;
  }

  std::vector<chip::Spike> spikes() {
    MutexLock lock(&mu_);
    return spikes_;
  }
  // The first output with a notice of `kind`, waiting for it.
  std::optional<DeviceOutput> WaitForNotice(DeviceNotice::Kind kind,
                                            uint64_t dropped_inputs) {
    std::optional<DeviceOutput> found;
    WaitFor([&](const auto& outputs, const auto&) {
      for (const DeviceOutput& o : outputs) {
        for (const DeviceNotice& n : o.notices) {
          if (n.kind == kind && n.dropped_inputs == dropped_inputs) {
            found = o;
            return true;
          }
        }
      }
      return false;
    });
    return found;
  }

  std::vector<DeviceOutput> outputs() {
    MutexLock lock(&mu_);
    return outputs_;
  }

 private:
  Mutex mu_;
  CondVar changed_;
  std::vector<DeviceOutput> outputs_ ABSL_GUARDED_BY(mu_);
  std::vector<chip::Spike> spikes_ ABSL_GUARDED_BY(mu_);
};

chip::InputEvent SpikeAt(uint64_t t) {
  return chip::InputEvent::FromSpike({t, 0, 0, 0, 0});
}

class SimDeviceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Device> Make(Pacing pacing, size_t capacity = 1 << 16) {
    SimDeviceOptions options;
    options.clock = &clock_;
    options.pacing = pacing;
    options.input_queue_capacity = capacity;
    std::unique_ptr<Device> device = NewSimDevice(options);
    device->SetOutputListener(&listener_);
    EXPECT_TRUE(device->ApplyConfiguration(chip::testing::OneNeuron()).ok());
    return device;
  }

  // Deadlines are on the device's clock, which only moves when a test says.
  absl::Time Soon() { return clock_.Now() + absl::Seconds(5); }

  FakeClock clock_;
  RecordingListener listener_;
};

TEST_F(SimDeviceTest, IdentifiesAsTheSimulatedDevkit) {
  auto device = Make(Pacing::kAsFastAsPossible);
  EXPECT_EQ(device->descriptor().id, "speck2edevkit-sim:0");
  EXPECT_EQ(device->descriptor().type_name, "Speck2eDevKit");
  EXPECT_EQ(device->descriptor().backend, Backend::kSim);
}

TEST_F(SimDeviceTest, AsFastAsPossibleProcessesAtOnceAndFlushReportsTheEnd) {
  auto device = Make(Pacing::kAsFastAsPossible);
  std::vector<chip::InputEvent> events = {SpikeAt(100), SpikeAt(5000),
                                          SpikeAt(90000)};
  ASSERT_TRUE(device->Write(events, Soon()).ok());
  device->Flush();
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    return !outputs.empty() && outputs.back().flush;
  }));
  std::vector<chip::Spike> spikes = listener_.spikes();
  ASSERT_EQ(spikes.size(), 3u);
  EXPECT_EQ(spikes[2].timestamp_us, 90000u);
  EXPECT_EQ(listener_.outputs().back().last_input_us, 90000u);
  EXPECT_EQ(listener_.outputs().back().time_us, 90000u);
  EXPECT_EQ(device->stop_watch().time_us, 90000u);  // follows the inputs
  EXPECT_EQ(device->counters().events_in, 3u);
  EXPECT_EQ(device->counters().events_out, 3u);
}

// Writers are independent: a batch stamped earlier may queue behind a later
// one. As fast as possible, the device plays them in arrival order (the
// earlier ones late) and never waits for a time that has passed.
TEST_F(SimDeviceTest, AsFastAsPossiblePlaysBatchesThatArriveOutOfOrder) {
  // Holds the device thread in its first delivery until released, so that
  // the next two batches queue up behind it.
  class GatedListener : public OutputListener {
   public:
    explicit GatedListener(OutputListener* next) : next_(next) {}
    void OnOutput(const DeviceOutput& output) override {
      if (!entered_.HasBeenNotified()) {
        entered_.Notify();
        release_.WaitForNotification();
      }
      next_->OnOutput(output);
    }
    Notification entered_, release_;

   private:
    OutputListener* const next_;
  } gate(&listener_);
  auto device = Make(Pacing::kAsFastAsPossible);
  device->SetOutputListener(&gate);
  ASSERT_TRUE(device->Write({SpikeAt(10000000)}, Soon()).ok());
  ASSERT_TRUE(gate.entered_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(device->Write({SpikeAt(20000000)}, Soon()).ok());
  ASSERT_TRUE(device->Write({SpikeAt(1000000)}, Soon()).ok());
  gate.release_.Notify();
  EXPECT_TRUE(device->WaitUntilIdle(absl::Seconds(10)))
      << device->counters().queued_inputs << " inputs still queued";
  EXPECT_EQ(device->counters().events_in, 3u);
  EXPECT_EQ(device->counters().late_inputs, 1u);
  EXPECT_EQ(device->stop_watch().time_us, 20000000u);
  device->SetOutputListener(&listener_);
}

TEST_F(SimDeviceTest, RealTimeReleasesInputsWhenTheStopWatchReachesThem) {
  auto device = Make(Pacing::kRealTime);
  ASSERT_TRUE(
      device->Write({SpikeAt(1000), SpikeAt(2000), SpikeAt(3000)}, Soon())
          .ok());
  EXPECT_EQ(device->counters().queued_inputs, 3u);
  clock_.Advance(absl::Microseconds(1500));
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    return spikes.size() == 1;
  }));
  EXPECT_EQ(device->counters().queued_inputs, 2u);
  EXPECT_EQ(listener_.spikes()[0].timestamp_us, 1000u);
  clock_.Advance(absl::Microseconds(1500));
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    return spikes.size() == 3;
  }));
  EXPECT_EQ(listener_.spikes()[2].timestamp_us, 3000u);
}

TEST_F(SimDeviceTest, RealTimeHeartbeatsCarryTheTimeLineWithoutEvents) {
  auto device = Make(Pacing::kRealTime);
  clock_.Advance(absl::Milliseconds(50));
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    return !outputs.empty() && outputs.back().time_us >= 50000;
  }));
  EXPECT_TRUE(listener_.spikes().empty());
}

TEST_F(SimDeviceTest, DisabledStopWatchHoldsInputsAndResetStartsANewEpoch) {
  auto device = Make(Pacing::kRealTime);
  ASSERT_TRUE(device->SetStopWatch(false, false).ok());
  ASSERT_TRUE(device->Write({SpikeAt(0), SpikeAt(10)}, Soon()).ok());
  // t = 0 is due at once even with the watch stopped at 0; t = 10 is not.
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    return spikes.size() == 1;
  }));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(device->stop_watch().time_us, 0u);
  EXPECT_EQ(device->counters().queued_inputs, 1u);
  // The reset drops the input stamped for the old epoch, and says so.
  absl::StatusOr<StopWatchState> state = device->SetStopWatch(true, true);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->enabled);
  EXPECT_EQ(state->epoch, 1u);
  EXPECT_EQ(device->counters().queued_inputs, 0u);
  EXPECT_EQ(device->counters().dropped_inputs, 1u);
  std::optional<DeviceOutput> reset =
      listener_.WaitForNotice(DeviceNotice::Kind::kStopWatchReset, 1);
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->epoch, 1u);
  ASSERT_EQ(reset->notices.size(), 1u);
  // The new epoch plays what is written for it.
  ASSERT_TRUE(device->Write({SpikeAt(10)}, Soon()).ok());
  clock_.Advance(absl::Microseconds(10));
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    return spikes.size() == 2;
  }));
  EXPECT_EQ(listener_.outputs().back().epoch, 1u);
}

TEST_F(SimDeviceTest, CancelDropsQueuedInputsAndFailsWritersWaitingForRoom) {
  auto device = Make(Pacing::kRealTime, /*capacity=*/10);
  ASSERT_TRUE(
      device->Write(std::vector<chip::InputEvent>(8, SpikeAt(60000000)), Soon())
          .ok());
  absl::Status blocked = absl::UnknownError("the writer did not finish");
  Notification written;
  const absl::Time deadline = Soon();
  std::thread writer([&] {
    blocked = device->Write(std::vector<chip::InputEvent>(5, SpikeAt(60000001)),
                            deadline);
    written.Notify();
  });
  // The device thread idles and the writer waits for room: both on the clock.
  ASSERT_TRUE(clock_.AwaitWaiters(2, absl::Seconds(10)));
  absl::StatusOr<uint64_t> dropped = device->CancelInputs();
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 8u);
  ASSERT_TRUE(written.WaitForNotificationWithTimeout(absl::Seconds(10)));
  writer.join();
  EXPECT_EQ(blocked.code(), absl::StatusCode::kAborted) << blocked;
  EXPECT_EQ(device->counters().queued_inputs, 0u);
  EXPECT_EQ(device->counters().dropped_inputs, 8u);
  EXPECT_TRUE(
      listener_.WaitForNotice(DeviceNotice::Kind::kInputsCancelled, *dropped)
          .has_value());
  EXPECT_TRUE(device->WaitUntilIdle(absl::Seconds(10)));
}

TEST_F(SimDeviceTest,
       ApplyDropsQueuedInputsAndOutputsCarryTheNewConfiguration) {
  auto device = Make(Pacing::kRealTime);
  ASSERT_TRUE(device->Write({SpikeAt(500000), SpikeAt(600000)}, Soon()).ok());
  std::shared_ptr<const chip::SpeckConfig> before = device->configuration();
  ASSERT_TRUE(device->ApplyConfiguration(chip::testing::OneNeuron()).ok());
  EXPECT_NE(device->configuration(), before);
  EXPECT_EQ(device->counters().queued_inputs, 0u);
  EXPECT_EQ(device->stop_watch().epoch, 0u);  // the time line continues
  std::optional<DeviceOutput> applied =
      listener_.WaitForNotice(DeviceNotice::Kind::kReconfigured, 2);
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->configuration, device->configuration());
}

TEST_F(SimDeviceTest, WaitUntilIdleReturnsOnceEveryOutputIsDelivered) {
  auto device = Make(Pacing::kAsFastAsPossible);
  ASSERT_TRUE(
      device->Write({SpikeAt(1), SpikeAt(2), SpikeAt(3), SpikeAt(4)}, Soon())
          .ok());
  ASSERT_TRUE(device->WaitUntilIdle(absl::Seconds(10)));
  EXPECT_EQ(device->counters().events_out, 4u);
  EXPECT_EQ(listener_.spikes().size(), 4u);

  // Real time holds inputs until their time: not idle until the clock moves.
  auto paced = Make(Pacing::kRealTime);
  ASSERT_TRUE(paced->Write({SpikeAt(1000)}, Soon()).ok());
  EXPECT_FALSE(paced->WaitUntilIdle(absl::Milliseconds(20)));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(paced->WaitUntilIdle(absl::Seconds(10)));
}

TEST_F(SimDeviceTest, WriteNeedsAConfigurationAndOrderedTimestamps) {
  SimDeviceOptions options;
  options.clock = &clock_;
  auto bare = NewSimDevice(options);
  absl::Status status = bare->Write({SpikeAt(1)}, Soon());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("apply one first"));

  auto device = Make(Pacing::kAsFastAsPossible);
  status = device->Write({SpikeAt(5), SpikeAt(7), SpikeAt(6)}, Soon());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("events[2].timestamp_us"));
  EXPECT_EQ(device->counters().events_in, 0u);  // all or none
}

TEST_F(SimDeviceTest, FullQueueBlocksTheWriterUntilItsDeadline) {
  auto device = Make(Pacing::kRealTime, /*capacity=*/10);
  std::vector<chip::InputEvent> eight(8, SpikeAt(1000000));
  ASSERT_TRUE(device->Write(eight, Soon()).ok());
  // The deadline is on the device's clock: it passes when the clock passes
  // it, not after some wall time.
  absl::Status status = absl::UnknownError("the writer did not finish");
  Notification written;
  const absl::Time deadline = clock_.Now() + absl::Milliseconds(50);
  std::thread writer([&] {
    status = device->Write(std::vector<chip::InputEvent>(5, SpikeAt(1000000)),
                           deadline);
    written.Notify();
  });
  ASSERT_TRUE(clock_.AwaitWaiters(2, absl::Seconds(10)));
  EXPECT_FALSE(written.HasBeenNotified());
  clock_.Advance(absl::Milliseconds(60));
  ASSERT_TRUE(written.WaitForNotificationWithTimeout(absl::Seconds(10)));
  writer.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(device->counters().queued_inputs, 8u);
  // Once the queue drains, the same write goes through.
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(
      device->Write(std::vector<chip::InputEvent>(5, SpikeAt(1000001)), Soon())
          .ok());
}

TEST_F(SimDeviceTest, PowerMonitorSamplesFiveRailsThatMoveWithActivity) {
  auto device = Make(Pacing::kAsFastAsPossible);
  ASSERT_TRUE(device->SetPowerMonitorRate(10).ok());
  EXPECT_EQ(device->SetPowerMonitorRate(500).code(),
            absl::StatusCode::kInvalidArgument);
  // Busy first 100 ms, idle until 300 ms.
  std::vector<chip::InputEvent> events;
  for (uint64_t t = 0; t < 100000; t += 10) events.push_back(SpikeAt(t));
  events.push_back(SpikeAt(300000));
  ASSERT_TRUE(device->Write(events, Soon()).ok());
  std::vector<PowerMeasurement> power;
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    power.clear();
    for (const DeviceOutput& o : outputs) {
      power.insert(power.end(), o.power.begin(), o.power.end());
    }
    return power.size() >= 15;
  }));
  ASSERT_EQ(power.size(), 15u);  // samples at 100, 200, 300 ms
  EXPECT_EQ(power[0].timestamp_us, 100000u);
  EXPECT_EQ(power[14].timestamp_us, 300000u);
  for (int rail = 0; rail < 5; ++rail) EXPECT_EQ(power[rail].channel, rail);
  // VDD_LOGIC (channel 2) above idle while busy, at idle afterwards.
  EXPECT_GT(power[2].value_w, power[7].value_w);
  EXPECT_NEAR(power[7].value_w, 367e-6, 1e-9);
  // VDD_IO counts boundary events (10000 in + 10000 out in 0.1 s).
  EXPECT_NEAR(power[0].value_w, 62e-6 + 150e-12 * 20000 / 0.1, 1e-9);
}

TEST_F(SimDeviceTest, NeuronsCanBeReadAndWritten) {
  auto device = Make(Pacing::kAsFastAsPossible);
  std::vector<NeuronAddress> addresses;
  absl::StatusOr<std::vector<int16_t>> all =
      device->ReadNeurons(0, {}, &addresses);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  ASSERT_TRUE(device->WriteNeurons(0, {{0, 0, 0}}, {7}).ok());
  EXPECT_EQ(device->ReadNeurons(0, {{0, 0, 0}}, nullptr).value(),
            std::vector<int16_t>{7});
  absl::Status bad = device->WriteNeurons(0, {{0, 0, 0}, {0, 3, 0}}, {1, 2});
  EXPECT_EQ(bad.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(bad.message(), HasSubstr("neurons[1]"));
  EXPECT_EQ(device->ReadNeurons(0, {{0, 0, 0}}, nullptr).value(),
            std::vector<int16_t>{7});  // nothing written
  EXPECT_EQ(device->ReadNeurons(4, {}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SimDeviceTest, SlowClockDrivesLeakOnTheDeviceTimeLine) {
  auto device = Make(Pacing::kAsFastAsPossible);
  chip::SpeckConfig config = chip::testing::OneNeuron();
  config.cnn_layers[0].leak_enable = true;
  config.cnn_layers[0].biases = {5};
  config.cnn_layers[0].weights = {0};
  ASSERT_TRUE(device->ApplyConfiguration(config).ok());
  ASSERT_TRUE(device->SetSlowClock(true, 1000).ok());
  EXPECT_EQ(device->SetSlowClock(true, -1).code(),
            absl::StatusCode::kInvalidArgument);
  // Ticks at 0, 1000, 2000, 3000 add 5 each: v reaches 10 and fires at 1000
  // and at 3000 (the tick at 3000 runs before the input at 3000).
  ASSERT_TRUE(device->Write({SpikeAt(3000)}, Soon()).ok());
  device->Flush();
  ASSERT_TRUE(listener_.WaitFor([&](const auto& outputs, const auto& spikes) {
    return !outputs.empty() && outputs.back().flush;
  }));
  std::vector<uint64_t> times;
  for (const chip::Spike& s : listener_.spikes())
    times.push_back(s.timestamp_us);
  EXPECT_EQ(times, (std::vector<uint64_t>{1000, 3000}));
  EXPECT_TRUE(device->slow_clock().enabled);
}

}  // namespace
}  // namespace speckd::driver::sim
