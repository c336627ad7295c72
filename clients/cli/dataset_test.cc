// Dataset mode's parts on real files in the test's temporary folder: the
// listing and labels, the threaded run (against `simulate` on each file
// alone), results files both ways, shards and merge.
#include "clients/cli/dataset.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clients/cli/dataset_results.h"
#include "clients/cli/dataset_run.h"
#include "clients/cli/simulate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kConfig[] = "examples/tutorial/config.json";

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }

  // `n` DVS events 200 us apart on random pixels of the top (class 0) or
  // bottom (class 1) half of the tutorial's 16x16 input.
  std::string WriteSample(const std::string& name, int cls, int n,
                          unsigned seed) {
    const fs::path path = root_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream out(path);
    out << "timestamp_us,x,y,p\n";
    std::mt19937 rng(seed);
    for (int i = 0; i < n; ++i) {
      out << 200 * i << "," << rng() % 16 << "," << 8 * cls + rng() % 8 << ","
          << rng() % 2 << "\n";
    }
    return path.string();
  }

  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name) << text;
  }

  // Ten samples, five per class folder, of different lengths.
  void MakeTwoClassDataset() {
    for (int i = 0; i < 5; ++i) {
      WriteSample("bottom/b" + std::to_string(i) + ".csv", 1, 300 + 97 * i,
                  100 + i);
      WriteSample("top/t" + std::to_string(i) + ".csv", 0, 250 + 131 * i, i);
    }
  }

  // Class names as the tutorial's features are: 0 top, 1 bottom.
  absl::StatusOr<Dataset> List(DatasetSource source = {
                                   "", "", {"top", "bottom"}}) {
    source.path = source.path.empty() ? root_.string() : source.path;
    return ListDataset(source);
  }

  std::vector<SampleResult> Run(const Dataset& dataset, int threads,
                                std::vector<size_t> indices = {}) {
    std::vector<chip::ConfigProblem> notes;
    absl::StatusOr<chip::SpeckConfig> config =
        LoadSimulationConfig(kConfig, std::nullopt, &notes);
    EXPECT_TRUE(config.ok()) << config.status();
    DatasetRunOptions options;
    options.config = *config;
    options.output_layer = *ChooseOutputLayer(*config, std::nullopt);
    options.threads = threads;
    options.indices =
        indices.empty() ? ShardIndices(dataset.samples.size(), 0, 1) : indices;
    std::vector<SampleResult> results;
    size_t last_done = 0;
    EXPECT_TRUE(
        RunDataset(dataset, options, [&](const SampleResult& r, size_t done) {
          EXPECT_EQ(done, last_done + 1);
          last_done = done;
          results.push_back(r);
        }).ok());
    return results;
  }

  fs::path root_;
};

std::vector<std::string> Names(const Dataset& d) {
  std::vector<std::string> names;
  for (const Sample& s : d.samples) names.push_back(s.name);
  return names;
}

TEST_F(DatasetTest, FoldersAreClassesInSortedOrderAndHiddenFilesSkipped) {
  MakeTwoClassDataset();
  WriteFile(".hidden.csv", "x");
  WriteFile("top/notes.txt", "not an event file");
  absl::StatusOr<Dataset> d = List({"", "", {}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->classes, ElementsAre("bottom", "top"));
  ASSERT_EQ(d->samples.size(), 10u);
  EXPECT_EQ(d->samples[0].name, "bottom/b0.csv");
  EXPECT_EQ(d->samples[0].label, 0);  // "bottom" sorts first
  EXPECT_EQ(d->samples[9].name, "top/t4.csv");
  EXPECT_EQ(d->samples[9].label, 1);

  // --labels names the classes (and their order) instead.
  d = List();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->samples[0].label, 1);
  EXPECT_EQ(d->samples[9].label, 0);
  d = List({"", "", {"top", "left"}});
  EXPECT_THAT(d.status().message(),
              HasSubstr("bottom/b0.csv: label 'bottom' is none of the classes "
                        "(top, left)"));

  // A stray file at the top (outside every class folder) is unlabelled; the
  // others keep their folder labels.
  WriteSample("stray.csv", 0, 10, 3);
  d = List({"", "", {"bottom", "top"}});
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->samples.size(), 11u);
  EXPECT_EQ(d->samples[5].name, "stray.csv");  // by name: after bottom/
  EXPECT_EQ(d->samples[5].label, std::nullopt);
  EXPECT_EQ(d->samples[0].label, 0);
  EXPECT_EQ(d->samples[10].label, 1);
  EXPECT_EQ(d->unlabelled, 1u);
  EXPECT_EQ(d->first_unlabelled, "stray.csv");
}

TEST_F(DatasetTest, ListFileAndLabelFile) {
  WriteSample("a.csv", 0, 10, 1);
  WriteSample("sub/b.csv", 1, 10, 2);
  WriteFile("list.txt", "# the test set\nsub/b.csv\n\na.csv  # first\n");
  WriteFile("labels.csv", "file,label\na.csv,0\nsub/b.csv,1\n");
  absl::StatusOr<Dataset> d = List(
      {(root_ / "list.txt").string(), (root_ / "labels.csv").string(), {}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(Names(*d), ElementsAre("a.csv", "sub/b.csv"));
  EXPECT_EQ(d->samples[1].label, 1);
  EXPECT_TRUE(d->classes.empty());  // numbers need no names

  WriteFile("labels.csv", "a.csv,0\n");
  d = List(
      {(root_ / "list.txt").string(), (root_ / "labels.csv").string(), {}});
  EXPECT_THAT(d.status().message(), HasSubstr("no label for sub/b.csv"));
  WriteFile("labels.csv", "a.csv,0,extra\n");
  d = List(
      {(root_ / "list.txt").string(), (root_ / "labels.csv").string(), {}});
  EXPECT_THAT(d.status().message(),
              HasSubstr("labels.csv:1: expected two columns"));
  EXPECT_EQ(List({(root_ / "nowhere").string(), "", {}}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DatasetTest, ShardsAreRoundRobinAndCoverEverySampleOnce) {
  EXPECT_THAT(ShardIndices(7, 0, 3), ElementsAre(0, 3, 6));
  EXPECT_THAT(ShardIndices(7, 2, 3), ElementsAre(2, 5));
  EXPECT_THAT(ShardIndices(2, 2, 3), ElementsAre());
}

TEST_F(DatasetTest, ResultsDoNotDependOnThreadsAndEqualEachFileAlone) {
  MakeTwoClassDataset();
  absl::StatusOr<Dataset> d = List();
  ASSERT_TRUE(d.ok()) << d.status();
  const std::vector<SampleResult> one = Run(*d, 1);
  const std::vector<SampleResult> four = Run(*d, 4);
  ASSERT_EQ(one.size(), 10u);
  ASSERT_EQ(four.size(), 10u);
  int correct = 0;
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].SerializeAsString(), four[i].SerializeAsString()) << i;
    EXPECT_EQ(one[i].index(), i);
    correct += one[i].predicted() == one[i].label();
  }
  EXPECT_EQ(correct, 10);  // the tutorial's kernel separates the halves

  // Each file alone through `speckctl simulate`'s single-file path.
  for (const SampleResult& r : one) {
    const std::string out = (root_ / "alone.csv").string();
    absl::StatusOr<SimulateSummary> alone =
        Simulate({kConfig, (root_ / r.sample()).string(), out, std::nullopt,
                  std::nullopt});
    ASSERT_TRUE(alone.ok()) << alone.status();
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);  // header
    std::vector<uint64_t> counts(2, 0);
    while (std::getline(in, line)) {  // timestamp_us,layer,feature,x,y
      std::vector<std::string> cells = absl::StrSplit(line, ',');
      if (cells.at(1) == "0") ++counts.at(std::stoul(cells.at(2)));
    }
    EXPECT_THAT(r.counts(), ElementsAre(counts[0], counts[1])) << r.sample();
    EXPECT_EQ(r.synops(), alone->synops) << r.sample();
    EXPECT_EQ(r.input_events(), alone->input_events) << r.sample();
  }
}

TEST_F(DatasetTest, BadFileIsReportedByNameAndLineAndTheRestRun) {
  MakeTwoClassDataset();
  WriteFile("top/t9.csv", "timestamp_us,x,y,p\n0,1,1,1\n10,400,1,1\n");
  absl::StatusOr<Dataset> d = List();
  ASSERT_TRUE(d.ok()) << d.status();
  const std::vector<SampleResult> results = Run(*d, 2);
  ASSERT_EQ(results.size(), 11u);
  const SampleResult& bad = results.back();
  EXPECT_EQ(bad.sample(), "top/t9.csv");
  EXPECT_THAT(bad.error(), HasSubstr("t9.csv:3: x: 400 is outside"));
  EXPECT_EQ(bad.counts_size(), 0);
  SummaryBuilder summary(2);
  for (const SampleResult& r : results) summary.Add(r);
  EXPECT_EQ(summary.Build().failed(), 1u);
  EXPECT_EQ(summary.Build().correct(), 10u);
  EXPECT_DOUBLE_EQ(summary.Build().accuracy(), 1.0);
}

TEST_F(DatasetTest, ShardsWrittenAndReadBackMergeToTheUnshardedRun) {
  MakeTwoClassDataset();
  absl::StatusOr<Dataset> d = List();
  ASSERT_TRUE(d.ok()) << d.status();
  const std::vector<SampleResult> whole = Run(*d, 2);
  std::vector<std::pair<std::string, DatasetResults>> shards;
  for (uint32_t i = 0; i < 3; ++i) {
    // Shard 1 as CSV, the others as JSON: both read back.
    const std::string path =
        (root_ / absl::StrCat("s", i, i == 1 ? ".csv" : ".json")).string();
    absl::StatusOr<std::unique_ptr<ResultsWriter>> w =
        ResultsWriter::Create(path, 2);
    ASSERT_TRUE(w.ok()) << w.status();
    for (const SampleResult& r : Run(*d, 2, ShardIndices(10, i, 3))) {
      (*w)->Add(r);
    }
    DatasetResults meta;
    meta.set_config(kConfig);
    meta.set_shard_index(i);
    meta.set_shard_count(3);
    meta.set_dataset_samples(10);
    ASSERT_TRUE((*w)->Finish(meta).ok());
    absl::StatusOr<DatasetResults> back = ReadResults(path);
    ASSERT_TRUE(back.ok()) << back.status();
    if (i == 1) {  // CSV carries the rows only
      back->set_config(kConfig);
      back->set_shard_index(1);
      back->set_shard_count(3);
      back->set_dataset_samples(10);
    }
    shards.emplace_back(path, *back);
  }
  absl::StatusOr<DatasetResults> merged = MergeResults(shards);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->samples_size(), 10);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(merged->samples(i).SerializeAsString(),
              whole[i].SerializeAsString())
        << i;
  }
  EXPECT_EQ(merged->summary().correct(), 10u);
  ASSERT_EQ(merged->summary().confusion_size(), 2);
  EXPECT_THAT(merged->summary().confusion(0).counts(), ElementsAre(5, 0, 0));

  std::vector<std::pair<std::string, DatasetResults>> missing = {shards[0],
                                                                 shards[2]};
  EXPECT_THAT(MergeResults(missing).status().message(),
              HasSubstr("shard 1/3 is missing"));
  std::vector<std::pair<std::string, DatasetResults>> twice = {
      shards[0], shards[1], shards[2], shards[0]};
  EXPECT_THAT(MergeResults(twice).status().message(),
              HasSubstr("is given twice"));
}

TEST_F(DatasetTest, OutputLayerMustBeMonitored) {
  chip::SpeckConfig config;
  EXPECT_THAT(ChooseOutputLayer(config, std::nullopt).status().message(),
              HasSubstr("no core has monitor_enable"));
  std::vector<chip::ConfigProblem> notes;
  config = *LoadSimulationConfig(kConfig, std::nullopt, &notes);
  EXPECT_EQ(*ChooseOutputLayer(config, std::nullopt), 0);
  EXPECT_THAT(ChooseOutputLayer(config, 3).status().message(),
              HasSubstr("--output_layer=3: not a core in use with "
                        "monitor_enable (those are: 0)"));
}

}  // namespace
}  // namespace speckd::cli
