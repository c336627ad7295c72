#include "server/devices/lease.h"

#include "driver/clock_fake.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

using ::testing::HasSubstr;

class ControlLeaseTest : public ::testing::Test {
 protected:
  driver::FakeClock clock_;
  ControlLease lease_{"speck2edevkit:0", &clock_};
};

TEST_F(ControlLeaseTest, OneHolderAtATimeAndOthersLearnWho) {
  absl::StatusOr<LeaseInfo> alice =
      lease_.Acquire("alice@lab", absl::Seconds(10));
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(alice->lease_id.size(), 32u);
  absl::StatusOr<LeaseInfo> bob = lease_.Acquire("bob", absl::Seconds(10));
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bob.status().message(),
              HasSubstr("device speck2edevkit:0 is leased by 'alice@lab'"));
  EXPECT_TRUE(lease_.Check(alice->lease_id).ok());
  EXPECT_THAT(lease_.Check("guess").message(),
              HasSubstr("only the lease holder"));
  EXPECT_THAT(lease_.Check("").message(), HasSubstr("alice@lab"));
  // Others see the holder, never the secret.
  std::optional<LeaseInfo> holder = lease_.Holder();
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->holder, "alice@lab");
  EXPECT_TRUE(holder->lease_id.empty());
}

TEST_F(ControlLeaseTest, RenewalRestartsTheTimeToLiveAndExpiryFreesIt) {
  LeaseInfo alice = lease_.Acquire("alice", absl::Seconds(10)).value();
  clock_.Advance(absl::Seconds(8));
  ASSERT_TRUE(lease_.Renew(alice.lease_id).ok());
  clock_.Advance(absl::Seconds(8));
  EXPECT_TRUE(lease_.Check(alice.lease_id).ok());
  EXPECT_FALSE(lease_.Expire().has_value());  // not yet
  clock_.Advance(absl::Seconds(3));
  // Expired: not held, even before housekeeping forgets it.
  EXPECT_FALSE(lease_.Holder().has_value());
  EXPECT_THAT(lease_.Check(alice.lease_id).message(), HasSubstr("expired"));
  EXPECT_EQ(lease_.Expire(), std::optional<std::string>("alice"));
  EXPECT_FALSE(lease_.Expire().has_value());
  EXPECT_EQ(lease_.Renew(alice.lease_id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(lease_.Acquire("bob", absl::Seconds(10)).ok());
}

// A holder that keeps renewing is in use: its expiry is no answer.
TEST_F(ControlLeaseTest, ARenewedLeaseSaysItIsInUse) {
  LeaseInfo writer =
      lease_.Acquire("speckctl write (pid 42 on lab1)", absl::Seconds(10))
          .value();
  clock_.Advance(absl::Seconds(3));
  ASSERT_TRUE(lease_.Renew(writer.lease_id).ok());
  clock_.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(lease_.Acquire("bob", absl::Seconds(10)).status().message(),
            "device speck2edevkit:0 is held by 'speckctl write (pid 42 on "
            "lab1)', which keeps renewing its lease while it runs (last 1.5 s "
            "ago; it lapses 10s after the holder stops)");
  EXPECT_THAT(lease_.Check("guess").message(),
              HasSubstr("; only the lease holder may change it"));
}

TEST_F(ControlLeaseTest, OnlyTheHolderReleases) {
  LeaseInfo alice = lease_.Acquire("alice", absl::Seconds(10)).value();
  EXPECT_EQ(lease_.Release("bogus").code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(lease_.Release(alice.lease_id).ok());
  EXPECT_FALSE(lease_.Holder().has_value());
  EXPECT_THAT(lease_.Check("").message(), HasSubstr("call AcquireLease first"));
  LeaseInfo bob = lease_.Acquire("bob", absl::Seconds(10)).value();
  EXPECT_NE(bob.lease_id, alice.lease_id);
}

}  // namespace
}  // namespace speckd::server
