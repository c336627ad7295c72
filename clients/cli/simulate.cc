#include "clients/cli/simulate.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/cli/event_csv.h"
#include "clients/cli/event_file.h"
#include "driver/chip/model.h"
#include "proto/codec/config_codec.h"

namespace speckd::cli {
namespace {

// Flushes output to the file in blocks so memory stays flat on long runs.
constexpr size_t kWriteBlock = size_t{1} << 12;

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};

}  // namespace

absl::StatusOr<chip::SpeckConfig> LoadSimulationConfig(
    const std::string& path, std::optional<double> slow_clock_hz,
    std::vector<chip::ConfigProblem>* notes) {
  absl::StatusOr<chip::SpeckConfig> config = codec::LoadConfigFile(path);
  if (!config.ok()) return config.status();
  if (slow_clock_hz.has_value()) {
    config->slow_clock.enable = *slow_clock_hz > 0;
    config->slow_clock.rate_hz = *slow_clock_hz;
  }
  chip::ValidationReport report = chip::Validate(*config);
  std::string errors;
  int error_count = 0;
  for (const chip::ConfigProblem& p : report.problems) {
    if (p.severity == chip::ConfigProblem::Severity::kError) {
      absl::StrAppend(&errors, error_count++ ? "\n" : "", path, ": ",
                      p.ToString());
    } else {
      notes->push_back(p);
    }
  }
  if (error_count > 0) return absl::InvalidArgumentError(errors);
  return config;
}

absl::StatusOr<SimulateSummary> Simulate(const SimulateOptions& options) {
  const absl::Time start = absl::Now();
  SimulateSummary summary;
  absl::StatusOr<chip::SpeckConfig> config = LoadSimulationConfig(
      options.config_path, options.slow_clock_hz, &summary.notes);
  if (!config.ok()) return config.status();

  absl::StatusOr<std::vector<chip::InputEvent>> events =
      ReadInputEvents(options.events_path, *config);
  if (!events.ok()) return events.status();

  absl::StatusOr<std::unique_ptr<chip::ChipModel>> model =
      chip::ChipModel::Create(*config);
  if (!model.ok()) return model.status();

  std::unique_ptr<std::FILE, FileCloser> out(
      std::fopen(options.output_path.c_str(), "w"));
  if (out == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        options.output_path, ": cannot write: ", std::strerror(errno)));
  }
  WriteSpikeCsvHeader(out.get());

  for (int i = 0; i < chip::kNumCores; ++i) {
    const chip::CnnLayerConfig& core = config->cnn_layers[i];
    if (core.monitor_enable) {
      summary.monitored[i].resize(core.dimensions.output_shape.feature_count);
    }
  }
  chip::OutputBatch batch;
  auto drain = [&] {
    WriteSpikeCsv(batch.spikes, out.get());
    for (const chip::Spike& spike : batch.spikes) {
      if (spike.layer >= chip::kNumCores) continue;  // DVS, readout
      std::vector<uint64_t>& counts = summary.monitored[spike.layer];
      if (counts.size() <= spike.feature) counts.resize(spike.feature + 1u);
      ++counts[spike.feature];
    }
    summary.output_spikes += batch.spikes.size();
    summary.readout_values += batch.readout_values.size();
    batch.clear();
  };
  for (const chip::InputEvent& input : *events) {
    (*model)->Process(input, &batch);
    if (batch.spikes.size() >= kWriteBlock) drain();
  }
  uint64_t end = events->empty() ? 0 : events->back().timestamp_us;
  if (options.until_us.has_value()) end = *options.until_us;
  (*model)->AdvanceTo(end, &batch);
  drain();
  if (std::fflush(out.get()) != 0 || std::ferror(out.get())) {
    return absl::DataLossError(absl::StrCat(
        options.output_path, ": write failed: ", std::strerror(errno)));
  }

  const chip::ModelStats& stats = (*model)->stats();
  summary.input_events = events->size();
  summary.end_us = end;
  summary.synops = stats.TotalSynops();
  for (int i = 0; i < chip::kNumCores; ++i) {
    summary.core_spikes[i] = stats.cores[i].spikes;
  }
  summary.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace speckd::cli
