// `speckctl simulate --dataset` throughput by thread count, in one run:
// a generated dataset (random 128x128 DVS samples as CSV files, the
// gesture-like 4-core network) through the dataset runner with 1, 2, ... N
// threads, file reading included. Prints the scaling curve and each
// throughput as a multiple of one thread's (the goal: >= 0.9 x threads).
//
//   bazel run -c opt //tests/bench:dataset_bench -- --samples=48 --events=60000
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/cli/dataset.h"
#include "clients/cli/dataset_run.h"
#include "tests/bench/networks.h"

ABSL_FLAG(int64_t, samples, 48, "samples in the dataset");
ABSL_FLAG(int64_t, events, 60000, "DVS events per sample");
ABSL_FLAG(int64_t, max_threads, 0, "largest thread count (default: cores)");

namespace speckd::bench {
namespace {

void WriteSample(const std::string& path, size_t events, uint32_t seed) {
  std::ofstream out(path);
  out << "timestamp_us,x,y,p\n";
  for (const chip::InputEvent& e : RandomDvsInput(events, seed)) {
    out << e.timestamp_us << ',' << int{e.x} << ',' << int{e.y} << ','
        << int{e.p} << '\n';
  }
}

struct Figures {
  double seconds = 0;
  uint64_t events = 0;
  uint64_t synops = 0;
};

Figures Run(const cli::Dataset& dataset, int threads) {
  cli::DatasetRunOptions options;
  options.config = GestureNetwork();
  options.output_layer = 3;
  options.threads = threads;
  options.indices = cli::ShardIndices(dataset.samples.size(), 0, 1);
  Figures f;
  const absl::Time start = absl::Now();
  absl::Status s = cli::RunDataset(
      dataset, options, [&](const cli::SampleResult& r, size_t) {
        if (!r.error().empty()) std::fprintf(stderr, "%s\n", r.error().c_str());
        f.events += r.input_events();
        f.synops += r.synops();
      });
  f.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return f;
}

int Main() {
  char dir[] = "/tmp/speckd-dataset-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  const int samples = static_cast<int>(absl::GetFlag(FLAGS_samples));
  for (int i = 0; i < samples; ++i) {
    WriteSample(absl::StrCat(dir, "/s", i, ".csv"),
                static_cast<size_t>(absl::GetFlag(FLAGS_events)),
                static_cast<uint32_t>(i + 1));
  }
  absl::StatusOr<cli::Dataset> dataset = cli::ListDataset({dir, "", {}});
  if (!dataset.ok()) return 1;
  const int cores = cli::UsableCores();
  const int max_threads =
      absl::GetFlag(FLAGS_max_threads) > 0
          ? static_cast<int>(absl::GetFlag(FLAGS_max_threads))
          : cores;
  std::printf(
      "dataset: %d samples x %lld DVS events (CSV), gesture-like 4-core "
      "network; %d usable cores\n",
      samples, static_cast<long long>(absl::GetFlag(FLAGS_events)), cores);
  std::printf("%8s %12s %14s %12s %10s\n", "threads", "samples/s", "M events/s",
              "G SynOps/s", "x 1 thread");
  Run(*dataset, 1);  // warm the page cache
  double one = 0;
  for (int threads = 1; threads <= max_threads; ++threads) {
    const Figures f = Run(*dataset, threads);
    const double rate = samples / f.seconds;
    if (threads == 1) one = rate;
    std::printf("%8d %12.1f %14.2f %12.2f %10.2f%s\n", threads, rate,
                f.events / f.seconds / 1e6, f.synops / f.seconds / 1e9,
                rate / one, rate / one >= 0.9 * threads ? "" : "  (< 0.9 x)");
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace speckd::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return speckd::bench::Main();
}
