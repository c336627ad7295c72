// `speckctl write`: events from a CSV file (the formats of simulate) or a
// generator into a device, with EventService.WriteEvents. StreamEvents and
// DropQueued are shared with `demo`.
#ifndef SPECKD_CLIENTS_CLI_WRITE_CMD_H_
#define SPECKD_CLIENTS_CLI_WRITE_CMD_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "clients/cli/client.h"
#include "proto/speckd/v1/event_service.pb.h"

namespace speckd::cli {

// Streams `events` (one kind, in columns: event_columns.h) in messages of
// `batch` events, then closes the stream
// (which closes spike-count windows up to the last timestamp). Writes block
// while the device's queue is full (back-pressure from a real-time device);
// `on_sent(n)` runs after each message with the events sent so far. Ctrl-C
// cancels: CANCELLED "interrupted after N of M events".
absl::StatusOr<speckd::v1::WriteEventsResponse> StreamEvents(
    Client& client, const Lease& lease,
    const speckd::v1::WriteEventsRequest& events, size_t batch,
    const std::function<void(uint64_t sent)>& on_sent);

// After `failure` (Ctrl-C, an error): drops the inputs the lease's device
// has not played yet (they would land in the next user's results) and
// returns `failure` saying how many, or that dropping failed too.
absl::Status DropQueued(Client& client, const Lease& lease,
                        const absl::Status& failure);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_WRITE_CMD_H_
