// The node kinds of a Graph (internal to the graph library). Each node takes
// one input port type and puts out one output port type; it owns the buffers
// its output packets point into and reuses them (cleared, never freed), so a
// graph in steady state does not allocate per packet.
//
// Counting: `received` = items in, `emitted` = items out (both counted by the
// graph), `dropped` = items lost (counted by the node): late spikes, spikes
// outside a frame or feature range, items a device or endpoint refused, and
// non-spike items reaching a node that only handles spikes (samna errors on
// those: put a type_filter first). Items a node removes on purpose (type
// filter, activity frame of another layer) are not dropped.
#ifndef SPECKD_SERVER_GRAPH_NODES_H_
#define SPECKD_SERVER_GRAPH_NODES_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "driver/device.h"
#include "server/graph/graph.h"
#include "server/graph/packet.h"

namespace speckd::server::graph {

// "device_source", "spike_count", ...
const char* NodeKindName(NodeKind kind);
// Port types of a kind (kNone for an unknown kind).
PortType InputTypeOf(NodeKind kind);
PortType OutputTypeOf(NodeKind kind);
inline bool IsSource(NodeKind kind) {
  return kind == NodeKind::kDeviceSource || kind == NodeKind::kPowerSource;
}

class Node {
 public:
  explicit Node(const NodeSpec& spec) : name_(spec.name), kind_(spec.kind) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return name_; }
  NodeKind kind() const { return kind_; }
  PortType input_type() const { return InputTypeOf(kind_); }
  PortType output_type() const { return OutputTypeOf(kind_); }

  // Source nodes: the packet for one device output.
  virtual const Packet* Produce(const driver::DeviceOutput& output);
  // Other nodes: handles one packet; returns the packet to pass on (nullptr
  // for sinks). Returned packets stay valid until the node's next call.
  virtual const Packet* Receive(const Packet& in);
  // The device configuration changed.
  virtual void Reconfigure(const chip::SpeckConfig& config) {}
  // Why this node wants its graph stopped, once (see Graph::TakeStopRequest).
  std::optional<std::string> TakeStopRequest() {
    return std::exchange(stop_request_, std::nullopt);
  }

  // Counters are written by the processing thread only and read from any:
  // relaxed load + store (no read-modify-write) is enough for one writer.
  void CountReceived(uint64_t n) { Add(received_, n); }
  void CountEmitted(uint64_t n) { Add(emitted_, n); }
  NodeCounters counters() const;

 protected:
  void CountDropped(uint64_t n) { Add(dropped_, n); }
  void RequestStop(std::string why) { stop_request_ = std::move(why); }

 private:
  static void Add(std::atomic<uint64_t>& counter, uint64_t n) {
    if (n == 0) return;
    counter.store(counter.load(std::memory_order_relaxed) + n,
                  std::memory_order_relaxed);
  }

  const std::string name_;
  const NodeKind kind_;
  std::optional<std::string> stop_request_;  // processing thread only
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> emitted_{0};
  std::atomic<uint64_t> dropped_{0};
};

// Checks the parameters of `spec` and creates its node. INVALID_ARGUMENT
// names the node and the parameter.
absl::StatusOr<std::unique_ptr<Node>> MakeNode(const NodeSpec& spec,
                                               const GraphContext& context);

// device_source (in none, out events): the output's spikes, readout values
// and pins, plus its time line. One packet per device output, even an empty
// one: it still carries time progress.
class DeviceSourceNode final : public Node {
 public:
  using Node::Node;
  const Packet* Produce(const driver::DeviceOutput& output) override;

 private:
  Packet out_;
};

// power_source (in none, out events): the output's power measurements only.
class PowerSourceNode final : public Node {
 public:
  using Node::Node;
  const Packet* Produce(const driver::DeviceOutput& output) override;

 private:
  Packet out_;
};

// device_sink (in events, out none): writes incoming spikes into a device as
// input spikes (the spike's layer is the target core), as the holder of
// `lease_id`. NodeSpec has no device field, so `member` holds the target
// device id. The InputSink must outlive the graph. Non-spike items are
// dropped, and so is whatever Write refuses; once the lease no longer holds
// the target, the node asks for its graph to stop.
class DeviceSinkNode final : public Node {
 public:
  DeviceSinkNode(const NodeSpec& spec, InputSink* sink)
      : Node(spec),
        sink_(sink),
        target_(spec.member),
        lease_id_(spec.lease_id) {}
  const Packet* Receive(const Packet& in) override;

 private:
  InputSink* const sink_;
  const std::string target_;
  const std::string lease_id_;
  std::vector<chip::InputEvent> events_;
};

// type_filter (in events, out events): keeps one event type. Devices put no
// raw DVS events into packets, so kDvsEvent keeps nothing. A pure view of the
// input: no copy.
class TypeFilterNode final : public Node {
 public:
  explicit TypeFilterNode(const NodeSpec& spec)
      : Node(spec), type_(spec.desired_type) {}
  const Packet* Receive(const Packet& in) override;

 private:
  const EventType type_;
  Packet out_;
};

// member_select (in events, out events): keeps spikes whose layer or feature
// (`member`) is in `white_list`.
class MemberSelectNode final : public Node {
 public:
  explicit MemberSelectNode(const NodeSpec& spec);
  const Packet* Receive(const Packet& in) override;

 private:
  const bool by_layer_;
  std::vector<bool> allowed_;  // indexed by layer (256) or feature (65536)
  std::vector<chip::Spike> spikes_;
  Packet out_;
};

// The windowing shared by spike_collection and activity_frame. Windows are
// [k * interval, (k + 1) * interval) on the device's stop-watch time line,
// filled by event timestamps. The first window (and the first after a new
// epoch, which discards the open window) contains the earliest of the
// packet's time and its spikes. Spikes arrive in time order: a spike past the
// open window closes it, a spike before it is late (dropped). Windows close,
// empty or not, once time_us reaches their end; a flush closes every window
// that starts at or before last_input_us. A run of empty windows is put out
// as its last window with `empty_before` saying how many precede it: a jump
// of the time line costs O(1), however long.
class WindowingNode : public Node {
 public:
  const Packet* Receive(const Packet& in) final;

 protected:
  WindowingNode(const NodeSpec& spec, PortType output_type);

  // The spikes this node windows (others are ignored, not dropped).
  virtual bool Selects(const chip::Spike& spike) const { return true; }
  // Adds a spike to the open window; false if it does not fit (dropped).
  virtual bool Add(const chip::Spike& spike) = 0;
  // Appends the open window [start_us, end_us) to the output and empties it;
  // `empty_before` empty windows precede it (not put out).
  virtual void Close(uint64_t start_us, uint64_t end_us,
                     uint64_t empty_before) = 0;
  // Empties the open window; returns the spikes it held (then dropped).
  virtual uint64_t Discard() = 0;
  // Starts an empty output / points `out` at the windows closed since.
  virtual void BeginOutput() = 0;
  virtual void FinishOutput(Packet& out) = 0;

 private:
  void Restart(const Packet& in);
  // Closes the open window and the n - 1 (empty) windows after it.
  void CloseWindows(uint64_t n);
  // Moves to the next window, empty.
  void Advance(uint64_t windows) { start_us_ += windows * interval_us_; }

  const uint64_t interval_us_;
  bool started_ = false;
  uint64_t epoch_ = 0;
  uint64_t start_us_ = 0;  // of the open window
  Packet out_;
};

// spike_collection (in events, out collections): the spikes of each window.
class SpikeCollectionNode final : public WindowingNode {
 public:
  explicit SpikeCollectionNode(const NodeSpec& spec)
      : WindowingNode(spec, PortType::kCollections) {}

 private:
  bool Add(const chip::Spike& spike) override;
  void Close(uint64_t start_us, uint64_t end_us,
             uint64_t empty_before) override;
  uint64_t Discard() override;
  void BeginOutput() override { used_ = 0; }
  void FinishOutput(Packet& out) override;

  std::vector<chip::Spike> open_;
  std::vector<SpikeWindow> windows_;  // slots; the first used_ are output
  size_t used_ = 0;
};

// The count map size of `layer` under `config`: a core's output map, or the
// DVS layer's region of interest (pooled, cut, diagonal-mirrored).
// INVALID_ARGUMENT for other layers, unused cores and empty regions.
absl::Status FrameSize(const chip::SpeckConfig& config, uint32_t layer,
                       uint32_t* width, uint32_t* height);

// activity_frame (in events, out frames): per window, the spike count map of
// one layer (summed over features). Spikes outside the map are dropped.
class ActivityFrameNode final : public WindowingNode {
 public:
  ActivityFrameNode(const NodeSpec& spec, uint32_t width, uint32_t height)
      : WindowingNode(spec, PortType::kFrames), layer_(spec.layer) {
    Resize(width, height);
  }
  // New frame size (0 x 0 if the layer is no longer valid: every spike is
  // dropped); the open frame restarts, its spikes counted as dropped.
  void Reconfigure(const chip::SpeckConfig& config) override;

 private:
  bool Selects(const chip::Spike& spike) const override {
    return spike.layer == layer_;
  }
  bool Add(const chip::Spike& spike) override;
  void Close(uint64_t start_us, uint64_t end_us,
             uint64_t empty_before) override;
  uint64_t Discard() override;
  void BeginOutput() override { used_ = 0; }
  void FinishOutput(Packet& out) override;
  void Resize(uint32_t width, uint32_t height);

  const uint32_t layer_;
  uint32_t width_ = 0;
  uint32_t height_ = 0;
  std::vector<uint32_t> open_;  // the open frame's counts
  uint64_t open_total_ = 0;
  std::vector<ActivityFrame> frames_;  // slots; the first used_ are output
  size_t used_ = 0;
};

// spike_count (in collections, out counts): per window, spikes per feature
// 0..feature_count-1; spikes of higher features are dropped.
class SpikeCountNode final : public Node {
 public:
  explicit SpikeCountNode(const NodeSpec& spec)
      : Node(spec), feature_count_(spec.feature_count) {}
  const Packet* Receive(const Packet& in) override;

 private:
  const uint32_t feature_count_;
  std::vector<CountWindow> windows_;  // slots; reused
  Packet out_;
};

// majority_readout (in collections, out readout): sinabs' majority rule per
// window. With n spikes in the window and threshold_low <= n <=
// threshold_high, the feature (< feature_count) with the unique largest count
// wins if that count exceeds detection_threshold; otherwise default_feature
// (decided = false). `count` is the chosen feature's spikes in the window.
class MajorityReadoutNode final : public Node {
 public:
  explicit MajorityReadoutNode(const NodeSpec& spec);
  const Packet* Receive(const Packet& in) override;

 private:
  MajorityDecision Decide(const SpikeWindow& window);

  const uint32_t feature_count_;
  const uint32_t default_feature_;
  const uint32_t threshold_low_;
  const uint32_t threshold_high_;
  const uint32_t detection_threshold_;
  std::vector<uint32_t> counts_;  // per feature, scratch
  std::vector<MajorityDecision> decisions_;
  Packet out_;
};

// endpoint (in any, out none): hands every packet (empty ones too: they
// carry time) to its EndpointSink, counting what the sink drops. Without a
// sink it only counts what it receives.
class EndpointNode final : public Node {
 public:
  using Node::Node;
  const Packet* Receive(const Packet& in) override;
  // Any thread. A Publish in progress keeps the old sink alive.
  void SetSink(std::shared_ptr<EndpointSink> sink) {
    std::atomic_store(&sink_, std::move(sink));
  }

 private:
  std::shared_ptr<EndpointSink> sink_;  // std::atomic_load / atomic_store
};

}  // namespace speckd::server::graph

#endif  // SPECKD_SERVER_GRAPH_NODES_H_
