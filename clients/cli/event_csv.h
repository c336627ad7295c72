// Event files as speckctl reads and writes them (docs/formats.md):
//
//   timestamp_us,x,y,p                 DvsEvents into the DVS layer
//   timestamp_us,layer,feature,x,y     Spikes into core `layer`
//
// A header line names the format; every later line is one event, timestamps
// never going backwards. Errors name the file, the line and the field:
//   "events.csv:17: y: 130 is outside the DVS array (0..127)".
#ifndef SPECKD_CLIENTS_CLI_EVENT_CSV_H_
#define SPECKD_CLIENTS_CLI_EVENT_CSV_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "proto/speckd/v1/event_service.pb.h"

namespace speckd::cli {

enum class EventFormat { kDvsEvents, kSpikes };

struct EventFile {
  EventFormat format = EventFormat::kDvsEvents;
  // In speckd.v1's columns (event_columns.h): dvs_events or spikes.
  speckd::v1::WriteEventsRequest events;
};

// Parses `text` (the content of `name`, used in messages). With `config`,
// Spike rows are also checked against the target core's input shape.
absl::StatusOr<EventFile> ParseEventCsv(absl::string_view name,
                                        absl::string_view text,
                                        const chip::SpeckConfig* config);

absl::StatusOr<EventFile> ReadEventCsv(const std::string& path,
                                       const chip::SpeckConfig* config);

// Writes output spikes as "timestamp_us,layer,feature,x,y" lines (after a
// header written by WriteSpikeCsvHeader).
void WriteSpikeCsvHeader(std::FILE* out);
void WriteSpikeCsv(const std::vector<chip::Spike>& spikes, std::FILE* out);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_EVENT_CSV_H_
