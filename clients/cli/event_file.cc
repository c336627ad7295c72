#include "clients/cli/event_file.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/cli/event_arrays.h"
#include "proto/codec/events_codec.h"
#include "proto/recording/aedat4_reader.h"

namespace speckd::cli {
namespace {

absl::StatusOr<EventFile> ReadAedat4(const std::string& path) {
  absl::StatusOr<std::unique_ptr<recording::Aedat4Reader>> reader =
      recording::Aedat4Reader::Open(path);
  if (!reader.ok()) return reader.status();
  // The first stream of polarity events (DV names its camera's "events").
  int stream = -1;
  for (const recording::Aedat4Stream& s : (*reader)->streams()) {
    if (s.type == "EVTS") {
      stream = s.id;
      break;
    }
  }
  EventColumns columns;
  int64_t first = -1;
  while (std::optional<recording::Aedat4Packet> p = (*reader)->Next()) {
    if (stream < 0) stream = p->stream;  // no description: the first packet's
    if (p->stream != stream) continue;
    for (const recording::Aedat4Event& e : p->events) {
      if (first < 0) first = e.timestamp_us;
      // Relative to the first event; one earlier still shows as going back.
      columns.t.push_back(e.timestamp_us - first);
      columns.x.push_back(e.x);
      columns.y.push_back(e.y);
      columns.p.push_back(e.on ? 1 : 0);
    }
  }
  if (!(*reader)->problem().ok()) return (*reader)->problem();
  if (columns.t.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no polarity events in it"));
  }
  return DvsEventsFromColumns(path, columns);
}

}  // namespace

absl::StatusOr<EventFile> ReadEventFile(const std::string& path,
                                        const chip::SpeckConfig* config) {
  if (absl::EndsWithIgnoreCase(path, ".aedat4")) return ReadAedat4(path);
  if (absl::EndsWithIgnoreCase(path, ".npy")) return ReadNpyEvents(path);
  if (absl::EndsWithIgnoreCase(path, ".npz")) return ReadNpzEvents(path);
  for (const char* ext : {".h5", ".hdf5", ".hdf"}) {
    if (absl::EndsWithIgnoreCase(path, ext)) return ReadHdf5Events(path);
  }
  return ReadEventCsv(path, config);
}

absl::StatusOr<std::vector<chip::InputEvent>> ReadInputEvents(
    const std::string& path, const chip::SpeckConfig& config) {
  absl::StatusOr<EventFile> file = ReadEventFile(path, &config);
  if (!file.ok()) return file.status();
  // The file is already checked: this cannot fail on its account.
  return codec::InputsFromProto(file->events, config);
}

}  // namespace speckd::cli
