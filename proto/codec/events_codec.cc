#include "proto/codec/events_codec.h"

namespace speckd::codec {

void AppendEvents(const chip::InputEvent* events, size_t count,
                  speckd::v1::WriteEventsRequest* request) {
  for (size_t i = 0; i < count; ++i) {
    const chip::InputEvent& e = events[i];
    if (e.kind == chip::InputEvent::Kind::kDvsEvent) {
      speckd::v1::DvsEventBatch* b = request->mutable_dvs_events();
      b->add_timestamp_us(e.timestamp_us);
      b->add_x(e.x);
      b->add_y(e.y);
      b->add_p(e.p);
    } else {
      speckd::v1::SpikeBatch* b = request->mutable_spikes();
      b->add_timestamp_us(e.timestamp_us);
      b->add_layer(e.layer);
      b->add_feature(e.feature);
      b->add_x(e.x);
      b->add_y(e.y);
    }
  }
}

}  // namespace speckd::codec
