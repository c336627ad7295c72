// Events as speckctl holds and sends them: in speckd.v1's columns
// (WriteEventsRequest.dvs_events or .spikes), one kind per file or pattern,
// so that writing them is slicing columns, never converting.
//
//   v1::WriteEventsRequest all = ...;            // a file or a pattern
//   v1::WriteEventsRequest message;
//   AppendSlice(all, 10000, 5000, &message);     // events 10000..14999
#ifndef SPECKD_CLIENTS_CLI_EVENT_COLUMNS_H_
#define SPECKD_CLIENTS_CLI_EVENT_COLUMNS_H_

#include <cstddef>
#include <cstdint>

#include "proto/speckd/v1/event_service.pb.h"

namespace speckd::cli {

// Events in `events` (DVS events, then spikes).
size_t EventCount(const speckd::v1::WriteEventsRequest& events);
// Timestamps of the first and last event; 0 when there are none.
uint64_t FirstTimestamp(const speckd::v1::WriteEventsRequest& events);
uint64_t LastTimestamp(const speckd::v1::WriteEventsRequest& events);

// Appends events [begin, begin + n) of `all` (DVS events first, then
// spikes) to `out`'s columns.
void AppendSlice(const speckd::v1::WriteEventsRequest& all, size_t begin,
                 size_t n, speckd::v1::WriteEventsRequest* out);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_EVENT_COLUMNS_H_
