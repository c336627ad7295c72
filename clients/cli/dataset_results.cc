#include "clients/cli/dataset_results.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "clients/cli/display.h"

namespace speckd::cli {
namespace {

constexpr const char* kFixedColumns[] = {
    "index",        "sample",        "label", "predicted",
    "input_events", "output_spikes", "synops"};
constexpr size_t kFixed = sizeof(kFixedColumns) / sizeof(kFixedColumns[0]);

// RFC 4180: quoted when it holds a comma, a quote or a line break.
std::string CsvField(absl::string_view v) {
  if (v.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(v);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(v, {{"\"", "\"\""}}), "\"");
}

std::vector<std::string> SplitCsvLine(absl::string_view line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else if (c != '\r' || quoted) {
      cells.back() += c;
    }
  }
  return cells;
}

std::string CsvHeader(size_t features) {
  std::string header = absl::StrJoin(kFixedColumns, ",");
  for (size_t f = 0; f < features; ++f) absl::StrAppend(&header, ",count_", f);
  return absl::StrCat(header, ",error\n");
}

std::string CsvRow(const SampleResult& r, size_t features) {
  std::string row = absl::StrCat(r.index(), ",", CsvField(r.sample()), ",",
                                 r.has_label() ? absl::StrCat(r.label()) : "",
                                 ",", r.predicted(), ",", r.input_events(), ",",
                                 r.output_spikes(), ",", r.synops());
  for (size_t f = 0; f < features; ++f) {
    absl::StrAppend(&row, ",",
                    f < static_cast<size_t>(r.counts_size())
                        ? absl::StrCat(r.counts(static_cast<int>(f)))
                        : "");
  }
  // One line per sample, even for a multi-line error.
  return absl::StrCat(
      row, ",", CsvField(absl::StrReplaceAll(r.error(), {{"\n", "; "}})), "\n");
}

absl::StatusOr<SampleResult> ParseCsvRow(
    const std::vector<std::string>& header,
    const std::vector<std::string>& cells) {
  if (cells.size() != header.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cells.size(), " fields, the header has ", header.size()));
  }
  SampleResult r;
  auto number = [&](size_t i, uint64_t* v) -> absl::Status {
    if (absl::SimpleAtoi(cells[i], v)) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(header[i], ": '", cells[i], "' is not a count"));
  };
  uint64_t v = 0;
  if (absl::Status s = number(0, &v); !s.ok()) return s;
  r.set_index(v);
  r.set_sample(cells[1]);
  int label = 0, predicted = 0;
  if (!cells[2].empty()) {
    if (!absl::SimpleAtoi(cells[2], &label)) {
      return absl::InvalidArgumentError("label: not a class index");
    }
    r.set_label(label);
  }
  if (!absl::SimpleAtoi(cells[3], &predicted)) {
    return absl::InvalidArgumentError("predicted: not a class index");
  }
  r.set_predicted(predicted);
  for (size_t i = 4; i < kFixed; ++i) {
    if (absl::Status s = number(i, &v); !s.ok()) return s;
    if (i == 4) r.set_input_events(v);
    if (i == 5) r.set_output_spikes(v);
    if (i == 6) r.set_synops(v);
  }
  for (size_t i = kFixed; i + 1 < cells.size(); ++i) {
    if (cells[i].empty()) continue;  // a failed sample
    if (absl::Status s = number(i, &v); !s.ok()) return s;
    r.add_counts(v);
  }
  r.set_error(cells.back());
  return r;
}

absl::StatusOr<DatasetResults> ReadCsv(const std::string& path,
                                       std::istream& in) {
  DatasetResults results;
  std::string line;
  if (!std::getline(in, line)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": empty"));
  }
  const std::vector<std::string> header = SplitCsvLine(line);
  if (header.size() < kFixed + 1 ||
      !std::equal(kFixedColumns, kFixedColumns + kFixed, header.begin()) ||
      header.back() != "error") {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ":1: not a results file of speckctl simulate --dataset "
                     "(header: ",
                     absl::StrJoin(kFixedColumns, ","), ",count_0,...,error)"));
  }
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    absl::StatusOr<SampleResult> r = ParseCsvRow(header, SplitCsvLine(line));
    if (!r.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": ", r.status().message()));
    }
    *results.add_samples() = *std::move(r);
  }
  return results;
}

std::string Percent(double v) { return absl::StrFormat("%.2f%%", 100 * v); }

}  // namespace

void SummaryBuilder::Add(const SampleResult& r) {
  summary_.set_samples(summary_.samples() + 1);
  if (!r.error().empty()) {
    summary_.set_failed(summary_.failed() + 1);
    return;
  }
  summary_.set_input_events(summary_.input_events() + r.input_events());
  summary_.set_synops(summary_.synops() + r.synops());
  if (!r.has_label() || r.label() < 0) return;
  summary_.set_labelled(summary_.labelled() + 1);
  if (r.predicted() == r.label()) summary_.set_correct(summary_.correct() + 1);
  const size_t label = static_cast<size_t>(r.label());
  const size_t predicted = static_cast<size_t>(r.predicted());
  classes_ = std::max(
      {classes_, label + 1, r.predicted() >= 0 ? predicted + 1 : size_t{0}});
  if (confusion_.size() <= label) confusion_.resize(label + 1);
  std::vector<uint64_t>& row = confusion_[label];
  // The last column is "none"; its position moves as classes_ grows.
  const size_t column = r.predicted() >= 0 ? predicted : SIZE_MAX;
  if (column == SIZE_MAX) {
    ++none_[label];
  } else {
    if (row.size() <= column) row.resize(column + 1);
    ++row[column];
  }
}

DatasetSummary SummaryBuilder::Build() const {
  DatasetSummary s = summary_;
  if (s.labelled() > 0) {
    s.set_accuracy(static_cast<double>(s.correct()) /
                   static_cast<double>(s.labelled()));
  }
  if (s.labelled() == 0) return s;
  for (size_t label = 0; label < classes_; ++label) {
    ConfusionRow* row = s.add_confusion();
    for (size_t p = 0; p < classes_; ++p) {
      row->add_counts(label < confusion_.size() && p < confusion_[label].size()
                          ? confusion_[label][p]
                          : 0);
    }
    auto none = none_.find(label);
    row->add_counts(none == none_.end() ? 0 : none->second);
  }
  return s;
}

absl::StatusOr<std::unique_ptr<ResultsWriter>> ResultsWriter::Create(
    const std::string& path, size_t features) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
  }
  const bool json = absl::EndsWithIgnoreCase(path, ".json");
  if (!json) std::fputs(CsvHeader(features).c_str(), f);
  return std::unique_ptr<ResultsWriter>(
      new ResultsWriter(path, f, features, json));
}

ResultsWriter::~ResultsWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void ResultsWriter::Add(const SampleResult& result) {
  if (json_) {
    kept_.push_back(result);
    return;
  }
  std::fputs(CsvRow(result, features_).c_str(), file_);
}

absl::Status ResultsWriter::Finish(DatasetResults results) {
  if (json_) {
    results.clear_samples();
    for (SampleResult& r : kept_) *results.add_samples() = std::move(r);
    kept_.clear();
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(results, &text, options);
    std::fputs(text.c_str(), file_);
  }
  const bool failed = std::fflush(file_) != 0 || std::ferror(file_);
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (failed || close_failed) {
    return absl::DataLossError(
        absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<DatasetResults> ReadResults(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  if (!absl::EndsWithIgnoreCase(path, ".json")) return ReadCsv(path, in);
  std::stringstream text;
  text << in.rdbuf();
  DatasetResults results;
  const auto s = google::protobuf::util::JsonStringToMessage(
      text.str(), &results, google::protobuf::util::JsonParseOptions());
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a results file of speckctl simulate --dataset: ",
        std::string(s.message())));
  }
  return results;
}

absl::StatusOr<DatasetResults> MergeResults(
    const std::vector<std::pair<std::string, DatasetResults>>& shards) {
  if (shards.empty()) return absl::InvalidArgumentError("nothing to merge");
  const DatasetResults& first = shards.front().second;
  DatasetResults merged;
  merged.set_config(first.config());
  merged.set_output_layer(first.output_layer());
  merged.set_shard_count(1);
  merged.set_dataset_samples(first.dataset_samples());
  *merged.mutable_classes() = first.classes();
  auto mismatch = [&](const std::string& file, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", what, " differs from ", shards.front().first,
                     "'s: these are not shards of one run"));
  };
  std::set<uint32_t> shard_seen;
  std::map<uint64_t, const SampleResult*> by_index;
  for (const auto& [file, r] : shards) {
    if (r.config() != first.config()) return mismatch(file, "config");
    if (r.output_layer() != first.output_layer()) {
      return mismatch(file, "output_layer");
    }
    if (r.shard_count() != first.shard_count()) {
      return mismatch(file, "shard count");
    }
    if (r.dataset_samples() != first.dataset_samples()) {
      return mismatch(file, "dataset size");
    }
    if (r.shard_count() > 0 && !shard_seen.insert(r.shard_index()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": shard ", r.shard_index(), "/", r.shard_count(),
                       " is given twice"));
    }
    for (const SampleResult& s : r.samples()) {
      if (!by_index.emplace(s.index(), &s).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(file, ": sample ", s.index(), " (", s.sample(),
                         ") is in two of the files"));
      }
    }
  }
  for (uint32_t i = 0; i < first.shard_count(); ++i) {
    if (shard_seen.count(i) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard ", i, "/", first.shard_count(), " is missing"));
    }
  }
  const uint64_t expected =
      first.dataset_samples() > 0
          ? first.dataset_samples()
          : (by_index.empty() ? 0 : by_index.rbegin()->first + 1);
  if (by_index.size() != expected) {
    std::vector<uint64_t> missing;
    for (uint64_t i = 0; i < expected && missing.size() < 5; ++i) {
      if (by_index.count(i) == 0) missing.push_back(i);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        expected - by_index.size(), " of ", expected, " samples are missing (",
        absl::StrJoin(missing, ", "),
        missing.size() < expected - by_index.size() ? ", ..." : "", ")"));
  }
  merged.set_dataset_samples(expected);
  SummaryBuilder summary(static_cast<size_t>(first.classes_size()));
  for (const auto& [index, s] : by_index) {
    *merged.add_samples() = *s;
    summary.Add(*s);
  }
  *merged.mutable_summary() = summary.Build();
  return merged;
}

std::string FormatSummary(const DatasetResults& results) {
  const DatasetSummary& s = results.summary();
  std::string out =
      absl::StrCat(s.samples(), " samples",
                   results.shard_count() > 1
                       ? absl::StrCat(" (shard ", results.shard_index(), "/",
                                      results.shard_count(), " of ",
                                      results.dataset_samples(), ")")
                       : "",
                   ", ", s.failed(), " failed; ", s.input_events(),
                   " input events, ", s.synops(), " synaptic operations\n");
  if (s.labelled() > 0) {
    absl::StrAppend(&out, "accuracy: ", Percent(s.accuracy()), " (",
                    s.correct(), " of ", s.labelled(), " labelled samples)\n");
    auto name = [&](int i) {
      return i < results.classes_size() ? results.classes(i) : absl::StrCat(i);
    };
    size_t width = 6;
    for (int i = 0; i < s.confusion_size(); ++i) {
      width = std::max(width, name(i).size());
    }
    absl::StrAppend(&out, "confusion (rows: true class, columns: predicted)\n",
                    absl::StrFormat("  %-*s", static_cast<int>(width), ""));
    for (int p = 0; p < s.confusion_size(); ++p) {
      absl::StrAppend(
          &out, absl::StrFormat(" %*s", static_cast<int>(width), name(p)));
    }
    absl::StrAppend(&out,
                    absl::StrFormat(" %*s\n", static_cast<int>(width), "none"));
    for (int t = 0; t < s.confusion_size(); ++t) {
      absl::StrAppend(
          &out, absl::StrFormat("  %-*s", static_cast<int>(width), name(t)));
      for (uint64_t c : s.confusion(t).counts()) {
        absl::StrAppend(&out,
                        absl::StrFormat(" %*d", static_cast<int>(width), c));
      }
      absl::StrAppend(&out, "\n");
    }
  }
  if (s.wall_seconds() > 0) {
    absl::StrAppend(
        &out, "throughput: ", HumanCount(s.samples_per_second()),
        " samples/s, ", HumanCount(s.events_per_second()), " events/s, ",
        HumanCount(static_cast<double>(s.synops()) / s.wall_seconds()),
        " SynOps/s on ", s.threads(), s.threads() == 1 ? " thread" : " threads",
        absl::StrFormat(" (%.2f s)\n", s.wall_seconds()));
  }
  return out;
}

}  // namespace speckd::cli
