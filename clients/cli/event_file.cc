#include "clients/cli/event_file.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/recording/aedat4_reader.h"

namespace speckd::cli {
namespace {

constexpr int kDvsSize = 128;

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
  EventFile file;
  file.format = EventFormat::kDvsEvents;
  speckd::v1::DvsEventBatch* dvs = file.events.mutable_dvs_events();
  int64_t first = -1, previous = 0;
  uint64_t index = 0;
  while (std::optional<recording::Aedat4Packet> p = (*reader)->Next()) {
    if (stream < 0) stream = p->stream;  // no description: the first packet's
    if (p->stream != stream) continue;
    for (const recording::Aedat4Event& e : p->events) {
      if (e.x < 0 || e.x >= kDvsSize || e.y < 0 || e.y >= kDvsSize) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": event ", index, ": ",
                         e.x < 0 || e.x >= kDvsSize ? "x" : "y", ": ",
                         e.x < 0 || e.x >= kDvsSize ? e.x : e.y,
                         " is outside the DVS array (0..127)"));
      }
      if (first < 0) first = e.timestamp_us;
      if (e.timestamp_us < previous) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": event ", index, ": timestamp goes backwards"));
      }
      previous = e.timestamp_us;
      dvs->add_timestamp_us(static_cast<uint64_t>(e.timestamp_us - first));
      dvs->add_x(e.x);
      dvs->add_y(e.y);
      dvs->add_p(e.on);
      ++index;
    }
  }
  if (!(*reader)->problem().ok()) return (*reader)->problem();
  if (index == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no polarity events in it"));
  }
  return file;
}

}  // namespace

absl::StatusOr<EventFile> ReadEventFile(const std::string& path,
                                        const chip::SpeckConfig* config) {
  if (absl::EndsWithIgnoreCase(path, ".aedat4")) return ReadAedat4(path);
  return ReadEventCsv(path, config);
}

}  // namespace speckd::cli
