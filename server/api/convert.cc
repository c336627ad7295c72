#include "server/api/convert.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "proto/codec/device_codec.h"
#include "proto/codec/events_codec.h"
#include "proto/codec/graph_codec.h"

namespace speckd::server::api {
namespace {

namespace v1 = ::speckd::v1;

void SetWindow(uint64_t start, uint64_t end, v1::SpikeCount* out) {
  out->set_window_start_us(start);
  out->set_window_end_us(end);
}

v1::DeviceState StateToProto(DeviceState state) {
  switch (state) {
    case DeviceState::kAbsent:
      return v1::ABSENT;
    case DeviceState::kReady:
      return v1::READY;
    case DeviceState::kConfigured:
      return v1::CONFIGURED;
    case DeviceState::kStreaming:
      return v1::STREAMING;
    case DeviceState::kLost:
      return v1::LOST;
    case DeviceState::kUnusable:
      return v1::UNUSABLE;
  }
  return v1::DEVICE_STATE_UNSPECIFIED;
}

}  // namespace

void ToProto(const DeviceSnapshot& snapshot, v1::Device* out) {
  codec::ToProto(snapshot.descriptor, out);
  out->set_state(StateToProto(snapshot.state));
  out->set_state_detail(snapshot.state_detail);
  out->set_problem(codec::ToProto(snapshot.problem.kind));
  v1::Lease* lease = out->mutable_lease();
  lease->set_device_id(snapshot.descriptor.id);
  if (snapshot.lease.has_value()) {
    lease->set_holder(snapshot.lease->holder);
    lease->set_expires_unix_ms(absl::ToUnixMillis(snapshot.lease->expires));
    if (snapshot.lease->renewed != absl::InfiniteFuture()) {
      lease->set_renewed_unix_ms(absl::ToUnixMillis(snapshot.lease->renewed));
    }
  }
  codec::ToProto(snapshot.stop_watch, out->mutable_stop_watch());
  out->mutable_stop_watch()->set_epoch_start_unix_us(
      absl::ToUnixMicros(absl::Now()) -
      static_cast<int64_t>(snapshot.stop_watch.time_us));
  codec::ToProto(snapshot.slow_clock, out->mutable_slow_clock());
  out->set_pacing(codec::ToProto(snapshot.pacing));
  out->set_power_monitor_rate_hz(snapshot.power_monitor_rate_hz);
  codec::ToProto(snapshot.counters, out);
  out->set_pending_writes(snapshot.pending_writes);
}

void ToProto(const GraphInfo& info, v1::Graph* out) {
  out->set_id(info.id);
  out->set_device_id(info.device_id);
  codec::ToProto(info.spec, out->mutable_spec());
  out->set_state(info.running ? v1::Graph::RUNNING : v1::Graph::STOPPED);
  out->set_internal(info.internal);
  out->set_owner(info.owner);
  out->set_stopped_because(info.stopped_because);
  for (const graph::NodeCounters& c : info.counters) {
    v1::NodeCounters* counters = out->add_counters();
    counters->set_node(c.node);
    counters->set_received(c.received);
    counters->set_emitted(c.emitted);
    counters->set_dropped(c.dropped);
  }
}

void NodeCatalogue(v1::ListNodeTypesResponse* out) {
  struct Entry {
    const char* kind;
    const char* samna;
    const char* input;
    const char* output;
    const char* description;
  };
  static constexpr Entry kEntries[] = {
      {"device_source", "model source node", "", "events",
       "the device's output events (spikes, readout values and pins)"},
      {"device_sink", "model sink node", "events", "",
       "writes the spikes it receives into a device (Spike{layer} enters core "
       "layer)"},
      {"power_source", "power monitor source node", "", "events",
       "the device's power measurements (5 rails)"},
      {"type_filter", "Speck2eOutputEventTypeFilter", "events", "events",
       "keeps one event type (desired_type)"},
      {"member_select", "Speck2eOutputMemberSelect", "events", "events",
       "keeps spikes whose layer or feature is in white_list; drops (and "
       "counts) other event types"},
      {"spike_collection", "Speck2eSpikeCollectionNode", "events",
       "collections",
       "groups spikes per interval_milli_sec window on the stop-watch time "
       "line; empty windows are emitted too"},
      {"spike_count", "Speck2eSpikeCountNode", "collections", "counts",
       "per-feature spike counts of each window (feature_count)"},
      {"activity_frame", "Speck2eDvsToVizConverter", "events", "frames",
       "count maps of one layer (13 = DVS layer) per interval_milli_sec"},
      {"majority_readout", "MajorityReadoutNode", "collections", "readout",
       "sinabs' majority readout of each window"},
      {"endpoint", "streamer", "any", "", "what SubscribeNode clients receive"},
  };
  for (const Entry& e : kEntries) {
    v1::NodeTypeInfo* info = out->add_node_types();
    info->set_kind(e.kind);
    info->set_samna_name(e.samna);
    info->set_input(e.input);
    info->set_output(e.output);
    info->set_description(e.description);
  }
}

SubscribeOptions OptionsFromProto(const v1::SubscriptionOptions& p) {
  SubscribeOptions options;
  options.policy = p.overflow_policy() == v1::LOSSLESS
                       ? OverflowPolicy::kLossless
                       : OverflowPolicy::kDropOldest;
  options.max_queued_messages = p.max_queued_messages();
  options.max_queued_bytes = static_cast<size_t>(p.max_queued_bytes());
  options.lease_id = p.lease_id();
  options.raw_columns = p.raw_columns();
  return options;
}

PayloadPtr EncodePayload(const google::protobuf::MessageLite& message,
                         uint64_t items) {
  auto payload = std::make_shared<Payload>();
  message.SerializeToString(&payload->bytes);
  payload->items = items;
  return payload;
}

namespace {

// `values` as a little-endian array of T (x86 and ARM are little-endian).
template <typename T, typename Field>
void PutColumn(absl::Span<const chip::Spike> spikes, Field field,
               std::string* out) {
  out->resize(spikes.size() * sizeof(T));
  char* p = out->data();
  for (const chip::Spike& s : spikes) {
    const T value = static_cast<T>(field(s));
    std::memcpy(p, &value, sizeof(T));
    p += sizeof(T);
  }
}

void EncodeSpikeColumns(absl::Span<const chip::Spike> part,
                        v1::SpikeColumns* out) {
  PutColumn<uint64_t>(
      part, [](const chip::Spike& s) { return s.timestamp_us; },
      out->mutable_timestamp_us());
  PutColumn<uint8_t>(
      part, [](const chip::Spike& s) { return s.layer; }, out->mutable_layer());
  PutColumn<uint16_t>(
      part, [](const chip::Spike& s) { return s.feature; },
      out->mutable_feature());
  PutColumn<uint8_t>(
      part, [](const chip::Spike& s) { return s.x; }, out->mutable_x());
  PutColumn<uint8_t>(
      part, [](const chip::Spike& s) { return s.y; }, out->mutable_y());
}

void EncodeSpikes(const graph::Packet& packet, bool raw_columns,
                  std::vector<PayloadPtr>* out) {
  for (size_t first = 0; first < packet.spikes.size();
       first += kSpikesPerMessage) {
    const absl::Span<const chip::Spike> part =
        packet.spikes.subspan(first, kSpikesPerMessage);
    v1::StreamMessage message;
    if (raw_columns) {
      EncodeSpikeColumns(part, message.mutable_spike_columns());
    } else {
      codec::AppendSpikes(part, message.mutable_spikes());
    }
    out->push_back(EncodePayload(message, part.size()));
  }
}

// Readout values, pins and majority decisions, kItemsPerMessage at a time.
void EncodeReadout(const graph::Packet& packet, std::vector<PayloadPtr>* out) {
  const size_t total = packet.readout_values.size() +
                       packet.readout_pins.size() + packet.majority.size();
  for (size_t first = 0; first < total; first += kItemsPerMessage) {
    const size_t last = std::min(total, first + kItemsPerMessage);
    v1::StreamMessage message;
    v1::ReadoutBatch* batch = message.mutable_readout();
    for (size_t i = first; i < last; ++i) {
      size_t k = i;
      if (k < packet.readout_values.size()) {
        const chip::ReadoutValue& v = packet.readout_values[k];
        v1::ReadoutValue* value = batch->add_values();
        value->set_timestamp_us(v.timestamp_us);
        value->set_value(v.value);
        continue;
      }
      k -= packet.readout_values.size();
      if (k < packet.readout_pins.size()) {
        const chip::ReadoutPinValue& p = packet.readout_pins[k];
        v1::ReadoutPinValue* pin = batch->add_pins();
        pin->set_timestamp_us(p.timestamp_us);
        pin->set_index(p.index);
        continue;
      }
      const graph::MajorityDecision& m =
          packet.majority[k - packet.readout_pins.size()];
      v1::MajorityReadout* decision = batch->add_majority();
      decision->set_window_start_us(m.start_us);
      decision->set_window_end_us(m.end_us);
      decision->set_feature(m.feature);
      decision->set_count(m.count);
      decision->set_decided(m.decided);
      decision->set_empty_windows_before(m.empty_before);
    }
    out->push_back(EncodePayload(message, last - first));
  }
}

void EncodePower(const graph::Packet& packet, std::vector<PayloadPtr>* out) {
  for (size_t first = 0; first < packet.power.size();
       first += kItemsPerMessage) {
    const absl::Span<const driver::PowerMeasurement> part =
        packet.power.subspan(first, kItemsPerMessage);
    v1::StreamMessage message;
    v1::MeasurementBatch* batch = message.mutable_measurements();
    for (const driver::PowerMeasurement& m : part) {
      batch->add_timestamp_us(m.timestamp_us);
      batch->add_channel(static_cast<v1::PowerRail>(m.channel));
      batch->add_value(m.value_w);
    }
    out->push_back(EncodePayload(message, part.size()));
  }
}

// Each window in parts of at most kSpikesPerMessage spikes; a window counts
// as one item, on its last part.
void EncodeCollections(const graph::Packet& packet,
                       std::vector<PayloadPtr>* out) {
  for (const graph::SpikeWindow& w : packet.collections) {
    const absl::Span<const chip::Spike> spikes(w.spikes);
    size_t first = 0;
    do {
      const absl::Span<const chip::Spike> part =
          spikes.subspan(first, kSpikesPerMessage);
      first += part.size();
      const bool continued = first < spikes.size();
      v1::StreamMessage message;
      v1::SpikeCollection* c = message.mutable_spike_collection();
      c->set_window_start_us(w.start_us);
      c->set_window_end_us(w.end_us);
      c->set_empty_windows_before(w.empty_before);
      c->set_continued(continued);
      codec::AppendSpikes(part, c->mutable_spikes());
      out->push_back(EncodePayload(message, continued ? 0 : 1));
    } while (first < spikes.size());
  }
}

void EncodeCounts(const graph::Packet& packet, std::vector<PayloadPtr>* out) {
  size_t first = 0;
  while (first < packet.counts.size()) {
    v1::StreamMessage message;
    v1::SpikeCountBatch* batch = message.mutable_spike_counts();
    size_t values = 0;
    size_t i = first;
    // At least one window per message, however many features it counts.
    for (; i < packet.counts.size() && i - first < kWindowsPerMessage; ++i) {
      const graph::CountWindow& w = packet.counts[i];
      if (i > first && values + w.counts.size() > kCountsPerMessage) break;
      values += w.counts.size();
      v1::SpikeCount* count = batch->add_windows();
      SetWindow(w.start_us, w.end_us, count);
      count->set_empty_windows_before(w.empty_before);
      count->mutable_counts()->Add(w.counts.begin(), w.counts.end());
    }
    out->push_back(EncodePayload(message, i - first));
    first = i;
  }
}

void EncodeFrames(const graph::Packet& packet, std::vector<PayloadPtr>* out) {
  for (const graph::ActivityFrame& f : packet.frames) {
    v1::StreamMessage message;
    v1::ActivityFrame* frame = message.mutable_activity_frame();
    frame->set_layer(f.layer);
    frame->set_window_start_us(f.start_us);
    frame->set_window_end_us(f.end_us);
    frame->set_width(f.width);
    frame->set_height(f.height);
    frame->mutable_counts()->Add(f.counts.begin(), f.counts.end());
    frame->set_total(f.total);
    frame->set_empty_windows_before(f.empty_before);
    out->push_back(EncodePayload(message, 1));
  }
}

}  // namespace

std::vector<PayloadPtr> EncodePacket(const graph::Packet& packet,
                                     bool raw_columns) {
  std::vector<PayloadPtr> out;
  EncodeSpikes(packet, raw_columns, &out);
  EncodeReadout(packet, &out);
  EncodePower(packet, &out);
  EncodeCollections(packet, &out);
  EncodeCounts(packet, &out);
  EncodeFrames(packet, &out);
  return out;
}

PayloadPtr EncodeNotice(const Notice& notice) {
  v1::StreamMessage message;
  v1::StreamNotice* out = message.mutable_notice();
  switch (notice.kind) {
    case Notice::Kind::kDeviceReconfigured:
      out->set_kind(v1::StreamNotice::DEVICE_RECONFIGURED);
      break;
    case Notice::Kind::kStopWatchReset:
      out->set_kind(v1::StreamNotice::STOP_WATCH_RESET);
      break;
    case Notice::Kind::kInputsDropped:
      out->set_kind(v1::StreamNotice::INPUTS_DROPPED);
      break;
    case Notice::Kind::kGraphStopped:
      out->set_kind(v1::StreamNotice::GRAPH_STOPPED);
      break;
    case Notice::Kind::kShuttingDown:
      out->set_kind(v1::StreamNotice::SHUTTING_DOWN);
      break;
    case Notice::Kind::kDeviceLost:
      out->set_kind(v1::StreamNotice::DEVICE_LOST);
      break;
  }
  out->set_message(notice.message);
  out->set_dropped_inputs(notice.dropped_inputs);
  return EncodePayload(message, 0);
}

PayloadPtr EncodeKeepAlive(uint64_t stop_watch_us) {
  v1::StreamMessage message;
  message.mutable_keep_alive()->set_stop_watch_us(stop_watch_us);
  return EncodePayload(message, 0);
}

}  // namespace speckd::server::api
