// `speckctl record start|stop|list|info|download|rm`: recordings the daemon
// keeps (speckd.v1.RecordingService).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/flags.h"
#include "clients/cli/output.h"
#include "proto/recording/export.h"

ABSL_FLAG(std::string, name, "",
          "record start: the recording's name (default rec-<UTC time>)");
ABSL_FLAG(std::string, format, "",
          "record export: csv, npz, hdf5 or aedat4 (default: from FILE's "
          "extension: .csv, .npz, .h5, .hdf5 or .aedat4)");
ABSL_FLAG(std::string, streams, "",
          "record start: what to keep, comma-separated: inputs, spikes, "
          "dvs_monitor, readout, power, notices (default "
          "inputs,spikes,notices)");

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

std::string KindName(v1::RecordingStream kind) {
  return absl::AsciiStrToLower(v1::RecordingStream_Name(kind));
}

absl::Status ParseStreams(v1::StartRecordingRequest* request) {
  for (absl::string_view word :
       absl::StrSplit(absl::GetFlag(FLAGS_streams), ',', absl::SkipEmpty())) {
    v1::RecordingStream kind;
    if (!v1::RecordingStream_Parse(absl::AsciiStrToUpper(word), &kind) ||
        kind == v1::RECORDING_STREAM_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--streams: '", word,
          "' is not inputs, spikes, dvs_monitor, readout, power or notices"));
    }
    request->add_streams(kind);
  }
  for (absl::string_view word :
       absl::StrSplit(absl::GetFlag(FLAGS_layers), ',', absl::SkipEmpty())) {
    uint32_t layer = 0;
    if (!absl::SimpleAtoi(word, &layer)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--layers: '", word, "' is not a layer number"));
    }
    request->mutable_spike_filter()->add_layers(layer);
  }
  return absl::OkStatus();
}

std::string Counts(const v1::Recording& r) {
  std::vector<std::string> parts;
  for (const v1::StreamCount& c : r.counts()) {
    parts.push_back(absl::StrCat(KindName(c.kind()), " ", c.items()));
  }
  return absl::StrJoin(parts, ", ");
}

std::string StateOf(const v1::Recording& r) {
  if (r.active()) return "recording";
  if (!r.ended_cleanly()) return "cut off";
  if (r.end_status_code() == 0) return "stopped";
  return absl::StrCat("ended: ", r.end_status_message());
}

void Print(const v1::Recording& r, Format format) {
  if (format == Format::kJson) {
    std::printf("%s\n", ProtoJson(r).c_str());
    return;
  }
  Table table({{"name", "NAME"},
               {"device_id", "DEVICE"},
               {"state", "STATE"},
               {"bytes", "BYTES", true},
               {"counts", "COUNTS"}});
  table.AddRow({r.name(), r.device_id(), StateOf(r),
                absl::StrCat(r.size_bytes()), Counts(r)});
  std::printf("%s", table.Render(format).c_str());
  if (!r.problem().empty() && format == Format::kTable) {
    std::printf("problem: %s\n", r.problem().c_str());
  }
}

int Start(Client* client) {
  v1::StartRecordingRequest request;
  request.set_device_id(client->device());
  request.set_name(absl::GetFlag(FLAGS_name));
  if (absl::Status s = ParseStreams(&request); !s.ok()) return Fail(s);
  v1::Recording r;
  absl::Status s = client->Unary([&](grpc::ClientContext* context) {
    return client->recordings().StartRecording(context, request, &r);
  });
  if (!s.ok()) return Fail(s);
  Print(r, client->options().format);
  return kExitOk;
}

int Stop(Client* client, const std::string& name) {
  v1::StopRecordingRequest request;
  request.set_name(name);
  v1::Recording r;
  absl::Status s = client->Unary([&](grpc::ClientContext* context) {
    return client->recordings().StopRecording(context, request, &r);
  });
  if (!s.ok()) return Fail(s);
  Print(r, client->options().format);
  return kExitOk;
}

int Info(Client* client, const std::string& name) {
  v1::GetRecordingRequest request;
  request.set_name(name);
  v1::Recording r;
  absl::Status s = client->Unary([&](grpc::ClientContext* context) {
    return client->recordings().GetRecording(context, request, &r);
  });
  if (!s.ok()) return Fail(s);
  Print(r, client->options().format);
  return kExitOk;
}

int List(Client* client) {
  v1::ListRecordingsResponse list;
  absl::Status s = client->Unary([&](grpc::ClientContext* context) {
    return client->recordings().ListRecordings(context, {}, &list);
  });
  if (!s.ok()) return Fail(s);
  const Format format = client->options().format;
  if (format == Format::kJson) {
    std::printf("%s\n", ProtoJson(list).c_str());
    return kExitOk;
  }
  Table table({{"name", "NAME"},
               {"device_id", "DEVICE"},
               {"state", "STATE"},
               {"bytes", "BYTES", true},
               {"counts", "COUNTS"}});
  for (const v1::Recording& r : list.recordings()) {
    table.AddRow({r.name(), r.device_id(), StateOf(r),
                  absl::StrCat(r.size_bytes()), Counts(r)});
  }
  std::printf("%s", table.Render(format).c_str());
  if (format == Format::kTable) {
    std::printf("%s: %s of %s used\n", list.data_dir().c_str(),
                HumanBytes(list.total_bytes()).c_str(),
                HumanBytes(list.quota_bytes()).c_str());
  }
  return kExitOk;
}

int Remove(Client* client, const std::string& name) {
  v1::DeleteRecordingRequest request;
  request.set_name(name);
  v1::DeleteRecordingResponse response;
  absl::Status s = client->Unary([&](grpc::ClientContext* context) {
    return client->recordings().DeleteRecording(context, request, &response);
  });
  if (!s.ok()) return Fail(s);
  std::printf("deleted %s (%llu bytes)\n", name.c_str(),
              static_cast<unsigned long long>(response.freed_bytes()));
  return kExitOk;
}

// Streams the file into `path` chunk by chunk (never the whole file in
// memory).
int Download(Client* client, const std::string& name, const std::string& path,
             bool quiet = false) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return Fail(
        absl::InvalidArgumentError(absl::StrCat(path, ": cannot write it")));
  grpc::ClientContext context;
  CancelOnInterrupt cancel(&context);
  v1::ReadRecordingRequest request;
  request.set_name(name);
  auto reader = client->recordings().ReadRecording(&context, request);
  v1::RecordingChunk chunk;
  uint64_t bytes = 0;
  while (reader->Read(&chunk)) {
    out.write(chunk.data().data(),
              static_cast<std::streamsize>(chunk.data().size()));
    bytes += chunk.data().size();
  }
  if (absl::Status s = client->Error(reader->Finish()); !s.ok()) return Fail(s);
  out.close();
  if (!out)
    return Fail(absl::InternalError(absl::StrCat(path, ": writing failed")));
  if (!quiet) {
    std::printf("%s: %llu bytes of %s\n", path.c_str(),
                static_cast<unsigned long long>(bytes), name.c_str());
  }
  return kExitOk;
}

// Writes the recording's inputs into the device (its lease held meanwhile),
// then waits for them to play unless --nowait.
int Replay(Client* client, const std::string& name) {
  absl::StatusOr<std::unique_ptr<Lease>> lease =
      Lease::Acquire(client, /*keep_renewed=*/true);
  if (!lease.ok()) return Fail(lease.status());
  v1::ReplayRecordingRequest request;
  request.set_name(name);
  request.set_device_id((*lease)->device_id());
  request.set_lease_id((*lease)->id());
  request.set_keep_stop_watch(!absl::GetFlag(FLAGS_reset_stop_watch));
  v1::ReplayRecordingResponse response;
  {
    // As long as it takes (a real-time replay lasts as long as the run).
    grpc::ClientContext context;
    CancelOnInterrupt cancel(&context);
    absl::Status s = client->Error(
        client->recordings().ReplayRecording(&context, request, &response));
    if (!s.ok()) return Fail(s);
  }
  // However long it plays (a real-time replay lasts as long as the run).
  while (absl::GetFlag(FLAGS_wait)) {
    absl::StatusOr<v1::Device> idle =
        client->WaitIdle((*lease)->device_id(), absl::Minutes(10));
    if (idle.ok()) break;
    if (idle.status().code() != absl::StatusCode::kDeadlineExceeded ||
        Interrupted()) {
      return Fail(idle.status());
    }
  }
  std::printf("replayed %llu events of %s into %s\n",
              static_cast<unsigned long long>(response.events_written()),
              name.c_str(), (*lease)->device_id().c_str());
  return kExitOk;
}

// Downloads the recording beside FILE, exports it there, and removes the
// download.
int Export(Client* client, const std::string& name, const std::string& path) {
  std::string format = absl::GetFlag(FLAGS_format);
  if (format.empty()) format = path.substr(path.rfind('.') + 1);
  if (format == "h5") format = "hdf5";
  if (format != "csv" && format != "npz" && format != "hdf5" &&
      format != "aedat4") {
    return UsageError("record", absl::StrCat("export: --format=", format,
                                             ": use csv, npz, hdf5 or aedat4"));
  }
  const std::string download = path + ".speckrec.part";
  if (int code = Download(client, name, download, /*quiet=*/true);
      code != kExitOk) {
    return code;
  }
  absl::StatusOr<recording::ExportResult> exported = recording::ExportRecording(
      download, path,
      format == "csv"    ? recording::ExportFormat::kCsv
      : format == "npz"  ? recording::ExportFormat::kNpz
      : format == "hdf5" ? recording::ExportFormat::kHdf5
                         : recording::ExportFormat::kAedat4);
  std::remove(download.c_str());
  if (!exported.ok()) return Fail(exported.status());
  for (const auto& [table, rows] : exported->rows) {
    std::printf("%s: %llu rows\n", table.c_str(),
                static_cast<unsigned long long>(rows));
  }
  std::printf("wrote %s\n", absl::StrJoin(exported->files, ", ").c_str());
  return kExitOk;
}

int RunRecord(const std::vector<std::string>& args) {
  const std::string what = args.empty() ? "" : args[0];
  const size_t want = what == "start" || what == "list"        ? 1
                      : what == "download" || what == "export" ? 3
                                                               : 2;
  const bool known = what == "start" || what == "stop" || what == "list" ||
                     what == "info" || what == "rm" || what == "download" ||
                     what == "replay" || what == "export";
  if (!known || args.size() != want) {
    return UsageError("record",
                      "expects start, list, stop NAME, info NAME, rm NAME, "
                      "replay NAME, download NAME FILE or export NAME "
                      "FILE");
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  if (what == "start") return Start(client->get());
  if (what == "list") return List(client->get());
  if (what == "stop") return Stop(client->get(), args[1]);
  if (what == "info") return Info(client->get(), args[1]);
  if (what == "rm") return Remove(client->get(), args[1]);
  if (what == "replay") return Replay(client->get(), args[1]);
  if (what == "export") return Export(client->get(), args[1], args[2]);
  return Download(client->get(), args[1], args[2]);
}

}  // namespace

const Command kRecordCommand = {
    "record", "record a device's streams on the daemon, list, fetch, delete",
    "usage: speckctl record start [--name=N] [--streams=S,...] "
    "[--layers=L,...]\n"
    "       speckctl record stop|info|rm|replay NAME [--noreset_stop_watch] "
    "[--nowait]\n"
    "       speckctl record list\n"
    "       speckctl record download NAME FILE\n"
    "       speckctl record export NAME FILE "
    "[--format=csv|npz|hdf5|aedat4]\n"
    "\n"
    "speckd records on its own disk, losslessly: inputs as written, output\n"
    "spikes, the DVS monitor, readout, power and notices (default: inputs,\n"
    "spikes and notices). No lease is needed. A recording ends when stopped,\n"
    "at --max_recording_bytes or the quota, or when the device is lost,\n"
    "always with a readable file (docs/recordings.md). download copies the\n"
    "file here, in chunks. replay writes a recording's inputs back into the\n"
    "device (taking its lease), timestamps unchanged, after resetting its\n"
    "stop watch, and waits until they have played. export writes the\n"
    "events as CSV (one FILE.TABLE.csv per table: inputs, input_spikes,\n"
    "spikes, dvs_monitor, readout, readout_pins, power), one .npz (arrays\n"
    "TABLE_COLUMN) or one\n"
    "HDF5 file (groups TABLE, datasets COLUMN; h5py reads it), or AEDAT 4\n"
    "(the DVS event tables, for DV and dv-processing).\n"
    "\n"
    "examples:\n"
    "  speckctl record start --name=run1 && speckctl demo spike-count\n"
    "  speckctl record stop run1 && speckctl record download run1 "
    "run1.speckrec\n",
    RunRecord};

}  // namespace speckd::cli
