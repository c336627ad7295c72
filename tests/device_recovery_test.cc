// A devkit pulled out while it streams, and plugged back in, through a real
// daemon (the simulated devkit's unplug/replug, as `speckd --sim_faults`):
// subscribers get what was sent before the unplug, a DEVICE_LOST notice and
// UNAVAILABLE; the lease survives; the configuration comes back by itself,
// and the tutorial then gives its 25001 spikes again.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"
#include "tests/util/tutorial_example.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

v1::SubscribeSpikeCountsRequest CountsRequest() {
  v1::SubscribeSpikeCountsRequest request;
  request.set_device_id(kDevice);
  request.set_interval_ms(50);
  request.set_feature_count(2);
  return request;
}

// Spike counts summed over every window the messages carry.
std::vector<uint64_t> CountsIn(const std::vector<v1::StreamMessage>& messages) {
  std::vector<uint64_t> total(2, 0);
  for (const v1::StreamMessage& m : messages) {
    for (const v1::SpikeCount& w : m.spike_counts().windows()) {
      for (int i = 0; i < w.counts_size() && i < 2; ++i)
        total[i] += w.counts(i);
    }
  }
  return total;
}

class DeviceRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TutorialExample> c = LoadTutorialExample();
    ASSERT_TRUE(c.ok()) << c.status();
    case_ = *std::move(c);
  }
  TutorialExample case_;
};

TEST_F(DeviceRecoveryTest, UnplugEndsStreamsAfterTheirDataAndReplugRestores) {
  SpeckdFixture speckd(Paced(driver::Pacing::kAsFastAsPossible));
  const std::string lease = speckd.AcquireLease("recovery");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  StreamCollector<v1::DeviceChange> watch([&](grpc::ClientContext* ctx) {
    return speckd.device_stub->WatchDevices(ctx, v1::WatchDevicesRequest());
  });
  StreamCollector<v1::StreamMessage> before([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeSpikeCounts(ctx, CountsRequest());
  });
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &written).ok());
  speckd.WaitIdle();

  v1::Device lost;
  grpc::Status unplugged =
      speckd.SimulateFault(v1::SimulateFaultRequest::UNPLUG, 0, &lost);
  ASSERT_TRUE(unplugged.ok()) << unplugged.error_message();
  EXPECT_EQ(lost.state(), v1::LOST);
  EXPECT_THAT(lost.state_detail(), HasSubstr("re-applied when it returns"));

  // Everything computed before the unplug arrives, then the notice, then
  // the status.
  std::optional<grpc::Status> end = before.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(end->error_message(), HasSubstr("was lost"));
  const std::vector<v1::StreamMessage> got = before.messages();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().notice().kind(), v1::StreamNotice::DEVICE_LOST);
  EXPECT_EQ(CountsIn(got), (std::vector<uint64_t>{12475, 12526}));

  // While it is away: writes and new subscriptions are UNAVAILABLE, saying
  // why; the lease holds and can be renewed.
  v1::WriteEventsResponse refused;
  grpc::Status write = speckd.WriteBatch(lease, case_.inputs, true, &refused);
  EXPECT_EQ(write.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(write.error_message(), HasSubstr("is lost"));
  StreamCollector<v1::StreamMessage> meanwhile([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeSpikeCounts(ctx, CountsRequest());
  });
  std::optional<grpc::Status> no_stream = meanwhile.WaitForEnd();
  ASSERT_TRUE(no_stream.has_value());
  EXPECT_EQ(no_stream->error_code(), grpc::StatusCode::UNAVAILABLE);
  {
    grpc::ClientContext context;
    v1::RenewLeaseRequest renew;
    renew.set_device_id(kDevice);
    renew.set_lease_id(lease);
    v1::Lease renewed;
    EXPECT_TRUE(speckd.device_stub->RenewLease(&context, renew, &renewed).ok());
  }
  EXPECT_EQ(speckd.GetDevice().lease().holder(), "recovery");

  v1::Device back;
  ASSERT_TRUE(
      speckd.SimulateFault(v1::SimulateFaultRequest::REPLUG, 0, &back).ok());
  EXPECT_EQ(back.state(), v1::CONFIGURED);  // re-applied, not READY
  EXPECT_EQ(back.events_in(), 25001u);      // counters keep adding up

  StreamCollector<v1::StreamMessage> after([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeSpikeCounts(ctx, CountsRequest());
  });
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &written).ok());
  ASSERT_TRUE(after.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    const std::vector<uint64_t> counts = CountsIn(m);
    return counts[0] + counts[1] >= 25001;
  }));
  EXPECT_EQ(CountsIn(after.messages()), (std::vector<uint64_t>{12475, 12526}));

  // Watchers saw it go and come back.
  ASSERT_TRUE(watch.WaitFor([](const std::vector<v1::DeviceChange>& changes) {
    bool lost = false;
    for (const v1::DeviceChange& c : changes) {
      if (c.device().state() == v1::LOST) lost = true;
      if (lost && c.device().state() == v1::CONFIGURED) return true;
    }
    return false;
  }));
}

TEST_F(DeviceRecoveryTest, FaultsNeedASimulatedBoardAndAValidFault) {
  SpeckdFixture speckd;
  grpc::Status none =
      speckd.SimulateFault(v1::SimulateFaultRequest::FAULT_UNSPECIFIED);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status twice = speckd.SimulateFault(v1::SimulateFaultRequest::REPLUG);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr("is plugged in"));
}

}  // namespace
}  // namespace speckd::testing
