// `speckctl simulate`: one event file, a whole dataset (--dataset, on every
// core, optionally one --shard of it), or `simulate merge` of shards.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "clients/cli/command.h"
#include "clients/cli/dataset.h"
#include "clients/cli/dataset_results.h"
#include "clients/cli/dataset_run.h"
#include "clients/cli/display.h"
#include "clients/cli/flags.h"
#include "clients/cli/output.h"
#include "clients/cli/simulate.h"
#include "driver/chip/accumulate.h"

namespace speckd::cli {
namespace {

constexpr const char* kName = "simulate";

std::optional<double> SlowClockOverride() {
  const double hz = absl::GetFlag(FLAGS_slow_clock_hz);
  return hz >= 0 ? std::optional<double>(hz) : std::nullopt;
}

void PrintNotes(const std::string& config,
                const std::vector<chip::ConfigProblem>& notes) {
  for (const chip::ConfigProblem& note : notes) {
    Note(absl::StrCat(config, ": ", note.ToString()));
  }
}

int RunOneFile(const std::vector<std::string>& args) {
  SimulateOptions options;
  options.config_path = absl::GetFlag(FLAGS_config);
  options.events_path = absl::GetFlag(FLAGS_events);
  if (options.config_path.empty() || options.events_path.empty() ||
      args.size() != 1) {
    return UsageError(kName,
                      "needs --config, --events (or --dataset) and OUT.csv");
  }
  options.output_path = args[0];
  options.slow_clock_hz = SlowClockOverride();
  if (absl::GetFlag(FLAGS_until_us) >= 0) {
    options.until_us = static_cast<uint64_t>(absl::GetFlag(FLAGS_until_us));
  }
  absl::StatusOr<SimulateSummary> summary = Simulate(options);
  if (!summary.ok()) return Fail(summary.status());
  PrintNotes(options.config_path, summary->notes);
  std::string per_core;
  for (int i = 0; i < chip::kNumCores; ++i) {
    if (summary->core_spikes[i] == 0) continue;
    absl::StrAppend(&per_core, per_core.empty() ? "" : ", ", "core ", i, ": ",
                    summary->core_spikes[i]);
    // Per feature, for a monitored core with few of them (the classes of
    // an output layer): [12475, 12526] for the tutorial.
    const std::vector<uint64_t>& counts = summary->monitored[i];
    if (!counts.empty() && counts.size() <= 16) {
      absl::StrAppend(&per_core, " [", absl::StrJoin(counts, ", "), "]");
    }
  }
  Note(absl::StrCat("simulated ", summary->input_events,
                    " input events up to t=", summary->end_us, " us in ",
                    absl::StrFormat("%.3f", summary->wall_seconds),
                    " s: ", summary->output_spikes,
                    " output spikes written to ", options.output_path,
                    " (neuron spikes ", per_core.empty() ? "none" : per_core,
                    "; ", summary->synops, " synaptic operations)"));
  return kExitOk;
}

// "I/N" with 0 <= I < N.
absl::Status ParseShard(absl::string_view text, uint32_t* index,
                        uint32_t* count) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], index) ||
      !absl::SimpleAtoi(parts[1], count) || *count == 0 || *index >= *count) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard=", text,
                     ": expected I/N with 0 <= I < N, e.g. --shard=0/4 (Slurm: "
                     "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)"));
  }
  return absl::OkStatus();
}

// The first failures, to print by name.
constexpr size_t kFailuresShown = 5;

void KeepFailure(const SampleResult& r, std::vector<std::string>* failures) {
  if (!r.error().empty() && failures->size() < kFailuresShown) {
    failures->push_back(r.error());
  }
}

// Prints the summary and the failures; returns the exit code.
int Conclude(const DatasetResults& results,
             const std::vector<std::string>& failures, const std::string& out) {
  std::fputs(FormatSummary(results).c_str(), stdout);
  std::fflush(stdout);
  const uint64_t failed = results.summary().failed();
  if (failed == 0) return kExitOk;
  for (const std::string& error : failures) Note(error);
  Note(absl::StrCat(failed, " of ", results.summary().samples(),
                    " samples could not run (their error column in ", out,
                    " says why); the others are in the results"));
  return kExitFailure;
}

int RunDatasetMode(const std::vector<std::string>& args) {
  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty() || args.size() != 1) {
    return UsageError(kName, "needs --config, --dataset and RESULTS.csv");
  }
  uint32_t shard = 0, shards = 1;
  if (!absl::GetFlag(FLAGS_shard).empty()) {
    absl::Status s = ParseShard(absl::GetFlag(FLAGS_shard), &shard, &shards);
    if (!s.ok()) return UsageError(kName, s.message());
  }
  std::vector<chip::ConfigProblem> notes;
  absl::StatusOr<chip::SpeckConfig> config =
      LoadSimulationConfig(config_path, SlowClockOverride(), &notes);
  if (!config.ok()) return Fail(config.status());
  PrintNotes(config_path, notes);
  const int64_t layer_flag = absl::GetFlag(FLAGS_output_layer);
  absl::StatusOr<int> layer = ChooseOutputLayer(
      *config, layer_flag >= 0
                   ? std::optional<int>(static_cast<int>(layer_flag))
                   : std::nullopt);
  if (!layer.ok()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat(config_path, ": ", layer.status().message())));
  }
  absl::StatusOr<Dataset> dataset = ListDataset(
      {absl::GetFlag(FLAGS_dataset), absl::GetFlag(FLAGS_label_file),
       SplitList(absl::GetFlag(FLAGS_labels))});
  if (!dataset.ok()) return Fail(dataset.status());
  if (dataset->classes_sorted_by_name) {
    std::vector<std::string> mapping;
    for (size_t i = 0; i < dataset->classes.size(); ++i) {
      mapping.push_back(absl::StrCat(dataset->classes[i], "=", i));
    }
    Note(absl::StrCat("classes from folder names, in sorted order: ",
                      absl::StrJoin(mapping, ", "),
                      " (feature N of the output layer is class N; "
                      "--labels=NAME,... gives another order)"));
  }

  if (dataset->unlabelled > 0) {
    const bool one = dataset->unlabelled == 1;
    Note(absl::StrCat(
        dataset->unlabelled, one ? " sample" : " samples",
        " outside every class folder (", dataset->first_unlabelled,
        one ? "" : ", ...", ") ", one ? "has" : "have",
        " no label: counted in the results, not in the accuracy "
        "(move ",
        one ? "it" : "them", " into a class folder, or give --label_file)"));
  }
  DatasetRunOptions options;
  options.config = *config;
  options.output_layer = *layer;
  options.threads = absl::GetFlag(FLAGS_threads) > 0
                        ? static_cast<int>(absl::GetFlag(FLAGS_threads))
                        : UsableCores();
  options.indices = ShardIndices(dataset->samples.size(), shard, shards);
  const size_t features =
      config->cnn_layers[*layer].dimensions.output_shape.feature_count;
  absl::StatusOr<std::unique_ptr<ResultsWriter>> writer =
      ResultsWriter::Create(args[0], features);
  if (!writer.ok()) return Fail(writer.status());

  SummaryBuilder summary(dataset->classes.size());
  std::vector<std::string> failures;
  Progress progress(stderr, isatty(fileno(stderr)) != 0,
                    options.indices.size());
  progress.set_unit(ProgressUnit::kSamples);
  const absl::Time start = absl::Now();
  absl::Status run =
      RunDataset(*dataset, options, [&](const SampleResult& r, size_t done) {
        (*writer)->Add(r);
        summary.Add(r);
        KeepFailure(r, &failures);
        progress.Update(done);
      });
  if (!run.ok()) return Fail(run);
  progress.Finish(options.indices.size());
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  DatasetResults results;
  results.set_config(config_path);
  results.set_output_layer(*layer);
  results.set_shard_index(shard);
  results.set_shard_count(shards);
  results.set_dataset_samples(dataset->samples.size());
  for (const std::string& c : dataset->classes) results.add_classes(c);
  *results.mutable_summary() = summary.Build();
  DatasetSummary* s = results.mutable_summary();
  s->set_threads(static_cast<uint32_t>(options.threads));
  s->set_wall_seconds(seconds);
  s->set_events_per_second(static_cast<double>(s->input_events()) / seconds);
  s->set_samples_per_second(static_cast<double>(s->samples()) / seconds);
  if (absl::Status done = (*writer)->Finish(results); !done.ok()) {
    return Fail(done);
  }
  return Conclude(results, failures, args[0]);
}

int RunMerge(const std::vector<std::string>& args) {
  if (args.size() < 3) {
    return UsageError(kName, "merge needs the shards' results and OUT");
  }
  std::vector<std::pair<std::string, DatasetResults>> shards;
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    absl::StatusOr<DatasetResults> r = ReadResults(args[i]);
    if (!r.ok()) return Fail(r.status());
    shards.emplace_back(args[i], *std::move(r));
  }
  absl::StatusOr<DatasetResults> merged = MergeResults(shards);
  if (!merged.ok()) return Fail(merged.status());
  const std::string& out = args.back();
  size_t widest = 0;
  for (const SampleResult& r : merged->samples()) {
    widest = std::max(widest, static_cast<size_t>(r.counts_size()));
  }
  absl::StatusOr<std::unique_ptr<ResultsWriter>> writer =
      ResultsWriter::Create(out, widest);
  if (!writer.ok()) return Fail(writer.status());
  std::vector<std::string> failures;
  for (const SampleResult& r : merged->samples()) {
    (*writer)->Add(r);
    KeepFailure(r, &failures);
  }
  if (absl::Status s = (*writer)->Finish(*merged); !s.ok()) return Fail(s);
  return Conclude(*merged, failures, out);
}

int RunSimulate(const std::vector<std::string>& args) {
  const std::string format = absl::GetFlag(FLAGS_output);
  if (!format.empty() && !ParseFormat(format).ok()) {
    return UsageError(kName,
                      absl::StrCat("--output is the output format (table, "
                                   "json, csv); give the output file as the "
                                   "last argument: ... ",
                                   format));
  }
  if (!args.empty() && args[0] == "merge") return RunMerge(args);
  // A $SPECKD_CHIP_ISA the model could not follow: said, not fatal.
  if (const std::string isa = chip::ChosenIsaProblem(); !isa.empty()) {
    Note(isa);
  }
  if (!absl::GetFlag(FLAGS_dataset).empty()) return RunDatasetMode(args);
  return RunOneFile(args);
}

}  // namespace

const Command kSimulateCommand = {
    "simulate", "run the chip model offline on an event file or a dataset",
    "usage: speckctl simulate --config=CONFIG.json --events=EVENTS OUT.csv\n"
    "           [--slow_clock_hz=N] [--until_us=T]\n"
    "       speckctl simulate --config=CONFIG.json --dataset=DIR|LIST.txt\n"
    "           RESULTS.csv|RESULTS.json [--label_file=LABELS.csv]\n"
    "           [--labels=NAME,...] [--threads=N] [--shard=I/N]\n"
    "           [--output_layer=N] [--slow_clock_hz=N]\n"
    "       speckctl simulate merge SHARD_RESULTS... OUT.csv|OUT.json\n"
    "\n"
    "Runs the Speck2e chip model in this process, as fast as possible (no\n"
    "daemon needed). CONFIG.json is a SpeckConfiguration in samna's field\n"
    "names. Event files: CSV ('timestamp_us,x,y,p' DvsEvents or\n"
    "'timestamp_us,layer,feature,x,y' Spikes into a core), NumPy .npy/.npz\n"
    "(t, x, y, p), HDF5 (.h5: datasets t, x, y, p) or AEDAT 4 (.aedat4).\n"
    "With --events, OUT.csv gets every monitored output spike in emission\n"
    "order.\n"
    "\n"
    "With --dataset, every event file in DIR (or listed in LIST.txt) runs\n"
    "from a fresh chip, on --threads cores (default: all); RESULTS gets one\n"
    "row per sample: spike counts per output feature, the predicted class\n"
    "(most spikes), synops. Labels: --label_file (file,label) or folder\n"
    "names (DIR/CLASS/sample.npy); then the summary shows accuracy and the\n"
    "confusion matrix. A sample that cannot run is reported by name and the\n"
    "rest go on (exit status 1). --shard=I/N runs every N-th sample from\n"
    "the I-th, for job arrays; 'merge' joins the shards' results (JSON\n"
    "results also check that no shard is missing). docs/datasets.md.\n"
    "\n"
    "examples:\n"
    "  speckctl simulate --config=examples/tutorial/config.json \\\n"
    "      --events=examples/tutorial/events.csv /tmp/out.csv\n"
    "  speckctl simulate --config=net.json --dataset=test/ results.csv\n"
    "  speckctl simulate --config=net.json --dataset=test/ --shard=3/8 "
    "s3.json\n"
    "  speckctl simulate merge s*.json results.csv\n",
    RunSimulate};

}  // namespace speckd::cli
