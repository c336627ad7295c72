// Events between driver/chip's types and speckd.v1's columnar batches:
// inputs both ways (InputEvent <-> WriteEventsRequest), and output spikes
// into SpikeBatch (clients read the columns as they are).
//
//   v1::WriteEventsRequest request;
//   codec::AppendEvents(events.data(), events.size(), &request);   // client
//   auto inputs = codec::InputsFromProto(request, config);        // server
#ifndef SPECKD_PROTO_CODEC_EVENTS_CODEC_H_
#define SPECKD_PROTO_CODEC_EVENTS_CODEC_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "proto/speckd/v1/event_service.pb.h"
#include "proto/speckd/v1/events.pb.h"

namespace speckd::codec {

// Appends DVS events to request->dvs_events and spikes to request->spikes,
// each column in the order given.
void AppendEvents(const chip::InputEvent* events, size_t count,
                  speckd::v1::WriteEventsRequest* request);

// The same as raw little-endian columns (what a request's dvs_columns and
// spike_columns carry), as recordings keep inputs.
void AppendColumns(absl::Span<const chip::InputEvent> events,
                   speckd::v1::DvsEventColumns* dvs,
                   speckd::v1::SpikeColumns* spikes);

// Checks a write request against `config` (chip::InputCheck) and turns it
// into time-ordered inputs (DVS events and spikes merged by timestamp, DVS
// first on ties). INVALID_ARGUMENT names the first bad event by column and
// index, e.g. "spikes[17].x: 16 is outside core 0's input width (0..15)".
absl::StatusOr<std::vector<chip::InputEvent>> InputsFromProto(
    const speckd::v1::WriteEventsRequest& request,
    const chip::SpeckConfig& config);

// Appends `spikes` to the batch's columns.
void AppendSpikes(absl::Span<const chip::Spike> spikes,
                  speckd::v1::SpikeBatch* batch);

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_EVENTS_CODEC_H_
