// speckd over loopback gRPC, measured from outside: the real binary runs as a
// child process (so its CPU time and memory are its own, read from /proc)
// and this program drives it as clients would.
//
//   bazel run //tests/bench:speckd_bench
//   bazel run //tests/bench:speckd_bench -- --events=5000000
//   --latency_seconds=2
//
// Prints: start-to-SERVING time and idle RSS; ingest rate into the tutorial
// network (as fast as possible); spike-stream rate to 1 and to 8 subscribers
// with the daemon's CPU seconds for each; write-to-spike latency percentiles
// at a fixed input rate in real-time pacing.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "proto/codec/config_codec.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "tests/bench/networks.h"
#include "tests/grpc/probes.h"
#include "tests/util/subprocess.h"

ABSL_FLAG(std::string, speckd, "",
          "Path of the speckd binary (default: runfiles).");
ABSL_FLAG(std::string, address, "",
          "Drive a speckd already listening here (started with "
          "--sim_pacing=as_fast_as_possible) instead of starting one; "
          "--pid names it for CPU and memory figures.");
ABSL_FLAG(int, pid, 0, "Process id of the speckd at --address.");
ABSL_FLAG(std::string, runs, "ingest,stream,latency",
          "Which measurements to run (comma-separated).");
ABSL_FLAG(int64_t, events, 20000000, "Events per throughput run.");
ABSL_FLAG(int64_t, batch, 100000, "Events per write message.");
ABSL_FLAG(int64_t, latency_rate, 1000000,
          "Input events per second for the latency run.");
ABSL_FLAG(double, latency_seconds, 3, "Length of the latency run.");
ABSL_FLAG(int64_t, latency_write_ms, 5,
          "Milliseconds of events per write in the latency run (written that "
          "much plus 2 ms ahead of the stop watch).");
ABSL_FLAG(std::string, latency_dump, "",
          "Write 'timestamp_us latency_us' per spike of the latency run here.");

namespace speckd::bench {
namespace {

namespace v1 = ::speckd::v1;

struct ProcessUsage {
  double cpu_seconds = 0;
  double rss_mb = 0;
};

ProcessUsage Usage(pid_t pid) {
  ProcessUsage usage;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  // Fields after the ")" of the command name; utime and stime are 14 and 15.
  std::vector<std::string> fields =
      absl::StrSplit(text.substr(text.rfind(')') + 2), ' ');
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  usage.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      usage.rss_mb = std::stod(line.substr(6)) / 1024.0;
    }
  }
  return usage;
}

// Reads a stream and counts spikes and drops without keeping messages.
class SpikeCounter {
 public:
  // With `t0` (when the stop watch read 0), records each spike's latency from
  // the later of its due time and the time its batch was written (`written`,
  // per millisecond of timestamps; a batch written late cannot be early).
  // LOSSLESS needs the device's lease: `lease`.
  SpikeCounter(v1::EventService::Stub* stub, v1::OverflowPolicy policy,
               const std::string& lease, uint64_t origin_us = 0,
               absl::Time t0 = absl::InfinitePast(),
               const std::vector<std::atomic<int64_t>>* written = nullptr)
      : written_(written) {
    if (written != nullptr) {
      // Growing these while reading would stall the reader for milliseconds.
      latencies_us_.reserve(written->size() * 2000);
      stamps_us_.reserve(written->size() * 2000);
    }
    v1::SubscribeEventsRequest request;
    request.mutable_options()->set_overflow_policy(policy);
    request.mutable_options()->set_lease_id(lease);
    reader_ = stub->SubscribeEvents(&context_, request);
    reader_->WaitForInitialMetadata();
    thread_ = std::thread([this, origin_us, t0] {
      v1::StreamMessage message;
      while (reader_->Read(&message)) {
        const absl::Time now = absl::Now();
        const int n = message.spikes().timestamp_us_size();
        dropped_ += message.dropped_since_last();
        if (t0 != absl::InfinitePast()) {
          for (int i = 0; i < n; ++i) {
            // When the stop watch reached the spike's input: t0 + t.
            const uint64_t t = message.spikes().timestamp_us(i) - origin_us;
            absl::Time due = t0 + absl::Microseconds(static_cast<int64_t>(t));
            if (written_ != nullptr && t / 1000 < written_->size()) {
              due = std::max(
                  due, absl::FromUnixMicros((*written_)[t / 1000].load()));
            }
            latencies_us_.push_back(absl::ToDoubleMicroseconds(now - due));
            stamps_us_.push_back(message.spikes().timestamp_us(i));
          }
        }
        spikes_ += static_cast<uint64_t>(n);
      }
      reader_->Finish();
    });
  }
  ~SpikeCounter() {
    context_.TryCancel();
    if (thread_.joinable()) thread_.join();
  }
  uint64_t spikes() const { return spikes_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  bool WaitFor(uint64_t n, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (spikes() < n && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return spikes() >= n;
  }
  // Valid after the stream ended (destructor) or when no more reads happen.
  std::vector<double> latencies() {
    context_.TryCancel();
    if (thread_.joinable()) thread_.join();
    return latencies_us_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::StreamMessage>> reader_;
  std::atomic<uint64_t> spikes_{0};
  std::atomic<uint64_t> dropped_{0};
  std::vector<double> latencies_us_;
  const std::vector<std::atomic<int64_t>>* written_;
  std::thread thread_;

 public:
  std::vector<uint64_t> stamps_us_;
};

class Bench {
 public:
  explicit Bench(std::shared_ptr<grpc::Channel> channel)
      : devices_(v1::DeviceService::NewStub(channel)),
        config_(v1::ConfigService::NewStub(channel)),
        events_(v1::EventService::NewStub(channel)) {}

  // Takes the device's lease and applies the tutorial network; the reason
  // when it cannot (e.g. someone else holds the lease of a --address daemon).
  grpc::Status Setup() {
    grpc::ClientContext c1;
    v1::AcquireLeaseRequest acquire;
    acquire.set_holder("speckd_bench");
    acquire.set_ttl_ms(600000);
    v1::Lease lease;
    grpc::Status status = devices_->AcquireLease(&c1, acquire, &lease);
    if (!status.ok()) return status;
    lease_ = lease.lease_id();
    grpc::ClientContext c2;
    v1::ApplyConfigurationRequest apply;
    apply.set_lease_id(lease_);
    codec::ToProto(TutorialNetwork(), apply.mutable_configuration());
    v1::ApplyConfigurationResponse applied;
    return config_->ApplyConfiguration(&c2, apply, &applied);
  }

  // Leaves a shared daemon usable for the next run.
  ~Bench() {
    if (lease_.empty()) return;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    v1::ReleaseLeaseRequest release;
    release.set_lease_id(lease_);
    v1::ReleaseLeaseResponse released;
    (void)devices_->ReleaseLease(&context, release, &released);
  }

  // Pre-encoded batches of tutorial inputs with timestamps from next_t_.
  std::vector<v1::WriteEventsRequest> Batches(int64_t n, int64_t batch) {
    std::vector<v1::WriteEventsRequest> out;
    const std::vector<chip::InputEvent> pattern =
        TutorialInput(static_cast<size_t>(batch));
    for (int64_t done = 0; done < n; done += batch) {
      v1::WriteEventsRequest request;
      request.set_lease_id(lease_);
      v1::SpikeBatch* s = request.mutable_spikes();
      const int64_t count = std::min(batch, n - done);
      for (int64_t i = 0; i < count; ++i) {
        const chip::InputEvent& e = pattern[static_cast<size_t>(i)];
        s->add_timestamp_us(next_t_++);
        s->add_layer(0);
        s->add_feature(0);
        s->add_x(e.x);
        s->add_y(e.y);
      }
      out.push_back(std::move(request));
    }
    return out;
  }

  bool Write(const std::vector<v1::WriteEventsRequest>& batches) {
    grpc::ClientContext context;
    v1::WriteEventsResponse response;
    auto writer = events_->WriteEvents(&context, &response);
    for (const auto& b : batches) {
      if (!writer->Write(b)) break;
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok())
      std::fprintf(stderr, "write: %s\n", status.error_message().c_str());
    return status.ok();
  }

  uint64_t EventsOut() {
    grpc::ClientContext context;
    v1::Device device;
    devices_->GetDevice(&context, v1::GetDeviceRequest(), &device);
    return device.events_out();
  }

  bool SetPacing(v1::Pacing pacing) {
    grpc::ClientContext context;
    v1::SetPacingRequest request;
    request.set_lease_id(lease_);
    request.set_pacing(pacing);
    v1::SetPacingResponse response;
    return devices_->SetPacing(&context, request, &response).ok();
  }

  bool ResetStopWatch() {
    grpc::ClientContext context;
    v1::SetStopWatchRequest request;
    request.set_lease_id(lease_);
    request.set_reset(true);
    request.set_enable(true);
    v1::StopWatch watch;
    next_t_ = 0;
    return devices_->SetStopWatch(&context, request, &watch).ok();
  }

  v1::EventService::Stub* events() { return events_.get(); }
  uint64_t next_t() const { return next_t_; }
  void set_next_t(uint64_t t) { next_t_ = t; }
  const std::string& lease() const { return lease_; }

 private:
  std::unique_ptr<v1::DeviceService::Stub> devices_;
  std::unique_ptr<v1::ConfigService::Stub> config_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::string lease_;
  uint64_t next_t_ = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

int Main() {
  std::string path = absl::GetFlag(FLAGS_speckd);
  if (path.empty()) path = testing::RunfilePath("server/speckd");
  const int64_t n = absl::GetFlag(FLAGS_events);
  const int64_t batch = absl::GetFlag(FLAGS_batch);

  const absl::Time spawn = absl::Now();
  std::unique_ptr<testing::Subprocess> child;
  std::string address = absl::GetFlag(FLAGS_address);
  pid_t pid = absl::GetFlag(FLAGS_pid);
  if (address.empty()) {
    absl::StatusOr<testing::StartedSpeckd> started = testing::StartSpeckd(
        path, {"--listen=127.0.0.1:0",
               "--web_listen=", "--sim_pacing=as_fast_as_possible"});
    if (!started.ok()) {
      std::fprintf(stderr, "speckd_bench: %s\n",
                   std::string(started.status().message()).c_str());
      return 1;
    }
    child = std::move(started->process);
    address = started->address;
    pid = child->pid();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args);
  while (testing::CheckHealth(channel, "", absl::Seconds(1)).value_or("") !=
         "SERVING") {
  }
  const absl::Duration startup = absl::Now() - spawn;
  std::this_thread::sleep_for(
      std::chrono::seconds(1));  // settle before measuring idle RSS
  if (child != nullptr) {
    std::printf(
        "startup: %.0f ms to SERVING (goal <= 1000 ms); idle RSS %.1f MB (goal "
        "<= 50 MB)\n",
        absl::ToDoubleMilliseconds(startup), Usage(pid).rss_mb);
  }

  Bench bench(channel);
  if (grpc::Status setup = bench.Setup(); !setup.ok()) {
    std::fprintf(stderr, "speckd_bench: setup failed: %s\n",
                 setup.error_message().c_str());
    return 1;
  }

  const std::string runs = absl::GetFlag(FLAGS_runs);
  auto wanted = [&](const char* run) {
    return runs.find(run) != std::string::npos;
  };
  if (wanted(
          "ingest")) {  // No subscribers; wait until everything is processed.
    std::vector<v1::WriteEventsRequest> batches = bench.Batches(n, batch);
    const uint64_t out0 = bench.EventsOut();
    const ProcessUsage before = Usage(pid);
    const absl::Time start = absl::Now();
    bench.Write(batches);
    while (bench.EventsOut() < out0 + static_cast<uint64_t>(n)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "ingest: %lld events in %.3f s = %.1f M events/s (goal >= 20 M/s); "
        "speckd CPU %.2f s\n",
        static_cast<long long>(n), seconds,
        static_cast<double>(n) / seconds / 1e6,
        Usage(pid).cpu_seconds - before.cpu_seconds);
  }

  double cpu_one = 0;
  for (int subscribers : {1, 8}) {
    if (!wanted("stream")) break;
    std::vector<std::unique_ptr<SpikeCounter>> counters;
    for (int i = 0; i < subscribers; ++i) {
      counters.push_back(std::make_unique<SpikeCounter>(
          bench.events(), v1::LOSSLESS, bench.lease()));
    }
    std::vector<v1::WriteEventsRequest> batches = bench.Batches(n, batch);
    const ProcessUsage before = Usage(pid);
    const absl::Time start = absl::Now();
    bench.Write(batches);
    bool all = true;
    for (auto& c : counters)
      all &= c->WaitFor(static_cast<uint64_t>(n), absl::Seconds(300));
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const double cpu = Usage(pid).cpu_seconds - before.cpu_seconds;
    uint64_t dropped = 0;
    for (auto& c : counters) dropped += c->dropped();
    if (subscribers == 1) cpu_one = cpu;
    // The spike-rate goal is for one subscriber; with 8, the figure says how
    // fast this one bench process reads them all (it shares the machine).
    const std::string verdict =
        subscribers == 1 ? std::string("(goal >= 20 M/s)")
                         : std::string("(read by one client process)");
    const std::string cost =
        subscribers == 1
            ? std::string()
            : absl::StrFormat(" = %.2fx of 1 subscriber (goal <= 1.5x)",
                              cpu / cpu_one);
    std::printf(
        "stream: %d subscriber%s: %.1f M spikes/s each %s, %llu dropped, %s; "
        "speckd CPU %.2f s%s\n",
        subscribers, subscribers == 1 ? "" : "s",
        static_cast<double>(n) / seconds / 1e6, verdict.c_str(),
        static_cast<unsigned long long>(dropped),
        all ? "all delivered" : "INCOMPLETE", cpu, cost.c_str());
  }

  if (wanted("latency")) {  // At a fixed rate in real time.
    const int64_t rate = absl::GetFlag(FLAGS_latency_rate);
    const double duration = absl::GetFlag(FLAGS_latency_seconds);
    bench.SetPacing(v1::REAL_TIME);
    const int64_t milliseconds = static_cast<int64_t>(duration * 1000);
    const int64_t per_ms = rate / 1000;
    const std::vector<chip::InputEvent> pattern =
        TutorialInput(static_cast<size_t>(per_ms));
    // Built before the clock runs: the client should cost little while it
    // shares the machine with the daemon.
    std::vector<v1::WriteEventsRequest> requests(
        static_cast<size_t>(milliseconds));
    for (int64_t ms = 0; ms < milliseconds; ++ms) {
      v1::WriteEventsRequest& request = requests[static_cast<size_t>(ms)];
      request.set_lease_id(bench.lease());
      for (int64_t i = 0; i < per_ms; ++i) {
        const chip::InputEvent& e = pattern[static_cast<size_t>(i)];
        request.mutable_spikes()->add_timestamp_us(
            static_cast<uint64_t>(ms * 1000 + i * 1000 / per_ms));
        request.mutable_spikes()->add_layer(0);
        request.mutable_spikes()->add_feature(0);
        request.mutable_spikes()->add_x(e.x);
        request.mutable_spikes()->add_y(e.y);
      }
    }
    // Write 1 ms of events at a time, 2 ms ahead of the stop watch.
    uint64_t events_written = 0;
    std::vector<std::atomic<int64_t>> written(
        static_cast<size_t>(milliseconds));
    grpc::ClientContext context;
    v1::WriteEventsResponse response;
    auto writer = bench.events()->WriteEvents(&context, &response);
    // The stop watch restarts at 0 during the reset call: take the middle of
    // its round trip.
    const absl::Time before = absl::Now();
    bench.ResetStopWatch();
    const absl::Time t0 = before + (absl::Now() - before) / 2;
    SpikeCounter counter(bench.events(), v1::LOSSLESS, bench.lease(), 0, t0,
                         &written);
    const int64_t step =
        std::max<int64_t>(1, absl::GetFlag(FLAGS_latency_write_ms));
    for (int64_t ms = 0; ms < milliseconds; ms += step) {
      absl::SleepFor(t0 + absl::Milliseconds(ms - 2 - step) - absl::Now());
      grpc::WriteOptions options;
      for (int64_t k = ms; k < std::min(milliseconds, ms + step); ++k) {
        written[static_cast<size_t>(k)] = absl::ToUnixMicros(absl::Now());
      }
      v1::WriteEventsRequest merged = requests[static_cast<size_t>(ms)];
      for (int64_t k = ms + 1; k < std::min(milliseconds, ms + step); ++k) {
        merged.MergeFrom(requests[static_cast<size_t>(k)]);
      }
      if (!writer->Write(merged, options)) break;
      events_written += static_cast<uint64_t>(
          per_ms * (std::min(milliseconds, ms + step) - ms));
    }
    writer->WritesDone();
    writer->Finish();
    counter.WaitFor(events_written, absl::Seconds(30));
    std::vector<double> latencies = counter.latencies();
    if (!absl::GetFlag(FLAGS_latency_dump).empty()) {
      std::ofstream dump(absl::GetFlag(FLAGS_latency_dump));
      for (size_t i = 0; i < latencies.size(); ++i) {
        dump << counter.stamps_us_[i] << " " << latencies[i] << "\n";
      }
    }
    std::printf(
        "latency at %.1f M events/s, real time: p50 %.3f ms, p99 %.3f ms, "
        "max %.3f ms over %zu spikes (goal p50 <= 1 ms, p99 <= 5 ms)\n",
        static_cast<double>(rate) / 1e6, Percentile(latencies, 0.5) / 1000,
        Percentile(latencies, 0.99) / 1000, Percentile(latencies, 1.0) / 1000,
        latencies.size());
  }
  if (child != nullptr) {
    child->Signal(SIGTERM);
    (void)child->Wait(absl::Seconds(10));
  }
  return 0;
}

}  // namespace
}  // namespace speckd::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  return speckd::bench::Main();
}
