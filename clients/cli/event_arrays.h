// Event files stored as arrays: NumPy .npy (a structured array with fields
// t, x, y, p), .npz (the same as one member, or 1-D members t, x, y, p, or
// inputs_t ... as `speckctl record export` writes) and HDF5 (1-D datasets
// t, x, y, p at the root or in group "events" or "inputs"). Timestamps are
// microseconds, kept as stored (not rebased); p is 1 (ON) or 0 / -1 (OFF), or
// a boolean. Aliases: "timestamp", "timestamp_us" or "ts" for t,
// "polarity" for p.
#ifndef SPECKD_CLIENTS_CLI_EVENT_ARRAYS_H_
#define SPECKD_CLIENTS_CLI_EVENT_ARRAYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clients/cli/event_csv.h"

namespace speckd::cli {

struct EventColumns {
  std::vector<int64_t> t, x, y, p;
};

// Checks every event (x, y inside the DVS array, p a polarity, timestamps
// non-negative and never going backwards); errors name `name` and the event:
// "a.npy: event 17: x: 200 is outside the DVS array (0..127)".
absl::StatusOr<EventFile> DvsEventsFromColumns(absl::string_view name,
                                               const EventColumns& columns);

absl::StatusOr<EventFile> ReadNpyEvents(const std::string& path);
absl::StatusOr<EventFile> ReadNpzEvents(const std::string& path);
absl::StatusOr<EventFile> ReadHdf5Events(const std::string& path);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_EVENT_ARRAYS_H_
