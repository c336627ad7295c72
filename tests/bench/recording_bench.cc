// Recording throughput, through a real daemon (in-process, the simulated
// devkit as fast as possible, the tutorial network: one output spike per
// input): the same input written without and with a recording of inputs +
// spikes, in the same run (the ratio is what to compare on a noisy machine);
// the bytes each event takes on disk; and reading the file back.
//
//   bazel run -c opt //tests/bench:recording_bench -- --events=4000000
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "proto/recording/export.h"
#include "proto/recording/record_reader.h"
#include "proto/speckd/v1/recording_service.grpc.pb.h"
#include "tests/bench/networks.h"
#include "tests/grpc/speckd_fixture.h"

ABSL_FLAG(int64_t, events, 4000000, "input events per run");
ABSL_FLAG(int64_t, batch, 200000, "events per WriteEvents message");

namespace speckd::testing {
namespace {

// Seconds to write `inputs` and have the device play them.
double WriteAndPlay(SpeckdFixture& speckd, const std::string& lease,
                    const std::vector<chip::InputEvent>& inputs) {
  const absl::Time start = absl::Now();
  v1::WriteEventsResponse written;
  grpc::Status s =
      speckd.WriteStream(lease, inputs, absl::GetFlag(FLAGS_batch), &written);
  if (!s.ok()) std::fprintf(stderr, "write: %s\n", s.error_message().c_str());
  speckd.WaitIdle(absl::Minutes(10));
  return absl::ToDoubleSeconds(absl::Now() - start);
}

int Run() {
  char dir[] = "/tmp/speckd-recording-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  FixtureOptions options;
  options.data_dir = dir;
  SpeckdFixture speckd(options);
  auto stub = v1::RecordingService::NewStub(speckd.channel);
  const std::string lease = speckd.AcquireLease("bench");
  if (!speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok()) return 1;
  const std::vector<chip::InputEvent> inputs =
      bench::TutorialInput(absl::GetFlag(FLAGS_events));
  const double n = static_cast<double>(inputs.size());

  WriteAndPlay(speckd, lease, inputs);  // warm-up
  const double plain = WriteAndPlay(speckd, lease, inputs);

  v1::Recording recording;
  {
    grpc::ClientContext context;
    v1::StartRecordingRequest start;
    start.set_name("bench");
    start.add_streams(v1::INPUTS);
    start.add_streams(v1::SPIKES);
    if (!stub->StartRecording(&context, start, &recording).ok()) return 1;
  }
  const double recorded = WriteAndPlay(speckd, lease, inputs);
  {
    grpc::ClientContext context;
    v1::StopRecordingRequest stop;
    stop.set_name("bench");
    if (!stub->StopRecording(&context, stop, &recording).ok()) return 1;
  }
  uint64_t kept = 0;
  for (const v1::StreamCount& c : recording.counts()) kept += c.items();

  const absl::Time read_start = absl::Now();
  uint64_t read_items = 0;
  auto reader = recording::RecordReader::Open(std::string(dir) +
                                              "/recordings/bench.speckrec");
  if (!reader.ok()) return 1;
  while (std::optional<recording::Record> r = (*reader)->Next()) {
    read_items += r->items;
  }
  const double read = absl::ToDoubleSeconds(absl::Now() - read_start);

  const std::string file = std::string(dir) + "/recordings/bench.speckrec";
  auto export_rate = [&](recording::ExportFormat format, const char* out) {
    const absl::Time t0 = absl::Now();
    absl::StatusOr<recording::ExportResult> r =
        recording::ExportRecording(file, std::string(dir) + "/" + out, format);
    const double s = absl::ToDoubleSeconds(absl::Now() - t0);
    uint64_t rows = 0;
    if (r.ok()) {
      for (const auto& [table, n] : r->rows) rows += n;
      for (const std::string& f : r->files) std::remove(f.c_str());
    }
    return static_cast<double>(rows) / s / 1e6;
  };
  const double npz = export_rate(recording::ExportFormat::kNpz, "bench.npz");
  const double hdf5 = export_rate(recording::ExportFormat::kHdf5, "bench.h5");

  std::printf("events per run: %.0f inputs (each makes one output spike)\n", n);
  std::printf("without a recording: %.1f M inputs/s (%.1f M events/s in+out)\n",
              n / plain / 1e6, 2 * n / plain / 1e6);
  std::printf(
      "recording inputs + spikes: %.1f M inputs/s (%.1f M events/s in+out), "
      "%.2f of the speed without\n",
      n / recorded / 1e6, 2 * n / recorded / 1e6, plain / recorded);
  std::printf("kept: %llu of %.0f events (%s), ended %s\n",
              static_cast<unsigned long long>(kept), 2 * n,
              kept == 2 * n ? "none dropped" : "SOME MISSING",
              recording.end_status_code() == 0 ? "cleanly" : "with an error");
  std::printf("on disk: %.2f bytes per event (%llu bytes)\n",
              static_cast<double>(recording.size_bytes()) / (2 * n),
              static_cast<unsigned long long>(recording.size_bytes()));
  std::printf("reading it back: %.1f M events/s (%llu events)\n",
              static_cast<double>(read_items) / read / 1e6,
              static_cast<unsigned long long>(read_items));
  std::printf(
      "export: npz %.1f M events/s, HDF5 (zlib level 1) %.1f M events/s\n", npz,
      hdf5);
  std::remove(file.c_str());
  rmdir((std::string(dir) + "/recordings").c_str());
  rmdir(dir);
  return kept == 2 * n ? 0 : 1;
}

}  // namespace
}  // namespace speckd::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return speckd::testing::Run();
}
