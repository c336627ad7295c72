#include "tests/util/speckctl_fixture.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <utility>

namespace speckd::testing {

namespace {
constexpr absl::Duration kTimeout = absl::Seconds(60);
}  // namespace

std::string Speckctl() { return RunfilePath("clients/cli/speckctl"); }
std::string TutorialConfig() {
  return RunfilePath("examples/tutorial/config.json");
}

RunResult RunSpeckctl(const std::vector<std::string>& args,
                      const std::vector<std::string>& env) {
  absl::StatusOr<RunResult> run =
      Subprocess::Run(Speckctl(), args, kTimeout, env);
  EXPECT_TRUE(run.ok()) << run.status();
  return run.value_or(RunResult{});
}

void SpeckctlTest::SetUp() {
  absl::StatusOr<StartedSpeckd> speckd = StartSpeckd(
      RunfilePath("server/speckd"),
      {"--listen=127.0.0.1:0", "--web_listen=", "--sim_pacing=" + pacing_,
       "--sim_faults", "--data_dir=" + TempDir()});
  ASSERT_TRUE(speckd.ok()) << speckd.status();
  speckd_ = std::move(speckd->process);
  address_ = speckd->address;
}

void SpeckctlTest::TearDown() {
  if (speckd_ == nullptr) return;
  speckd_->Signal(SIGTERM);
  EXPECT_TRUE(speckd_->Wait(absl::Seconds(10)).ok());
}

RunResult SpeckctlTest::Speck(std::vector<std::string> args) {
  args.push_back("--server=" + address_);
  return RunSpeckctl(args);
}

std::unique_ptr<Subprocess> SpeckctlTest::StartSpeck(
    std::vector<std::string> args) {
  args.push_back("--server=" + address_);
  auto child = Subprocess::Start(Speckctl(), args);
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

void SpeckctlTest::ApplyTutorial() {
  RunResult apply = Speck({"config", "apply", TutorialConfig()});
  ASSERT_EQ(apply.exit_code, 0) << apply.stderr_text;
}

uint64_t SpeckctlTest::DeviceCounter(const std::string& name) {
  RunResult json = Speck({"devices", "--output=json"});
  google::protobuf::Struct parsed;
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(json.stdout_text, &parsed)
          .ok())
      << json.stdout_text << json.stderr_text;
  const auto& devices = parsed.fields().at("devices").list_value();
  if (devices.values_size() != 1) return 0;
  const auto& fields = devices.values(0).struct_value().fields();
  auto it = fields.find(name);
  EXPECT_NE(it, fields.end()) << name;
  return it == fields.end() ? 0 : std::stoull(it->second.string_value());
}

}  // namespace speckd::testing
