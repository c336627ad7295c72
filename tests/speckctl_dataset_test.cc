// `speckctl simulate --dataset` as a user runs it, on files written by NumPy
// and h5py themselves (tests/util/make_event_dataset.py): every array format
// gives what the same events give as CSV, results do not depend on
// --threads or --shard, shards merge to the whole run, and a bad file is
// named while the others run. Needs Debian's python3-numpy and python3-h5py
// (deploy/install-deps.sh); without them the tests say so and skip.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/config_json.h"
#include "tests/bench/networks.h"
#include "tests/util/speckctl_fixture.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// CSV rows without the `sample` column (names differ by extension).
std::vector<std::string> RowsWithoutNames(const std::string& path) {
  std::vector<std::string> rows;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    cells.erase(cells.begin() + 1);
    rows.push_back(absl::StrJoin(cells, ","));
  }
  return rows;
}

class SpeckctlDatasetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(TempDir() + "/datasets");
    std::filesystem::remove_all(*root_);
    absl::StatusOr<RunResult> made = Subprocess::Run(
        "/usr/bin/python3",
        {RunfilePath("tests/util/make_event_dataset.py"), *root_},
        absl::Seconds(120));
    if (!made.ok() || made->exit_code != 0) {
      skip_ = new std::string(absl::StrCat(
          "SKIPPED: cannot write the datasets with NumPy and h5py "
          "(apt-get install python3-numpy python3-h5py): ",
          made.ok() ? made->stderr_text : made.status().ToString()));
    }
  }

  void SetUp() override {
    if (skip_ != nullptr) GTEST_SKIP() << *skip_;
  }

  static std::string Dir(const std::string& name) {
    return *root_ + "/" + name;
  }

  // The 4-core DVS network of the benchmarks, as a configuration file.
  static std::string GestureConfig() {
    speckd::v1::SpeckConfiguration proto;
    codec::ToProto(bench::GestureNetwork(), &proto);
    return WriteTempFile("gesture.json", codec::ConfigurationToJson(proto));
  }

  static std::string* root_;
  static std::string* skip_;
};

std::string* SpeckctlDatasetTest::root_ = nullptr;
std::string* SpeckctlDatasetTest::skip_ = nullptr;

TEST_F(SpeckctlDatasetTest, EveryArrayFormatGivesWhatItsCsvTwinGives) {
  const std::string arrays = TempDir() + "/arrays.csv";
  const std::string twins = TempDir() + "/twins.csv";
  for (const auto& [dir, out] :
       {std::pair{Dir("tutorial"), arrays}, {Dir("twins"), twins}}) {
    RunResult run =
        RunSpeckctl({"simulate", "--config=" + TutorialConfig(),
                     "--dataset=" + dir, "--labels=top,bottom", out});
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    EXPECT_THAT(run.stdout_text,
                HasSubstr("accuracy: 100.00% (12 of 12 labelled samples)"));
    EXPECT_THAT(run.stderr_text, HasSubstr("simulate: 12/12 samples"));
  }
  std::vector<std::string> rows = RowsWithoutNames(arrays);
  ASSERT_EQ(rows.size(), 13u);  // header + 6 formats x 2 classes
  EXPECT_EQ(rows, RowsWithoutNames(twins));
  // The tutorial's kernel: one spike per event, all for the right class.
  EXPECT_THAT(ReadFile(arrays),
              HasSubstr("bottom/s0.npy,1,1,1537,1537,3074,0,1537,\n"));
}

TEST_F(SpeckctlDatasetTest,
       ThreadsAndShardsGiveTheSameResultsOnAMultiCoreNetwork) {
  const std::string config = GestureConfig();
  auto run = [&](std::vector<std::string> extra, const std::string& out) {
    std::vector<std::string> args = {"simulate", "--config=" + config,
                                     "--dataset=" + Dir("dvs"), out};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = RunSpeckctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    return r;
  };
  const std::string one = TempDir() + "/one.csv";
  const std::string two = TempDir() + "/two.csv";
  run({"--threads=1"}, one);
  RunResult parallel = run({"--threads=2"}, two);
  EXPECT_THAT(parallel.stdout_text, HasSubstr("on 2 threads"));
  const std::string whole = ReadFile(one);
  EXPECT_EQ(whole, ReadFile(two));
  // Four layers deep, and the output core fires.
  std::vector<std::string> rows =
      absl::StrSplit(whole, '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_THAT(rows[0], HasSubstr(",count_10,error"));
  uint64_t synops = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string> cells = absl::StrSplit(rows[i], ',');
    synops += std::stoull(cells[6]);
  }
  EXPECT_GT(synops, 1000000u);

  std::vector<std::string> merge = {"simulate", "merge"};
  for (int i = 0; i < 3; ++i) {
    const std::string shard = absl::StrCat(TempDir(), "/shard", i, ".json");
    run({absl::StrCat("--shard=", i, "/3")}, shard);
    merge.push_back(shard);
  }
  const std::string merged = TempDir() + "/merged.csv";
  merge.push_back(merged);
  RunResult m = RunSpeckctl(merge);
  ASSERT_EQ(m.exit_code, 0) << m.stderr_text;
  EXPECT_EQ(ReadFile(merged), whole);

  merge.erase(merge.begin() + 3);  // shard 1 left out
  m = RunSpeckctl(merge);
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_THAT(m.stderr_text, HasSubstr("shard 1/3 is missing"));
}

TEST_F(SpeckctlDatasetTest, BadFilesAreNamedAndTheRestRun) {
  const std::string dir = TempDir() + "/mixed";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/top");
  std::filesystem::copy(Dir("tutorial/top"), dir + "/top");
  std::string npy = ReadFile(Dir("tutorial/top/s0.npy"));
  std::ofstream(dir + "/top/cut.npy") << npy.substr(0, npy.size() - 5);
  std::ofstream(dir + "/top/bad.csv")
      << "timestamp_us,x,y,p\n10,1,1,1\n5,1,1,1\n";
  std::ofstream(dir + "/top/junk.npz") << "not a zip";
  const std::string out = TempDir() + "/mixed.csv";
  RunResult run = RunSpeckctl({"simulate", "--config=" + TutorialConfig(),
                               "--dataset=" + dir, "--labels=top,bottom", out});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.stderr_text, HasSubstr("cut.npy: cut off:"));
  EXPECT_THAT(run.stderr_text, HasSubstr("bad.csv:3: timestamp_us"));
  EXPECT_THAT(run.stderr_text, HasSubstr("junk.npz: not a ZIP archive"));
  EXPECT_THAT(run.stderr_text, HasSubstr("3 of 9 samples could not run"));
  EXPECT_THAT(run.stdout_text,
              HasSubstr("accuracy: 100.00% (6 of 6 labelled samples)"));
  EXPECT_THAT(ReadFile(out), HasSubstr(",top/s5.npy,0,0,"));
}

TEST_F(SpeckctlDatasetTest, UsageErrorsSayWhatToDo) {
  RunResult run =
      RunSpeckctl({"simulate", "--config=" + TutorialConfig(),
                   "--dataset=" + Dir("dvs"), "--shard=3/3", "/dev/null"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.stderr_text, HasSubstr("expected I/N with 0 <= I < N"));
  run = RunSpeckctl({"simulate", "--config=" + TutorialConfig(),
                     "--dataset=" + TempDir() + "/nowhere", "/dev/null"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.stderr_text, HasSubstr("nowhere: no such dataset"));
}

}  // namespace
}  // namespace speckd::testing
