// SamnaBus when things go wrong: no samna, a samna too old or too new, a
// board open elsewhere, a bridge that crashes or hangs, a board unplugged.
// Each says why in the board's problem or on its way out, and the bus
// recovers on its own (the bridge against the samna double, as in
// samna_device_test).
#include <signal.h>

#include <string>

#include "driver/samna/samna_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::samna {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(SamnaTest, AKilledBridgeLosesTheBoardAndBringsItBackUnderTheSameKey) {
  testing::SamnaDouble samna("kill");
  StartBus(samna);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  const std::string key = board->key;
  Counts counts;
  board->device->SetOutputListener(&counts);
  ASSERT_TRUE(board->device->ApplyConfiguration(tutorial_.config).ok());
  ASSERT_TRUE(
      board->device->Write(tutorial_.inputs, absl::Now() + absl::Seconds(10))
          .ok());
  const pid_t first = bus_->bridge_pid();
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(boards_.WaitForLeft(key)) << boards_.Events();
  EXPECT_THAT(boards_.Events(), HasSubstr("killed by signal 9"));

  // Back under the same key with a new device and a new bridge; configured
  // again (the daemon's job), the tutorial is exact again.
  Board* back = boards_.WaitFor(key, false, /*n=*/2);
  ASSERT_NE(back, nullptr) << boards_.Events();
  EXPECT_NE(bus_->bridge_pid(), first);
  Counts again;
  back->device->SetOutputListener(&again);
  ASSERT_TRUE(back->device->ApplyConfiguration(tutorial_.config).ok());
  RunTutorial(back->device.get(), &again, 1);
  EXPECT_EQ(again.total(), 25001u);
  EXPECT_THAT(again.per_feature(), ElementsAre(12475u, 12526u));
  back->device->SetOutputListener(nullptr);
}

TEST_F(SamnaTest, NoSamnaIsAnUnusableBridgeBoardSayingWhatToInstall) {
  testing::SamnaDouble samna("missing");
  StartBus(samna, /*with_samna=*/false);
  Board* board = boards_.WaitFor("samna:bridge", /*problem=*/true);
  ASSERT_NE(board, nullptr) << boards_.Events();
  EXPECT_EQ(board->id_prefix, "samna-bridge");
  EXPECT_THAT(board->problem.detail, HasSubstr("cannot import samna"));
  EXPECT_THAT(board->problem.detail, HasSubstr("pip install samna"));
  EXPECT_THAT(board->problem.detail, HasSubstr("tries again"));
}

TEST_F(SamnaTest, ASamnaOlderThanSinabsNeedsIsRefusedANewerOneWarned) {
  testing::SamnaDouble old_samna("old");
  old_samna.Configure(R"({"version": "0.30.2"})");
  StartBus(old_samna);
  Board* board = boards_.WaitFor("samna:bridge", true);
  ASSERT_NE(board, nullptr) << boards_.Events();
  EXPECT_THAT(board->problem.detail,
              HasSubstr("samna 0.30.2 is older than 0.33"));
  TearDown();

  testing::SamnaDouble new_samna("new");
  new_samna.Configure(R"({"version": "0.61.0"})");
  StartBus(new_samna);
  Board* newer = boards_.WaitFor("usb:", false);
  ASSERT_NE(newer, nullptr) << boards_.Events();
  EXPECT_THAT(newer->device->descriptor().driver_detail,
              HasSubstr("samna 0.61.0 is newer than the versions"));
}

TEST_F(SamnaTest, ABoardOpenElsewhereIsBusyWithWhatToDo) {
  testing::SamnaDouble samna("busy");
  samna.Configure(R"({"busy": [9]})");
  SamnaBusOptions options;
  options.retry_interval = absl::Milliseconds(300);
  StartBus(samna, true, options);
  Board* board = boards_.WaitFor("usb:", true);
  ASSERT_NE(board, nullptr) << boards_.Events();
  EXPECT_EQ(board->problem.kind, BoardProblem::Kind::kBusy);
  EXPECT_THAT(board->problem.detail,
              HasSubstr("already opened in another process"));
  EXPECT_THAT(board->problem.detail, HasSubstr("one process per machine"));
  EXPECT_THAT(board->problem.detail, HasSubstr("tries again every 300ms"));

  // Freed: the bus opens it on its next try.
  samna.Configure("{}");
  Board* freed = boards_.WaitFor("usb:", false, 2);
  ASSERT_NE(freed, nullptr) << boards_.Events();
}

TEST_F(SamnaTest, AHungSamnaCallIsADeadlineAndTheBridgeIsRestarted) {
  testing::SamnaDouble samna("hang");
  samna.Configure(R"({"hang": "Model.apply_configuration"})");
  SamnaBusOptions options;
  options.device.apply_timeout = absl::Seconds(2);
  StartBus(samna, true, options);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  const std::string key = board->key;
  absl::Status applied = board->device->ApplyConfiguration(tutorial_.config);
  EXPECT_EQ(applied.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(applied.message(),
              HasSubstr("did not answer apply_configuration"));
  ASSERT_TRUE(boards_.WaitForLeft(key)) << boards_.Events();
  samna.Configure("{}");
  ASSERT_NE(boards_.WaitFor(key, false, 2), nullptr) << boards_.Events();
}

TEST_F(SamnaTest, ABoardSamnaStopsListingIsLostAndReturnsUnderItsKey) {
  testing::SamnaDouble samna("unplug");
  StartBus(samna);
  Board* board = boards_.WaitFor("usb:", false);
  ASSERT_NE(board, nullptr) << boards_.Events();
  const std::string key = board->key;
  samna.Configure(R"({"devices": []})");
  ASSERT_TRUE(boards_.WaitForLeft(key)) << boards_.Events();
  EXPECT_THAT(boards_.Events(), HasSubstr("samna no longer lists it"));
  samna.Configure("{}");
  ASSERT_NE(boards_.WaitFor(key, false, 2), nullptr) << boards_.Events();
}

}  // namespace
}  // namespace speckd::driver::samna
