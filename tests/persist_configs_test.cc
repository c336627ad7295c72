// A restarted daemon puts each board's configuration back when asked to
// (--persist_configs=on; the service's default, with $STATE_DIRECTORY), and
// a hand-run one starts clean; a saved file that no longer applies is
// reported on the device, not fatal.
#include <signal.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/speckctl_fixture.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

class PersistConfigsTest : public ::testing::Test {
 protected:
  // Starts speckd on `data_dir` with `flags`; its address.
  std::string Start(const std::string& data_dir, std::vector<std::string> flags,
                    const std::vector<std::string>& env = {}) {
    flags.insert(flags.end(), {"--listen=127.0.0.1:0",
                               "--web_listen=", "--data_dir=" + data_dir});
    absl::StatusOr<std::unique_ptr<Subprocess>> process =
        Subprocess::Start(RunfilePath("server/speckd"), flags, env);
    EXPECT_TRUE(process.ok()) << process.status();
    speckd_ = std::move(*process);
    absl::StatusOr<std::string> line =
        speckd_->ReadStdoutLine(absl::Seconds(10));
    EXPECT_TRUE(line.ok()) << line.status() << speckd_->stderr_text();
    const std::string prefix = "speckd listening on ";
    return line.ok()
               ? line->substr(prefix.size(),
                              line->find(' ', prefix.size()) - prefix.size())
               : "";
  }
  std::string Stop() {
    speckd_->Signal(SIGTERM);
    EXPECT_TRUE(speckd_->Wait(absl::Seconds(15)).ok());
    return speckd_->stderr_text();
  }
  std::string Devices(const std::string& address) {
    return RunSpeckctl({"devices", "--server=" + address}).stdout_text;
  }

  std::unique_ptr<Subprocess> speckd_;
};

TEST_F(PersistConfigsTest, TheLastConfigurationComesBackAfterARestart) {
  const std::string dir = TempDir() + "/persist-on";
  std::string address = Start(dir, {"--persist_configs=on"});
  RunResult applied =
      RunSpeckctl({"config", "apply", TutorialConfig(), "--server=" + address});
  ASSERT_EQ(applied.exit_code, 0) << applied.stderr_text;
  Stop();
  std::ifstream saved(dir + "/configs/sim_0.json");
  EXPECT_TRUE(saved.good()) << "no " << dir << "/configs/sim_0.json";

  address = Start(dir, {"--persist_configs=on"});
  EXPECT_THAT(Devices(address), HasSubstr("configured"));
  RunResult info = RunSpeckctl({"info", "--server=" + address});
  EXPECT_THAT(info.stdout_text, HasSubstr("cores in use    1"));
  EXPECT_THAT(
      Stop(),
      HasSubstr("event=config_restored_from_disk device=speck2edevkit-sim:0"));

  // By hand (no $STATE_DIRECTORY), auto leaves it alone: a clean start.
  address = Start(dir, {});
  EXPECT_THAT(Devices(address), HasSubstr("ready"));
  Stop();
  // As the service: auto is on.
  address = Start(dir, {}, {"STATE_DIRECTORY=" + dir});
  EXPECT_THAT(Devices(address), HasSubstr("configured"));
  Stop();
}

TEST_F(PersistConfigsTest, ASavedFileThatNoLongerParsesIsReportedNotFatal) {
  const std::string dir = TempDir() + "/persist-bad";
  std::string address = Start(dir, {"--persist_configs=on"});
  ASSERT_EQ(
      RunSpeckctl({"config", "apply", TutorialConfig(), "--server=" + address})
          .exit_code,
      0);
  Stop();
  std::ofstream(dir + "/configs/sim_0.json", std::ios::trunc)
      << "{\"cnn_layers\": 7}";
  address = Start(dir, {"--persist_configs=on"});
  const std::string devices = Devices(address);
  EXPECT_THAT(devices, HasSubstr("ready"));
  EXPECT_THAT(devices, HasSubstr("its saved configuration could not be read"));
  EXPECT_THAT(Stop(), HasSubstr("event=config_not_restored"));
}

}  // namespace
}  // namespace speckd::testing
