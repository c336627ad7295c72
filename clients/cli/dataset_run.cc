#include "clients/cli/dataset_run.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/event_file.h"
#include "driver/chip/model.h"
#include "driver/util/mutex.h"

namespace speckd::cli {
namespace {

// Outputs are counted and dropped every block, so memory stays flat.
constexpr size_t kBlock = 4096;

SampleResult RunSample(chip::ChipModel& model, const Sample& sample,
                       int output_layer, size_t features) {
  SampleResult result;
  result.set_sample(sample.name);
  if (sample.label.has_value()) result.set_label(*sample.label);
  result.set_predicted(-1);
  absl::StatusOr<std::vector<chip::InputEvent>> inputs =
      ReadInputEvents(sample.path, model.config());
  if (!inputs.ok()) {
    result.set_error(std::string(inputs.status().message()));
    return result;
  }
  model.Reset();
  std::vector<uint64_t> counts(features, 0);
  chip::OutputBatch out;
  auto count = [&] {
    for (const chip::Spike& s : out.spikes) {
      if (s.layer == output_layer && s.feature < features) ++counts[s.feature];
    }
    out.clear();
  };
  for (size_t i = 0; i < inputs->size(); i += kBlock) {
    model.Process(&(*inputs)[i], std::min(kBlock, inputs->size() - i), &out);
    count();
  }
  if (!inputs->empty()) model.AdvanceTo(inputs->back().timestamp_us, &out);
  count();
  uint64_t total = 0;
  for (size_t f = 0; f < features; ++f) {
    result.add_counts(counts[f]);
    total += counts[f];
    if (counts[f] > 0 &&
        (result.predicted() < 0 || counts[f] > counts[result.predicted()])) {
      result.set_predicted(static_cast<int>(f));
    }
  }
  result.set_output_spikes(total);
  result.set_input_events(inputs->size());
  result.set_synops(model.stats().TotalSynops());
  return result;
}

// Hands out samples to workers and passes results on in order.
class Scheduler {
 public:
  Scheduler(const DatasetRunOptions& options, const ResultSink& sink)
      : options_(options), sink_(sink), pending_(options.indices.size()) {}

  // The next position in options.indices to run, or nullopt when done.
  std::optional<size_t> Next() {
    const size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= options_.indices.size()) return std::nullopt;
    return i;
  }

  void Done(size_t position, SampleResult result) {
    MutexLock lock(&mu_);
    pending_[position] = std::move(result);
    while (emitted_ < pending_.size() && pending_[emitted_].has_value()) {
      ++emitted_;
      sink_(*pending_[emitted_ - 1], emitted_);
      pending_[emitted_ - 1].reset();
    }
  }

 private:
  const DatasetRunOptions& options_;
  const ResultSink& sink_;
  std::atomic<size_t> next_{0};
  // Guards the reorder buffer and the sink (called under it, so never
  // concurrently). No other lock is taken while it is held.
  Mutex mu_;
  std::vector<std::optional<SampleResult>> pending_ ABSL_GUARDED_BY(mu_);
  size_t emitted_ ABSL_GUARDED_BY(mu_) = 0;
};

void Work(chip::ChipModel& model, const Dataset& dataset,
          const DatasetRunOptions& options, Scheduler& scheduler) {
  const size_t features =
      static_cast<size_t>(options.config.cnn_layers[options.output_layer]
                              .dimensions.output_shape.feature_count);
  while (std::optional<size_t> position = scheduler.Next()) {
    const size_t index = options.indices[*position];
    SampleResult r = RunSample(model, dataset.samples[index],
                               options.output_layer, features);
    r.set_index(index);
    scheduler.Done(*position, std::move(r));
  }
}

}  // namespace

absl::StatusOr<int> ChooseOutputLayer(const chip::SpeckConfig& config,
                                      std::optional<int> requested) {
  std::vector<int> monitored;
  for (int i = 0; i < chip::kNumCores; ++i) {
    if (config.cnn_layers[i].InUse() && config.cnn_layers[i].monitor_enable) {
      monitored.push_back(i);
    }
  }
  if (requested.has_value()) {
    if (std::find(monitored.begin(), monitored.end(), *requested) ==
        monitored.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--output_layer=", *requested,
          ": not a core in use with monitor_enable (those are: ",
          monitored.empty() ? "none" : absl::StrJoin(monitored, ", "), ")"));
    }
    return *requested;
  }
  if (monitored.size() == 1) return monitored[0];
  if (monitored.empty()) {
    return absl::InvalidArgumentError(
        "no core has monitor_enable, so no spikes come out to count: set "
        "cnn_layers[N].monitor_enable on the output layer");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cores ", absl::StrJoin(monitored, ", "),
                   " are all monitored: say which one is the output with "
                   "--output_layer=N"));
}

absl::Status RunDataset(const Dataset& dataset,
                        const DatasetRunOptions& options,
                        const ResultSink& sink) {
  const int threads = std::max(
      1,
      std::min<int>(options.threads, static_cast<int>(options.indices.size())));
  std::vector<std::unique_ptr<chip::ChipModel>> models;
  for (int i = 0; i < threads; ++i) {
    absl::StatusOr<std::unique_ptr<chip::ChipModel>> m =
        chip::ChipModel::Create(options.config);
    if (!m.ok()) return m.status();
    models.push_back(*std::move(m));
  }
  Scheduler scheduler(options, sink);
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) {
    workers.emplace_back(
        [&, i] { Work(*models[i], dataset, options, scheduler); });
  }
  Work(*models[0], dataset, options, scheduler);
  for (std::thread& t : workers) t.join();
  return absl::OkStatus();
}

int UsableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    return std::max(1, CPU_COUNT(&set));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace speckd::cli
