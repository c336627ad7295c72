#include "clients/cli/flags.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::StatusOr<std::vector<std::string>> Scan(std::vector<std::string> args) {
  args.insert(args.begin(), "speckctl");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ScanArgs(static_cast<int>(argv.size()), argv.data());
}

TEST(ScanArgsTest, ReturnsTheWordsAndSkipsFlagValues) {
  auto words = Scan({"--server", "host:1", "config", "--timeout=2s", "apply",
                     "--watch", "f.json"});
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_THAT(*words, ElementsAre("config", "apply", "f.json"));
  EXPECT_TRUE(FlagGiven("server"));
  EXPECT_TRUE(FlagGiven("timeout"));
  EXPECT_TRUE(FlagGiven("watch"));
  EXPECT_FALSE(FlagGiven("device"));
}

TEST(ScanArgsTest, DoubleDashEndsTheFlags) {
  auto words = Scan({"write", "--", "--not-a-flag.csv"});
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_THAT(*words, ElementsAre("write", "--not-a-flag.csv"));
}

TEST(ScanArgsTest, NegatedBooleansCountAsGiven) {
  auto words = Scan({"write", "x.csv", "--noreset_stop_watch"});
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_TRUE(FlagGiven("reset_stop_watch"));
  EXPECT_FALSE(Scan({"--noreset_stop_watch=true"}).ok());
}

TEST(ScanArgsTest, UnknownFlagsAndBadValuesAreUsageErrors) {
  auto unknown = Scan({"devices", "--frobnicate"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("unknown flag --frobnicate"));
  EXPECT_EQ(Scan({"devices", "--sever=x:1"}).status().message(),
            "unknown flag --sever: did you mean --server?");
  EXPECT_EQ(Scan({"watch", "--intervall=5ms"}).status().message(),
            "unknown flag --intervall: did you mean --interval?");

  auto duration = Scan({"devices", "--timeout=soon"});
  EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(duration.status().message(), HasSubstr("--timeout=soon"));
  EXPECT_THAT(duration.status().message(), HasSubstr("duration"));

  auto integer = Scan({"write", "--batch=many"});
  EXPECT_THAT(integer.status().message(), HasSubstr("--batch=many"));

  auto missing = Scan({"devices", "--server"});
  EXPECT_THAT(missing.status().message(), HasSubstr("--server needs a value"));
}

TEST(ScanArgsTest, HelpFlagsAreLeftToMain) {
  auto words = Scan({"watch", "--help"});
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_THAT(*words, ElementsAre("watch"));
}

TEST(ListTest, SplitsAndParses) {
  EXPECT_THAT(SplitList(" top, bottom ,,"), ElementsAre("top", "bottom"));
  EXPECT_THAT(SplitList(""), IsEmpty());
  auto layers = ParseUintList("layer", "0, 13");
  ASSERT_TRUE(layers.ok());
  EXPECT_THAT(*layers, ElementsAre(0u, 13u));
  auto bad = ParseUintList("layer", "0,x");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("--layer: 'x' is not a non-negative integer"));
}

}  // namespace
}  // namespace speckd::cli
