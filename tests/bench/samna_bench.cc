// Events through the samna bridge end to end, on the samna double (samna
// cannot be installed here): SamnaDevice -> bridge (samna objects made from
// columns) -> the double's board (speckd's chip model) -> output objects ->
// bridge (columns) -> SamnaDevice. The inputs are stamped 1 µs apart, far
// denser than the chain can play them, so it runs as fast as it can; the
// figure is input events written and output spikes read per second (the
// tutorial network makes one output per input). Goal: >= 0.3 M events/s.
// The bridge's own share next to samna's objects: samna_bridge_bench.py.
//
//   bazel run -c opt //tests/bench:samna_bench -- --events=400000
#include <algorithm>
#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "driver/board.h"
#include "driver/samna/samna_bus.h"
#include "driver/util/mutex.h"
#include "tests/bench/networks.h"
#include "tests/samna_double/samna_double.h"

ABSL_FLAG(int64_t, events, 400000, "input events (spikes into core 0)");
ABSL_FLAG(int64_t, repetitions, 3, "runs; the median is reported");

namespace speckd::bench {
namespace {

class FirstBoard final : public driver::BoardListener {
 public:
  void OnBoardArrived(driver::Board board) override {
    MutexLock lock(&mu_);
    if (board.device != nullptr && board_.device == nullptr)
      board_ = std::move(board);
    cv_.SignalAll();
  }
  void OnBoardLeft(const std::string&, const std::string& why) override {
    std::fprintf(stderr, "samna_bench: board left: %s\n", why.c_str());
  }
  driver::Device* Wait() {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    MutexLock lock(&mu_);
    while (board_.device == nullptr) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) return nullptr;
    }
    return board_.device.get();
  }
  void Clear() {
    MutexLock lock(&mu_);
    board_ = driver::Board();
  }

 private:
  Mutex mu_;
  CondVar cv_;
  driver::Board board_;
};

class Counter final : public driver::OutputListener {
 public:
  void OnOutput(const driver::DeviceOutput& output) override {
    MutexLock lock(&mu_);
    spikes_ += output.events.spikes.size();
    if (spikes_ >= target_) cv_.SignalAll();
  }
  void Expect(uint64_t n) {
    MutexLock lock(&mu_);
    spikes_ = 0;
    target_ = n;
  }
  bool Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (spikes_ < target_) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) return false;
    }
    return true;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  uint64_t spikes_ = 0;
  uint64_t target_ = 0;
};

int Main() {
  testing::SamnaDouble samna("samna_bench");
  samna.SetEnvironment();
  driver::samna::SamnaBusOptions options;
  options.python = "/usr/bin/python3";
  options.work_dir = samna.WorkDir();
  FirstBoard boards;
  std::unique_ptr<driver::samna::SamnaBus> bus =
      driver::samna::SamnaBus::Start(options, &boards);
  driver::Device* device = boards.Wait();
  if (device == nullptr) {
    std::fprintf(stderr, "samna_bench: no board from the samna double\n");
    return 1;
  }
  Counter counter;
  device->SetOutputListener(&counter);
  if (!device->ApplyConfiguration(TutorialNetwork()).ok()) return 1;
  const size_t n = static_cast<size_t>(absl::GetFlag(FLAGS_events));
  std::vector<double> rates;
  for (int64_t r = 0; r < absl::GetFlag(FLAGS_repetitions); ++r) {
    counter.Expect(n);
    if (!device->SetStopWatch(true, /*reset=*/true).ok()) return 1;
    const absl::Time start = absl::Now();
    if (!device->Write(TutorialInput(n), absl::Now() + absl::Seconds(60)).ok())
      return 1;
    if (!counter.Wait(absl::Minutes(5))) {
      std::fprintf(stderr, "samna_bench: outputs missing\n");
      return 1;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    rates.push_back(static_cast<double>(n) / seconds);
    std::printf(
        "run %lld: %zu events written and %zu read in %.3f s: %.3f M "
        "events/s\n",
        static_cast<long long>(r + 1), n, n, seconds, rates.back() / 1e6);
  }
  std::sort(rates.begin(), rates.end());
  const double median = rates[rates.size() / 2];
  std::printf(
      "samna_bridge_events/s %.0f (median of %zu; goal >= 300000: %s)\n",
      median, rates.size(), median >= 3e5 ? "met" : "NOT met");
  device->SetOutputListener(nullptr);
  boards.Clear();
  return 0;
}

}  // namespace
}  // namespace speckd::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return speckd::bench::Main();
}
