#include "server/api/convert.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "driver/chip/input_check.h"

namespace speckd::server::api {
namespace {

namespace v1 = ::speckd::v1;

absl::Status ColumnError(absl::string_view batch, absl::string_view field,
                         int size, int n) {
  return absl::InvalidArgumentError(absl::StrCat(
      batch, ".", field, ": ", size, " values, but timestamp_us has ", n,
      " (every column of a batch has one value per event)"));
}

absl::Status Bad(absl::string_view column, int index,
                 const chip::InputProblem& problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      column, "[", index, "].", problem.field, ": ", problem.message));
}

absl::Status CheckDvs(const v1::DvsEventBatch& dvs) {
  const int n = dvs.timestamp_us_size();
  for (auto [field, size] : {std::pair<const char*, int>{"x", dvs.x_size()},
                             {"y", dvs.y_size()},
                             {"p", dvs.p_size()}}) {
    if (size != n) return ColumnError("dvs_events", field, size, n);
  }
  uint64_t previous = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t t = dvs.timestamp_us(i);
    if (t < previous) {
      return Bad("dvs_events", i, chip::OrderProblem(t, previous));
    }
    if (!chip::InputCheck::DvsOk(dvs.x(i), dvs.y(i))) {
      return Bad("dvs_events", i,
                 chip::InputCheck::DvsProblem(dvs.x(i), dvs.y(i)));
    }
    previous = t;
  }
  return absl::OkStatus();
}

// Checks every spike and appends it to `out` as an input (one pass over the
// raw columns: this is the ingest hot path).
absl::Status ConvertSpikes(const v1::SpikeBatch& spikes,
                           const chip::SpeckConfig& config,
                           std::vector<chip::InputEvent>* out) {
  const int n = spikes.timestamp_us_size();
  for (auto [field, size] :
       {std::pair<const char*, int>{"layer", spikes.layer_size()},
        {"feature", spikes.feature_size()},
        {"x", spikes.x_size()},
        {"y", spikes.y_size()}}) {
    if (size != n) return ColumnError("spikes", field, size, n);
  }
  const chip::InputCheck check(&config);
  const uint64_t* t = spikes.timestamp_us().data();
  const uint32_t* layer = spikes.layer().data();
  const uint32_t* feature = spikes.feature().data();
  const uint32_t* x = spikes.x().data();
  const uint32_t* y = spikes.y().data();
  const size_t first = out->size();
  out->resize(first + static_cast<size_t>(n));
  chip::InputEvent* e = out->data() + first;
  uint64_t previous = 0;
  for (int i = 0; i < n; ++i) {
    if (t[i] < previous || !check.SpikeOk(layer[i], feature[i], x[i], y[i])) {
      out->resize(first);
      chip::InputProblem problem = chip::OrderProblem(t[i], previous);
      if (problem.ok()) {
        problem = check.SpikeProblem(layer[i], feature[i], x[i], y[i]);
      }
      return Bad("spikes", i, problem);
    }
    previous = t[i];
    e[i].timestamp_us = t[i];
    e[i].feature = static_cast<uint16_t>(feature[i]);
    e[i].layer = static_cast<uint8_t>(layer[i]);
    e[i].x = static_cast<uint8_t>(x[i]);
    e[i].y = static_cast<uint8_t>(y[i]);
    e[i].p = false;
    e[i].kind = chip::InputEvent::Kind::kSpike;
  }
  return absl::OkStatus();
}

// Columns of `spikes`, reserved once.
void AppendSpikes(absl::Span<const chip::Spike> spikes, v1::SpikeBatch* batch) {
  const int n = batch->timestamp_us_size() + static_cast<int>(spikes.size());
  batch->mutable_timestamp_us()->Reserve(n);
  batch->mutable_layer()->Reserve(n);
  batch->mutable_feature()->Reserve(n);
  batch->mutable_x()->Reserve(n);
  batch->mutable_y()->Reserve(n);
  for (const chip::Spike& s : spikes) {
    batch->mutable_timestamp_us()->AddAlreadyReserved(s.timestamp_us);
    batch->mutable_layer()->AddAlreadyReserved(s.layer);
    batch->mutable_feature()->AddAlreadyReserved(s.feature);
    batch->mutable_x()->AddAlreadyReserved(s.x);
    batch->mutable_y()->AddAlreadyReserved(s.y);
  }
}

void SetWindow(uint64_t start, uint64_t end, v1::SpikeCount* out) {
  out->set_window_start_us(start);
  out->set_window_end_us(end);
}

}  // namespace

absl::StatusOr<std::vector<chip::InputEvent>> InputsFromProto(
    const v1::WriteEventsRequest& request, const chip::SpeckConfig& config) {
  const v1::DvsEventBatch& dvs = request.dvs_events();
  const v1::SpikeBatch& spikes = request.spikes();
  if (absl::Status s = CheckDvs(dvs); !s.ok()) return s;
  std::vector<chip::InputEvent> out;
  const int nd = dvs.timestamp_us_size();
  if (nd == 0) {
    // Spikes only: converted in place, already in order.
    if (absl::Status s = ConvertSpikes(spikes, config, &out); !s.ok()) return s;
    return out;
  }
  std::vector<chip::InputEvent> converted;
  if (absl::Status s = ConvertSpikes(spikes, config, &converted); !s.ok()) {
    return s;
  }
  out.reserve(static_cast<size_t>(nd) + converted.size());
  size_t s = 0;
  for (int d = 0; d < nd; ++d) {
    // Merge by timestamp; DVS events first on ties.
    while (s < converted.size() &&
           converted[s].timestamp_us < dvs.timestamp_us(d)) {
      out.push_back(converted[s++]);
    }
    out.push_back(chip::InputEvent::FromDvs(
        {dvs.timestamp_us(d), static_cast<uint8_t>(dvs.x(d)),
         static_cast<uint8_t>(dvs.y(d)), dvs.p(d)}));
  }
  out.insert(out.end(), converted.begin() + static_cast<ptrdiff_t>(s),
             converted.end());
  return out;
}

void ToProto(const DeviceSnapshot& snapshot, v1::Device* out) {
  const driver::DeviceDescriptor& d = snapshot.descriptor;
  out->set_id(d.id);
  out->set_type_name(d.type_name);
  out->set_serial_number(d.serial_number);
  out->set_backend(d.backend == driver::Backend::kSim ? v1::SIM : v1::USB);
  switch (snapshot.state) {
    case DeviceState::kAbsent:
      out->set_state(v1::ABSENT);
      break;
    case DeviceState::kReady:
      out->set_state(v1::READY);
      break;
    case DeviceState::kConfigured:
      out->set_state(v1::CONFIGURED);
      break;
    case DeviceState::kStreaming:
      out->set_state(v1::STREAMING);
      break;
    case DeviceState::kLost:
      out->set_state(v1::LOST);
      break;
  }
  out->set_usb_bus_number(d.usb_bus_number);
  out->set_usb_device_address(d.usb_device_address);
  out->set_logic_version(d.logic_version);
  v1::Lease* lease = out->mutable_lease();
  lease->set_device_id(d.id);
  if (snapshot.lease.has_value()) {
    lease->set_holder(snapshot.lease->holder);
    lease->set_expires_unix_ms(absl::ToUnixMillis(snapshot.lease->expires));
  }
  v1::StopWatch* watch = out->mutable_stop_watch();
  watch->set_enabled(snapshot.stop_watch.enabled);
  watch->set_time_us(snapshot.stop_watch.time_us);
  watch->set_epoch(snapshot.stop_watch.epoch);
  out->mutable_slow_clock()->set_enabled(snapshot.slow_clock.enabled);
  out->mutable_slow_clock()->set_rate_hz(snapshot.slow_clock.rate_hz);
  out->set_pacing(snapshot.pacing == driver::Pacing::kRealTime
                      ? v1::REAL_TIME
                      : v1::AS_FAST_AS_POSSIBLE);
  out->set_power_monitor_rate_hz(snapshot.power_monitor_rate_hz);
  out->set_events_in(snapshot.counters.events_in);
  out->set_events_out(snapshot.counters.events_out);
  out->set_queued_inputs(snapshot.counters.queued_inputs);
  out->set_late_inputs(snapshot.counters.late_inputs);
  out->set_synops(snapshot.counters.synops);
  out->set_cascade_overflow(snapshot.counters.cascade_overflow);
  out->set_dropped_inputs(snapshot.counters.dropped_inputs);
  out->set_pending_writes(snapshot.pending_writes);
  out->set_state_detail(snapshot.state_detail);
}

std::optional<graph::EventType> EventTypeFromProto(v1::EventType type) {
  switch (type) {
    case v1::SPIKE:
      return graph::EventType::kSpike;
    case v1::DVS_EVENT:
      return graph::EventType::kDvsEvent;
    case v1::READOUT_VALUE:
      return graph::EventType::kReadoutValue;
    case v1::READOUT_PIN_VALUE:
      return graph::EventType::kReadoutPinValue;
    case v1::MEASUREMENT:
      return graph::EventType::kMeasurement;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<graph::GraphSpec> GraphSpecFromProto(
    const v1::GraphSpec& spec, const std::string& device_id,
    const std::string& lease_id) {
  graph::GraphSpec out;
  out.name = spec.name();
  for (int i = 0; i < spec.nodes_size(); ++i) {
    const v1::NodeSpec& n = spec.nodes(i);
    graph::NodeSpec node;
    node.name = n.name();
    switch (n.kind_case()) {
      case v1::NodeSpec::kDeviceSource:
        node.kind = graph::NodeKind::kDeviceSource;
        break;
      case v1::NodeSpec::kDeviceSink:
        node.kind = graph::NodeKind::kDeviceSink;
        node.member = n.device_sink().device_id().empty()
                          ? device_id
                          : n.device_sink().device_id();
        node.lease_id = n.device_sink().lease_id().empty()
                            ? lease_id
                            : n.device_sink().lease_id();
        break;
      case v1::NodeSpec::kPowerSource:
        node.kind = graph::NodeKind::kPowerSource;
        break;
      case v1::NodeSpec::kTypeFilter: {
        node.kind = graph::NodeKind::kTypeFilter;
        const std::optional<graph::EventType> type =
            EventTypeFromProto(n.type_filter().desired_type());
        if (!type.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "nodes[", i, "] '", n.name(),
              "': type_filter.desired_type must be set (SPIKE, DVS_EVENT, "
              "READOUT_VALUE, READOUT_PIN_VALUE or MEASUREMENT)"));
        }
        node.desired_type = *type;
        break;
      }
      case v1::NodeSpec::kMemberSelect:
        node.kind = graph::NodeKind::kMemberSelect;
        node.member = n.member_select().member();
        node.white_list.assign(n.member_select().white_list().begin(),
                               n.member_select().white_list().end());
        break;
      case v1::NodeSpec::kSpikeCollection:
        node.kind = graph::NodeKind::kSpikeCollection;
        node.interval_ms = n.spike_collection().interval_milli_sec();
        break;
      case v1::NodeSpec::kSpikeCount:
        node.kind = graph::NodeKind::kSpikeCount;
        node.feature_count = n.spike_count().feature_count();
        break;
      case v1::NodeSpec::kActivityFrame:
        node.kind = graph::NodeKind::kActivityFrame;
        node.layer = n.activity_frame().layer();
        node.interval_ms = n.activity_frame().interval_milli_sec();
        break;
      case v1::NodeSpec::kMajorityReadout:
        node.kind = graph::NodeKind::kMajorityReadout;
        MajorityFromProto(n.majority_readout(), &node);
        break;
      case v1::NodeSpec::kEndpoint:
        node.kind = graph::NodeKind::kEndpoint;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "nodes[", i, "] '", n.name(),
            "': unknown or missing node type (set one of device_source, "
            "device_sink, power_source, type_filter, member_select, "
            "spike_collection, spike_count, activity_frame, majority_readout, "
            "endpoint)"));
    }
    out.nodes.push_back(std::move(node));
  }
  for (const v1::Edge& e : spec.edges())
    out.edges.push_back({e.source(), e.target()});
  return out;
}

void ToProto(const graph::GraphSpec& spec, v1::GraphSpec* out) {
  out->set_name(spec.name);
  for (const graph::NodeSpec& node : spec.nodes) {
    v1::NodeSpec* n = out->add_nodes();
    n->set_name(node.name);
    switch (node.kind) {
      case graph::NodeKind::kDeviceSource:
        n->mutable_device_source();
        break;
      case graph::NodeKind::kDeviceSink:
        n->mutable_device_sink()->set_device_id(node.member);
        break;
      case graph::NodeKind::kPowerSource:
        n->mutable_power_source();
        break;
      case graph::NodeKind::kTypeFilter: {
        static constexpr v1::EventType kTypes[] = {
            v1::SPIKE, v1::DVS_EVENT, v1::READOUT_VALUE, v1::READOUT_PIN_VALUE,
            v1::MEASUREMENT};
        n->mutable_type_filter()->set_desired_type(
            kTypes[static_cast<int>(node.desired_type)]);
        break;
      }
      case graph::NodeKind::kMemberSelect:
        n->mutable_member_select()->set_member(node.member);
        for (uint32_t v : node.white_list) {
          n->mutable_member_select()->add_white_list(v);
        }
        break;
      case graph::NodeKind::kSpikeCollection:
        n->mutable_spike_collection()->set_interval_milli_sec(node.interval_ms);
        break;
      case graph::NodeKind::kSpikeCount:
        n->mutable_spike_count()->set_feature_count(node.feature_count);
        break;
      case graph::NodeKind::kActivityFrame:
        n->mutable_activity_frame()->set_layer(node.layer);
        n->mutable_activity_frame()->set_interval_milli_sec(node.interval_ms);
        break;
      case graph::NodeKind::kMajorityReadout: {
        v1::MajorityReadoutNode* m = n->mutable_majority_readout();
        m->set_feature_count(node.feature_count);
        m->set_default_feature(node.default_feature);
        m->set_threshold_low(node.threshold_low);
        m->set_threshold_high(node.threshold_high);
        m->set_detection_threshold(node.detection_threshold);
        break;
      }
      case graph::NodeKind::kEndpoint:
        n->mutable_endpoint();
        break;
    }
  }
  for (const graph::EdgeSpec& e : spec.edges) {
    v1::Edge* edge = out->add_edges();
    edge->set_source(e.source);
    edge->set_target(e.target);
  }
}

void ToProto(const GraphInfo& info, v1::Graph* out) {
  out->set_id(info.id);
  out->set_device_id(info.device_id);
  ToProto(info.spec, out->mutable_spec());
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

void EncodeSpikes(const graph::Packet& packet, std::vector<PayloadPtr>* out) {
  for (size_t first = 0; first < packet.spikes.size();
       first += kSpikesPerMessage) {
    const absl::Span<const chip::Spike> part =
        packet.spikes.subspan(first, kSpikesPerMessage);
    v1::StreamMessage message;
    AppendSpikes(part, message.mutable_spikes());
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
      AppendSpikes(part, c->mutable_spikes());
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

std::vector<PayloadPtr> EncodePacket(const graph::Packet& packet) {
  std::vector<PayloadPtr> out;
  EncodeSpikes(packet, &out);
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
