// Input events (driver/chip's InputEvent) into the columnar batches of a
// speckd.v1.WriteEventsRequest: what every writer sends.
#ifndef SPECKD_PROTO_CODEC_EVENTS_CODEC_H_
#define SPECKD_PROTO_CODEC_EVENTS_CODEC_H_

#include <cstddef>

#include "driver/chip/events.h"
#include "proto/speckd/v1/event_service.pb.h"

namespace speckd::codec {

// Appends DVS events to request->dvs_events and spikes to request->spikes,
// each column in the order given.
void AppendEvents(const chip::InputEvent* events, size_t count,
                  speckd::v1::WriteEventsRequest* request);

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_EVENTS_CODEC_H_
