// The event files speckctl reads (`write FILE`, `simulate --events=FILE`):
// CSV (event_csv.h), or AEDAT 4.0 (FILE.aedat4, as DV, dv-processing and
// `speckctl record export` write it): its first polarity-event stream, with
// timestamps made relative to its first event (offsets kept exactly).
#ifndef SPECKD_CLIENTS_CLI_EVENT_FILE_H_
#define SPECKD_CLIENTS_CLI_EVENT_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/cli/event_csv.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"

namespace speckd::cli {

// By extension: .aedat4 or CSV. Errors name the file and, for AEDAT 4, the
// event ("x.aedat4: event 17: x: 200 is outside the DVS array (0..127)").
absl::StatusOr<EventFile> ReadEventFile(const std::string& path,
                                        const chip::SpeckConfig* config);

// ReadEventFile, then the daemon's own conversion (codec::InputsFromProto)
// into time-ordered model inputs for `config`: what `simulate` runs.
absl::StatusOr<std::vector<chip::InputEvent>> ReadInputEvents(
    const std::string& path, const chip::SpeckConfig& config);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_EVENT_FILE_H_
