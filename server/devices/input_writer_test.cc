#include "server/devices/input_writer.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "driver/chip/test_networks.h"
#include "driver/clock_fake.h"
#include "driver/sim/sim_device.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

constexpr absl::Duration kLongWait = absl::Seconds(10);

std::vector<chip::InputEvent> Spikes(size_t n, uint64_t t) {
  return std::vector<chip::InputEvent>(n, chip::InputEvent::FromSpike({t}));
}

// What one job reported, and how often its inputs were converted.
struct Outcome {
  Notification done;
  absl::StatusOr<WriteResult> result = absl::UnknownError("not done");
  std::atomic<int> conversions{0};
};

class InputWriterTest : public ::testing::Test {
 protected:
  InputWriterTest() {
    driver::sim::SimDeviceOptions options;
    options.clock = &clock_;
    options.input_queue_capacity = 10;
    device_ = driver::sim::NewSimDevice(options);
    EXPECT_TRUE(device_->ApplyConfiguration(chip::testing::OneNeuron()).ok());
    InputWriterOptions writer_options;
    writer_options.max_waiting = 2;
    writer_ =
        std::make_unique<InputWriter>(device_.get(), &clock_, writer_options);
  }

  // A job of `n` inputs at `t` (far ahead: they wait in the device's queue).
  WriteJob Job(Outcome* outcome, size_t n, uint64_t t = 60'000'000,
               absl::Duration wait = absl::Hours(1)) {
    WriteJob job;
    job.inputs = [outcome, n, t](const chip::SpeckConfig&) {
      ++outcome->conversions;
      return absl::StatusOr<std::vector<chip::InputEvent>>(Spikes(n, t));
    };
    job.deadline = clock_.Now() + wait;
    job.done = [outcome](absl::StatusOr<WriteResult> result) {
      outcome->result = std::move(result);
      outcome->done.Notify();
    };
    return job;
  }

  driver::FakeClock clock_;
  std::unique_ptr<driver::Device> device_;
  std::unique_ptr<InputWriter> writer_;
};

TEST_F(InputWriterTest, WritesReachTheDeviceAndReportWhatWasAccepted) {
  Outcome a, b;
  ASSERT_TRUE(writer_->Submit(Job(&a, 3, 1000)).ok());
  ASSERT_TRUE(writer_->Submit(Job(&b, 2, 2000)).ok());
  ASSERT_TRUE(b.done.WaitForNotificationWithTimeout(kLongWait));
  ASSERT_TRUE(a.result.ok()) << a.result.status();
  EXPECT_EQ(a.result->accepted, 3u);
  EXPECT_EQ(a.result->last_timestamp_us, 1000u);
  EXPECT_EQ(b.result->accepted, 2u);
  EXPECT_EQ(device_->counters().events_in, 5u);
  EXPECT_TRUE(writer_->WaitUntilEmpty(absl::Now() + kLongWait));
}

TEST_F(InputWriterTest, AConversionErrorIsTheCallersAtOnce) {
  WriteJob job;
  job.inputs = [](const chip::SpeckConfig&)
      -> absl::StatusOr<std::vector<chip::InputEvent>> {
    return absl::InvalidArgumentError("spikes[0].x: 9 is outside");
  };
  bool called = false;
  job.done = [&](absl::StatusOr<WriteResult>) { called = true; };
  absl::Status status = writer_->Submit(std::move(job));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(called);
}

// The device queue holds 10: the first write fills it and the next one
// blocks the writer; then 4 more are admitted (converted), 2 wait without
// being converted, and the next is refused at once.
TEST_F(InputWriterTest, WaitingWritesAreCappedAndHoldOnlyTheirRequests) {
  std::vector<std::unique_ptr<Outcome>> outcomes;
  auto submit = [&](size_t n) {
    outcomes.push_back(std::make_unique<Outcome>());
    return writer_->Submit(Job(outcomes.back().get(), n));
  };
  ASSERT_TRUE(submit(10).ok());
  ASSERT_TRUE(outcomes[0]->done.WaitForNotificationWithTimeout(kLongWait));
  ASSERT_TRUE(submit(5).ok());  // in hand: blocked on the full device
  // The device thread idles and the writer waits for room, both on the clock.
  ASSERT_TRUE(clock_.AwaitWaiters(2, kLongWait));
  for (size_t i = 0; i < InputWriter::kMaxAdmitted + 2; ++i) {
    ASSERT_TRUE(submit(5).ok()) << i;
  }
  absl::Status refused = submit(5);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              ::testing::HasSubstr("writes already wait for room"));
  // The two still waiting were never converted.
  const size_t last = outcomes.size() - 2;
  EXPECT_EQ(outcomes[last - 1]->conversions.load(), 0);
  EXPECT_EQ(outcomes[last]->conversions.load(), 0);
  EXPECT_EQ(writer_->pending(), InputWriter::kMaxAdmitted + 3);

  // Cancel: every write not in the device fails with ABORTED and the reason;
  // the device's own cancel frees the one blocked in hand.
  InputWriter::Dropped dropped = writer_->Cancel("cancelled by the test");
  EXPECT_EQ(dropped.writes, InputWriter::kMaxAdmitted + 2);
  EXPECT_EQ(dropped.inputs, 5 * InputWriter::kMaxAdmitted);
  ASSERT_TRUE(device_->CancelInputs().ok());
  EXPECT_TRUE(writer_->WaitUntilEmpty(absl::Now() + kLongWait));
  EXPECT_EQ(outcomes[1]->result.status().code(), absl::StatusCode::kAborted);
  for (size_t i = 2; i + 1 < outcomes.size(); ++i) {
    ASSERT_TRUE(outcomes[i]->done.HasBeenNotified()) << i;
    EXPECT_EQ(outcomes[i]->result.status().code(), absl::StatusCode::kAborted);
    EXPECT_EQ(outcomes[i]->result.status().message(), "cancelled by the test");
  }
  EXPECT_EQ(device_->counters().queued_inputs, 0u);
}

// As above, but the waiting writes' requests are large: the first may wait
// whatever its size, the next is refused for the memory they would hold.
TEST_F(InputWriterTest, WaitingWritesAreCappedByTheMemoryTheirRequestsHold) {
  std::vector<std::unique_ptr<Outcome>> outcomes;
  auto submit = [&](size_t n, size_t request_bytes) {
    outcomes.push_back(std::make_unique<Outcome>());
    WriteJob job = Job(outcomes.back().get(), n);
    job.request_bytes = request_bytes;
    return writer_->Submit(std::move(job));
  };
  ASSERT_TRUE(submit(10, 0).ok());
  ASSERT_TRUE(outcomes[0]->done.WaitForNotificationWithTimeout(kLongWait));
  ASSERT_TRUE(submit(5, 0).ok());  // in hand: blocked on the full device
  ASSERT_TRUE(clock_.AwaitWaiters(2, kLongWait));
  for (size_t i = 0; i < InputWriter::kMaxAdmitted; ++i) {
    ASSERT_TRUE(submit(5, 0).ok()) << i;
  }
  const size_t cap = InputWriterOptions().max_waiting_bytes;
  ASSERT_TRUE(submit(5, cap + 1).ok());  // alone, it may wait
  absl::Status refused = submit(5, 1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), ::testing::HasSubstr("already hold 32 MiB"));
  EXPECT_EQ(writer_->pending(), InputWriter::kMaxAdmitted + 2);
  writer_->Cancel("cancelled by the test");
  ASSERT_TRUE(device_->CancelInputs().ok());
  EXPECT_TRUE(writer_->WaitUntilEmpty(absl::Now() + kLongWait));
}

TEST_F(InputWriterTest, AWaitingWriteFailsAtItsDeadlineOnTheClock) {
  Outcome fill, blocked, waiting[InputWriter::kMaxAdmitted], late;
  ASSERT_TRUE(writer_->Submit(Job(&fill, 10)).ok());
  ASSERT_TRUE(fill.done.WaitForNotificationWithTimeout(kLongWait));
  ASSERT_TRUE(
      writer_->Submit(Job(&blocked, 5, 60'000'000, absl::Hours(1))).ok());
  ASSERT_TRUE(clock_.AwaitWaiters(2, kLongWait));
  for (Outcome& o : waiting) ASSERT_TRUE(writer_->Submit(Job(&o, 1)).ok());
  ASSERT_TRUE(
      writer_->Submit(Job(&late, 1, 60'000'000, absl::Milliseconds(50))).ok());
  EXPECT_FALSE(late.done.HasBeenNotified());
  clock_.Advance(absl::Milliseconds(60));
  ASSERT_TRUE(late.done.WaitForNotificationWithTimeout(kLongWait));
  EXPECT_EQ(late.result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(late.conversions.load(), 0);
  writer_->Cancel("done");
  ASSERT_TRUE(device_->CancelInputs().ok());
  // Every callback has run before the outcomes go out of scope.
  EXPECT_TRUE(writer_->WaitUntilEmpty(absl::Now() + kLongWait));
  EXPECT_EQ(blocked.result.status().code(), absl::StatusCode::kAborted);
}

TEST_F(InputWriterTest, StopRefusesNewWritesAndFailsWaitingOnes) {
  Outcome fill, blocked, waiting;
  ASSERT_TRUE(writer_->Submit(Job(&fill, 10)).ok());
  ASSERT_TRUE(fill.done.WaitForNotificationWithTimeout(kLongWait));
  ASSERT_TRUE(writer_->Submit(Job(&blocked, 5)).ok());
  ASSERT_TRUE(clock_.AwaitWaiters(2, kLongWait));
  ASSERT_TRUE(writer_->Submit(Job(&waiting, 5)).ok());
  Notification stopped;
  std::thread stopper([&] {
    writer_->Stop(absl::UnavailableError("device d went away (unplugged)"));
    stopped.Notify();
  });
  // Waiting writes fail at once; the one in hand is the device's until its
  // queue is dropped (what a stopping ManagedDevice does next).
  ASSERT_TRUE(waiting.done.WaitForNotificationWithTimeout(kLongWait));
  EXPECT_EQ(waiting.result.status(),
            absl::UnavailableError("device d went away (unplugged)"));
  EXPECT_FALSE(stopped.HasBeenNotified());
  ASSERT_TRUE(device_->CancelInputs().ok());
  ASSERT_TRUE(stopped.WaitForNotificationWithTimeout(kLongWait));
  stopper.join();
  EXPECT_EQ(blocked.result.status().code(), absl::StatusCode::kAborted);
  // A write racing the stop hears the first reason given, not a later one
  // (the destructor's "speckd is shutting down").
  writer_->Stop();
  Outcome after;
  EXPECT_EQ(writer_->Submit(Job(&after, 1)),
            absl::UnavailableError("device d went away (unplugged)"));
}

}  // namespace
}  // namespace speckd::server
