// A dataset run's results on disk: CSV (one row per sample, for pandas and
// spreadsheets) or JSON (DatasetResults: the rows plus the run's shard,
// classes and summary), written as samples finish, read back and merged by
// `speckctl simulate merge`. Formats: docs/datasets.md.
//
// CSV columns: index,sample,label,predicted,input_events,output_spikes,
// synops,count_0..count_{F-1},error (label blank when unlabelled; counts
// blank and error set for a sample that could not run).
#ifndef SPECKD_CLIENTS_CLI_DATASET_RESULTS_H_
#define SPECKD_CLIENTS_CLI_DATASET_RESULTS_H_

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/cli/dataset_results.pb.h"

namespace speckd::cli {

// Adds results up: failures, accuracy over labelled samples that ran, the
// confusion matrix (a row per true class, a column per predicted class and
// a last one for "no output spikes").
class SummaryBuilder {
 public:
  explicit SummaryBuilder(size_t classes) : classes_(classes) {}
  void Add(const SampleResult& result);
  DatasetSummary Build() const;

 private:
  size_t classes_;
  DatasetSummary summary_;
  std::vector<std::vector<uint64_t>> confusion_;  // grown as labels come
  std::map<size_t, uint64_t> none_;  // per true class: no output spikes
};

// Streams rows to `path` as samples finish (CSV) or writes the whole file
// at Finish (JSON, chosen by a .json extension).
class ResultsWriter {
 public:
  static absl::StatusOr<std::unique_ptr<ResultsWriter>> Create(
      const std::string& path, size_t features);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  void Add(const SampleResult& result);
  // `results` carries the run's metadata and summary (its samples are the
  // ones added). DATA_LOSS if the file could not be written completely.
  absl::Status Finish(DatasetResults results);

 private:
  ResultsWriter(std::string path, std::FILE* file, size_t features, bool json)
      : path_(std::move(path)), file_(file), features_(features), json_(json) {}

  std::string path_;
  std::FILE* file_;
  size_t features_;
  bool json_;
  std::vector<SampleResult> kept_;  // JSON only
};

// Reads a results file either format (CSV gives no shard, classes or
// dataset size). Errors name the file and line.
absl::StatusOr<DatasetResults> ReadResults(const std::string& path);

// The shards' results as one run: samples in dataset order, the summary
// recomputed. Refuses mixed runs (configuration, output layer, shard
// count), a sample twice, and a missing shard or sample when the files say
// what to expect.
absl::StatusOr<DatasetResults> MergeResults(
    const std::vector<std::pair<std::string, DatasetResults>>& shards);

// The summary for people: samples, failures, accuracy, the confusion
// matrix with class names, throughput.
std::string FormatSummary(const DatasetResults& results);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_DATASET_RESULTS_H_
