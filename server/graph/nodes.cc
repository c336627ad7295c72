#include "server/graph/nodes.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "driver/chip/dvs_region.h"

namespace speckd::server::graph {
namespace {

// Features are 16 bit on the chip; larger counts would only waste memory.
constexpr uint32_t kMaxFeatureCount = 1u << 16;
// Spike coordinates are 8 bit.
constexpr uint32_t kMaxFrameSide = 256;

absl::Status ParamError(const NodeSpec& spec, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("node '", spec.name, "': ", message));
}

absl::Status CheckFeatureCount(const NodeSpec& spec) {
  if (spec.feature_count < 1) {
    return ParamError(spec, "feature_count must be >= 1");
  }
  if (spec.feature_count > kMaxFeatureCount) {
    return ParamError(
        spec, absl::StrCat("feature_count must be <= ", kMaxFeatureCount));
  }
  return absl::OkStatus();
}

absl::Status CheckInterval(const NodeSpec& spec) {
  if (spec.interval_ms < 1) {
    return ParamError(spec, "interval_ms must be >= 1");
  }
  return absl::OkStatus();
}

TimeLine TimeOf(const driver::DeviceOutput& output) {
  TimeLine time;
  time.epoch = output.epoch;
  time.time_us = output.time_us;
  time.flush = output.flush;
  time.last_input_us = output.last_input_us;
  return time;
}

// Items of an events packet that are not spikes.
uint64_t NonSpikeItems(const Packet& in) {
  return in.readout_values.size() + in.readout_pins.size() + in.power.size();
}

// An output slot of `slots`, reused if it exists (keeping its buffers).
template <typename T>
T& NextSlot(std::vector<T>& slots, size_t& used) {
  if (used == slots.size()) slots.emplace_back();
  return slots[used++];
}

}  // namespace

const char* NodeKindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kDeviceSource:
      return "device_source";
    case NodeKind::kDeviceSink:
      return "device_sink";
    case NodeKind::kPowerSource:
      return "power_source";
    case NodeKind::kTypeFilter:
      return "type_filter";
    case NodeKind::kMemberSelect:
      return "member_select";
    case NodeKind::kSpikeCollection:
      return "spike_collection";
    case NodeKind::kSpikeCount:
      return "spike_count";
    case NodeKind::kActivityFrame:
      return "activity_frame";
    case NodeKind::kMajorityReadout:
      return "majority_readout";
    case NodeKind::kEndpoint:
      return "endpoint";
  }
  return "unknown";
}

PortType InputTypeOf(NodeKind kind) {
  switch (kind) {
    case NodeKind::kDeviceSource:
    case NodeKind::kPowerSource:
      return PortType::kNone;
    case NodeKind::kDeviceSink:
    case NodeKind::kTypeFilter:
    case NodeKind::kMemberSelect:
    case NodeKind::kSpikeCollection:
    case NodeKind::kActivityFrame:
      return PortType::kEvents;
    case NodeKind::kSpikeCount:
    case NodeKind::kMajorityReadout:
      return PortType::kCollections;
    case NodeKind::kEndpoint:
      return PortType::kAny;
  }
  return PortType::kNone;
}

PortType OutputTypeOf(NodeKind kind) {
  switch (kind) {
    case NodeKind::kDeviceSource:
    case NodeKind::kPowerSource:
    case NodeKind::kTypeFilter:
    case NodeKind::kMemberSelect:
      return PortType::kEvents;
    case NodeKind::kSpikeCollection:
      return PortType::kCollections;
    case NodeKind::kSpikeCount:
      return PortType::kCounts;
    case NodeKind::kActivityFrame:
      return PortType::kFrames;
    case NodeKind::kMajorityReadout:
      return PortType::kReadout;
    case NodeKind::kDeviceSink:
    case NodeKind::kEndpoint:
      return PortType::kNone;
  }
  return PortType::kNone;
}

const Packet* Node::Produce(const driver::DeviceOutput& /*output*/) {
  return nullptr;
}

const Packet* Node::Receive(const Packet& /*in*/) { return nullptr; }

NodeCounters Node::counters() const {
  NodeCounters c;
  c.node = name_;
  c.received = received_.load(std::memory_order_relaxed);
  c.emitted = emitted_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  return c;
}

absl::Status FrameSize(const chip::SpeckConfig& config, uint32_t layer,
                       uint32_t* width, uint32_t* height) {
  uint32_t w = 0;
  uint32_t h = 0;
  if (layer < static_cast<uint32_t>(chip::kNumCores)) {
    if (layer >= config.cnn_layers.size() ||
        !config.cnn_layers[layer].InUse()) {
      return absl::InvalidArgumentError(
          absl::StrCat("core ", layer, " is not in use"));
    }
    const chip::Vec2& size =
        config.cnn_layers[layer].dimensions.output_shape.size;
    w = size.x;
    h = size.y;
  } else if (layer == static_cast<uint32_t>(chip::kDvsLayer)) {
    const chip::Vec2 size = chip::DvsOutputSize(config.dvs_layer);
    if (size.x == 0 || size.y == 0) {
      return absl::InvalidArgumentError(
          "DVS layer region of interest is empty");
    }
    w = size.x;
    h = size.y;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "layer ", layer, " has no activity (cores 0..8 or 13 = DVS)"));
  }
  if (w == 0 || h == 0 || w > kMaxFrameSide || h > kMaxFrameSide) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer ", layer, " map is ", w, " x ", h, " (1..",
                     kMaxFrameSide, " per side)"));
  }
  *width = w;
  *height = h;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Node>> MakeNode(const NodeSpec& spec,
                                               const GraphContext& context) {
  switch (spec.kind) {
    case NodeKind::kDeviceSource:
      return std::make_unique<DeviceSourceNode>(spec);
    case NodeKind::kPowerSource:
      return std::make_unique<PowerSourceNode>(spec);
    case NodeKind::kDeviceSink: {
      if (spec.member.empty()) {
        return ParamError(spec,
                          "device_sink needs the target device id in `member`");
      }
      if (!context.input_sink) {
        return ParamError(spec, "no device input is available here");
      }
      InputSink* sink = context.input_sink(spec.member);
      if (sink == nullptr) {
        return ParamError(spec, absl::StrCat("unknown device '", spec.member,
                                             "' in `member`"));
      }
      return std::make_unique<DeviceSinkNode>(spec, sink);
    }
    case NodeKind::kTypeFilter:
      switch (spec.desired_type) {
        case EventType::kSpike:
        case EventType::kDvsEvent:
        case EventType::kReadoutValue:
        case EventType::kReadoutPinValue:
        case EventType::kMeasurement:
          return std::make_unique<TypeFilterNode>(spec);
      }
      return ParamError(spec, "unknown desired_type");
    case NodeKind::kMemberSelect: {
      if (spec.member != "layer" && spec.member != "feature") {
        return ParamError(
            spec, absl::StrCat("member must be \"layer\" or ",
                               "\"feature\", not \"", spec.member, "\""));
      }
      if (spec.white_list.empty()) {
        return ParamError(spec, "white_list must not be empty");
      }
      const uint32_t limit = spec.member == "layer" ? 256 : kMaxFeatureCount;
      for (uint32_t value : spec.white_list) {
        if (value >= limit) {
          return ParamError(
              spec, absl::StrCat("white_list value ", value, " is not a ",
                                 spec.member, " (< ", limit, ")"));
        }
      }
      return std::make_unique<MemberSelectNode>(spec);
    }
    case NodeKind::kSpikeCollection:
      if (absl::Status s = CheckInterval(spec); !s.ok()) return s;
      return std::make_unique<SpikeCollectionNode>(spec);
    case NodeKind::kSpikeCount:
      if (absl::Status s = CheckFeatureCount(spec); !s.ok()) return s;
      return std::make_unique<SpikeCountNode>(spec);
    case NodeKind::kActivityFrame: {
      if (absl::Status s = CheckInterval(spec); !s.ok()) return s;
      uint32_t width = 0;
      uint32_t height = 0;
      if (absl::Status s =
              FrameSize(context.config, spec.layer, &width, &height);
          !s.ok()) {
        return ParamError(spec, s.message());
      }
      return std::make_unique<ActivityFrameNode>(spec, width, height);
    }
    case NodeKind::kMajorityReadout:
      if (absl::Status s = CheckFeatureCount(spec); !s.ok()) return s;
      if (spec.default_feature >= spec.feature_count) {
        return ParamError(spec, "default_feature must be < feature_count");
      }
      if (spec.threshold_low > spec.threshold_high) {
        return ParamError(spec, "threshold_low must be <= threshold_high");
      }
      return std::make_unique<MajorityReadoutNode>(spec);
    case NodeKind::kEndpoint:
      return std::make_unique<EndpointNode>(spec);
  }
  return ParamError(spec, "unknown node kind");
}

// --- sources and sinks ---

const Packet* DeviceSourceNode::Produce(const driver::DeviceOutput& output) {
  out_.type = PortType::kEvents;
  out_.time = TimeOf(output);
  out_.spikes = output.events.spikes;
  out_.readout_values = output.events.readout_values;
  out_.readout_pins = output.events.readout_pins;
  return &out_;
}

const Packet* PowerSourceNode::Produce(const driver::DeviceOutput& output) {
  out_.type = PortType::kEvents;
  out_.time = TimeOf(output);
  out_.power = output.power;
  return &out_;
}

const Packet* DeviceSinkNode::Receive(const Packet& in) {
  CountDropped(NonSpikeItems(in));
  if (in.spikes.empty()) return nullptr;
  events_.clear();
  for (const chip::Spike& spike : in.spikes) {
    events_.push_back(chip::InputEvent::FromSpike(spike));
  }
  absl::StatusOr<uint64_t> refused = sink_->Write(events_, lease_id_);
  if (refused.ok()) {
    CountDropped(*refused);
    return nullptr;
  }
  CountDropped(events_.size());
  RequestStop(absl::StrCat("node '", name(), "' may no longer write into ",
                           target_, ": ", refused.status().message()));
  return nullptr;
}

const Packet* EndpointNode::Receive(const Packet& in) {
  std::shared_ptr<EndpointSink> sink = std::atomic_load(&sink_);
  if (sink != nullptr) CountDropped(sink->Publish(in));
  return nullptr;
}

// --- event filters ---

const Packet* TypeFilterNode::Receive(const Packet& in) {
  out_ = Packet();
  out_.type = PortType::kEvents;
  out_.time = in.time;
  switch (type_) {
    case EventType::kSpike:
      out_.spikes = in.spikes;
      break;
    case EventType::kReadoutValue:
      out_.readout_values = in.readout_values;
      break;
    case EventType::kReadoutPinValue:
      out_.readout_pins = in.readout_pins;
      break;
    case EventType::kMeasurement:
      out_.power = in.power;
      break;
    case EventType::kDvsEvent:
      break;
  }
  return &out_;
}

MemberSelectNode::MemberSelectNode(const NodeSpec& spec)
    : Node(spec), by_layer_(spec.member == "layer") {
  allowed_.assign(by_layer_ ? 256 : kMaxFeatureCount, false);
  for (uint32_t value : spec.white_list) allowed_[value] = true;
  out_.type = PortType::kEvents;
}

const Packet* MemberSelectNode::Receive(const Packet& in) {
  CountDropped(NonSpikeItems(in));
  spikes_.clear();
  for (const chip::Spike& spike : in.spikes) {
    if (allowed_[by_layer_ ? spike.layer : spike.feature]) {
      spikes_.push_back(spike);
    }
  }
  out_.time = in.time;
  out_.spikes = spikes_;
  return &out_;
}

// --- windowing ---

WindowingNode::WindowingNode(const NodeSpec& spec, PortType output_type)
    : Node(spec), interval_us_(uint64_t{spec.interval_ms} * 1000) {
  out_.type = output_type;
}

void WindowingNode::Restart(const Packet& in) {
  if (started_) CountDropped(Discard());
  uint64_t first_us = in.time.time_us;
  for (const chip::Spike& spike : in.spikes) {
    if (Selects(spike)) first_us = std::min(first_us, spike.timestamp_us);
  }
  started_ = true;
  epoch_ = in.time.epoch;
  start_us_ = first_us - first_us % interval_us_;
}

void WindowingNode::CloseWindows(uint64_t n) {
  if (n == 0) return;
  Close(start_us_, start_us_ + interval_us_, 0);
  Advance(1);
  if (n == 1) return;
  // The rest are empty: one item for all of them, the last one standing for
  // the n - 2 before it.
  Advance(n - 2);
  Close(start_us_, start_us_ + interval_us_, n - 2);
  Advance(1);
}

const Packet* WindowingNode::Receive(const Packet& in) {
  BeginOutput();
  CountDropped(NonSpikeItems(in));
  if (!started_ || in.time.epoch != epoch_) Restart(in);
  for (const chip::Spike& spike : in.spikes) {
    if (!Selects(spike)) continue;
    const uint64_t t = spike.timestamp_us;
    if (t < start_us_) {  // its window already closed
      CountDropped(1);
      continue;
    }
    if (t - start_us_ >= interval_us_) {
      CloseWindows((t - start_us_) / interval_us_);
    }
    if (!Add(spike)) CountDropped(1);
  }
  // Windows ending at or before time_us can receive nothing more.
  if (in.time.time_us >= start_us_) {
    CloseWindows((in.time.time_us - start_us_) / interval_us_);
  }
  if (in.time.flush && in.time.last_input_us >= start_us_) {
    CloseWindows((in.time.last_input_us - start_us_) / interval_us_ + 1);
  }
  out_.time = in.time;
  FinishOutput(out_);
  return &out_;
}

bool SpikeCollectionNode::Add(const chip::Spike& spike) {
  open_.push_back(spike);
  return true;
}

void SpikeCollectionNode::Close(uint64_t start_us, uint64_t end_us,
                                uint64_t empty_before) {
  SpikeWindow& window = NextSlot(windows_, used_);
  window.start_us = start_us;
  window.end_us = end_us;
  window.empty_before = empty_before;
  // Swap rather than copy: both vectors keep their capacity.
  window.spikes.clear();
  window.spikes.swap(open_);
}

uint64_t SpikeCollectionNode::Discard() {
  const uint64_t n = open_.size();
  open_.clear();
  return n;
}

void SpikeCollectionNode::FinishOutput(Packet& out) {
  out.collections = absl::MakeConstSpan(windows_.data(), used_);
}

void ActivityFrameNode::Resize(uint32_t width, uint32_t height) {
  width_ = width;
  height_ = height;
  open_.assign(size_t{width} * height, 0);
  open_total_ = 0;
}

void ActivityFrameNode::Reconfigure(const chip::SpeckConfig& config) {
  uint32_t width = 0;
  uint32_t height = 0;
  if (!FrameSize(config, layer_, &width, &height).ok()) width = height = 0;
  CountDropped(Discard());
  Resize(width, height);
}

bool ActivityFrameNode::Add(const chip::Spike& spike) {
  if (spike.x >= width_ || spike.y >= height_) return false;
  ++open_[size_t{spike.y} * width_ + spike.x];
  ++open_total_;
  return true;
}

void ActivityFrameNode::Close(uint64_t start_us, uint64_t end_us,
                              uint64_t empty_before) {
  ActivityFrame& frame = NextSlot(frames_, used_);
  frame.layer = layer_;
  frame.start_us = start_us;
  frame.end_us = end_us;
  frame.empty_before = empty_before;
  frame.width = width_;
  frame.height = height_;
  frame.total = open_total_;
  frame.counts.swap(open_);
  // The slot's old buffer becomes the next open frame (no allocation once
  // every slot has one of the right size).
  open_.assign(size_t{width_} * height_, 0);
  open_total_ = 0;
}

uint64_t ActivityFrameNode::Discard() {
  const uint64_t n = open_total_;
  std::fill(open_.begin(), open_.end(), 0);
  open_total_ = 0;
  return n;
}

void ActivityFrameNode::FinishOutput(Packet& out) {
  out.frames = absl::MakeConstSpan(frames_.data(), used_);
}

// --- per-window reductions ---

const Packet* SpikeCountNode::Receive(const Packet& in) {
  size_t used = 0;
  for (const SpikeWindow& window : in.collections) {
    CountWindow& counts = NextSlot(windows_, used);
    counts.start_us = window.start_us;
    counts.end_us = window.end_us;
    counts.empty_before = window.empty_before;
    counts.counts.assign(feature_count_, 0);
    for (const chip::Spike& spike : window.spikes) {
      if (spike.feature < feature_count_) {
        ++counts.counts[spike.feature];
      } else {
        CountDropped(1);
      }
    }
  }
  out_.type = PortType::kCounts;
  out_.time = in.time;
  out_.counts = absl::MakeConstSpan(windows_.data(), used);
  return &out_;
}

MajorityReadoutNode::MajorityReadoutNode(const NodeSpec& spec)
    : Node(spec),
      feature_count_(spec.feature_count),
      default_feature_(spec.default_feature),
      threshold_low_(spec.threshold_low),
      threshold_high_(spec.threshold_high),
      detection_threshold_(spec.detection_threshold),
      counts_(spec.feature_count, 0) {
  out_.type = PortType::kReadout;
}

MajorityDecision MajorityReadoutNode::Decide(const SpikeWindow& window) {
  MajorityDecision d;
  d.start_us = window.start_us;
  d.end_us = window.end_us;
  d.empty_before = window.empty_before;
  d.feature = default_feature_;
  std::fill(counts_.begin(), counts_.end(), 0);
  for (const chip::Spike& spike : window.spikes) {
    if (spike.feature < feature_count_) ++counts_[spike.feature];
  }
  d.count = counts_[default_feature_];
  const size_t n = window.spikes.size();
  if (n < threshold_low_ || n > threshold_high_) return d;
  uint32_t best = 0;
  bool unique = false;
  for (uint32_t f = 0; f < feature_count_; ++f) {
    if (f == 0 || counts_[f] > counts_[best]) {
      best = f;
      unique = true;
    } else if (counts_[f] == counts_[best]) {
      unique = false;
    }
  }
  if (unique && counts_[best] > detection_threshold_) {
    d.feature = best;
    d.count = counts_[best];
    d.decided = true;
  }
  return d;
}

const Packet* MajorityReadoutNode::Receive(const Packet& in) {
  decisions_.clear();
  for (const SpikeWindow& window : in.collections) {
    decisions_.push_back(Decide(window));
  }
  out_.time = in.time;
  out_.majority = decisions_;
  return &out_;
}

}  // namespace speckd::server::graph
