#include "server/api/event_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_join.h"
#include "server/api/convert.h"
#include "server/api/status.h"

namespace speckd::server::api {
namespace {

// Writes wait at most this long for room in the device queue when the client
// set no deadline.
constexpr absl::Duration kDefaultWriteDeadline = absl::Seconds(30);

absl::Time WriteDeadline(const grpc::CallbackServerContext* context) {
  const absl::Time rpc = absl::FromChrono(context->deadline());
  return std::min(rpc, absl::Now() + kDefaultWriteDeadline);
}

class FailedStreamReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FailedStreamReactor(grpc::Status status) {
    Finish(std::move(status));
  }
  void OnDone() override { delete this; }
};

// Client-streaming writes: one batch at a time; the next read starts only
// once the device accepted the previous batch, so gRPC flow control slows a
// writer that is faster than the device.
class WriteStream final
    : public grpc::ServerReadReactor<v1::WriteEventsRequest> {
 public:
  WriteStream(DeviceManager* devices, grpc::CallbackServerContext* context,
              v1::WriteEventsResponse* response)
      : devices_(devices), context_(context), response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client closed its side: flush so windows up to the last written
      // timestamp close, then answer.
      if (device_ == nullptr) {
        Finish(grpc::Status::OK);
        return;
      }
      Submit({}, /*flush=*/true, /*last=*/true);
      return;
    }
    if (device_ == nullptr) {
      absl::StatusOr<ManagedDevice*> device =
          devices_->Find(request_.device_id());
      if (!device.ok()) {
        Finish(ToGrpcStatus(device.status()));
        return;
      }
      device_ = *device;
      lease_id_ = request_.lease_id();
    } else if (!request_.lease_id().empty()) {
      lease_id_ = request_.lease_id();
    }
    absl::StatusOr<std::vector<chip::InputEvent>> events =
        InputsFromProto(request_, *device_->configuration());
    if (!events.ok()) {
      Finish(ToGrpcStatus(absl::Status(
          events.status().code(), absl::StrCat("message ", messages_, ": ",
                                               events.status().message()))));
      return;
    }
    ++messages_;
    Submit(*std::move(events), request_.flush(), /*last=*/false);
  }

  void OnDone() override { delete this; }

 private:
  void Submit(std::vector<chip::InputEvent> events, bool flush, bool last) {
    const size_t count = events.size();
    const uint64_t last_t = count ? events.back().timestamp_us : 0;
    absl::Status submitted = device_->SubmitWrite(
        lease_id_, std::move(events), flush, WriteDeadline(context_),
        [this, count, last_t, last](absl::Status status) {
          // On the device's writer thread.
          if (!status.ok()) {
            Finish(ToGrpcStatus(status));
            return;
          }
          accepted_ += count;
          last_timestamp_us_ = std::max(last_timestamp_us_, last_t);
          if (last) {
            response_->set_accepted(accepted_);
            response_->set_last_timestamp_us(last_timestamp_us_);
            Finish(grpc::Status::OK);
          } else {
            StartRead(&request_);
          }
        });
    if (!submitted.ok()) Finish(ToGrpcStatus(submitted));
  }

  DeviceManager* const devices_;
  grpc::CallbackServerContext* const context_;
  v1::WriteEventsResponse* const response_;
  v1::WriteEventsRequest request_;
  ManagedDevice* device_ = nullptr;
  std::string lease_id_;
  uint64_t messages_ = 0;
  uint64_t accepted_ = 0;
  uint64_t last_timestamp_us_ = 0;
};

// Spike layers to count when the request names none: every core.
std::vector<uint32_t> LayersOrCores(
    const google::protobuf::RepeatedField<uint32_t>& layers) {
  if (!layers.empty()) return {layers.begin(), layers.end()};
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < static_cast<uint32_t>(chip::kNumCores); ++i) {
    all.push_back(i);
  }
  return all;
}

graph::NodeSpec Node(const std::string& name, graph::NodeKind kind) {
  graph::NodeSpec node;
  node.name = name;
  node.kind = kind;
  return node;
}

graph::NodeSpec TypeFilter(const std::string& name, graph::EventType type) {
  graph::NodeSpec node = Node(name, graph::NodeKind::kTypeFilter);
  node.desired_type = type;
  return node;
}

graph::NodeSpec Select(const std::string& name, const std::string& member,
                       std::vector<uint32_t> white_list) {
  graph::NodeSpec node = Node(name, graph::NodeKind::kMemberSelect);
  node.member = member;
  node.white_list = std::move(white_list);
  return node;
}

// "1,2,3" for cache keys.
template <typename Container>
std::string Join(const Container& values) {
  return absl::StrJoin(values, ",");
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* Started(
    absl::StatusOr<StreamReactor*> reactor) {
  if (!reactor.ok()) return FailedStream(ToGrpcStatus(reactor.status()));
  return *reactor;
}

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* FailedStream(grpc::Status status) {
  return new FailedStreamReactor(std::move(status));
}

grpc::ServerReadReactor<v1::WriteEventsRequest>* EventServiceImpl::WriteEvents(
    grpc::CallbackServerContext* context, v1::WriteEventsResponse* response) {
  return new WriteStream(devices_, context, response);
}

grpc::ServerUnaryReactor* EventServiceImpl::WriteEventBatch(
    grpc::CallbackServerContext* context, const v1::WriteEventsRequest* request,
    v1::WriteEventsResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::StatusOr<std::vector<chip::InputEvent>> events =
      InputsFromProto(*request, *(*device)->configuration());
  if (!events.ok()) return FinishUnary(context, events.status());
  // Finished when the device has taken the batch (or the write failed).
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const uint64_t count = events->size();
  const uint64_t last = count ? events->back().timestamp_us : 0;
  absl::Status submitted = (*device)->SubmitWrite(
      request->lease_id(), *std::move(events), request->flush(),
      WriteDeadline(context),
      [reactor, response, count, last](absl::Status status) {
        if (status.ok()) {
          response->set_accepted(count);
          response->set_last_timestamp_us(last);
        }
        reactor->Finish(ToGrpcStatus(status));
      });
  if (!submitted.ok()) reactor->Finish(ToGrpcStatus(submitted));
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventServiceImpl::SubscribeEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::SubscribeEventsRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return FailedStream(ToGrpcStatus(device.status()));

  // Repeated enums are stored as ints.
  std::vector<v1::EventType> types;
  for (int type : request.filter().types()) {
    types.push_back(static_cast<v1::EventType>(type));
  }
  std::vector<int> type_numbers;
  if (types.empty()) types.push_back(v1::SPIKE);
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  graph::GraphSpec spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  for (v1::EventType type : types) {
    type_numbers.push_back(type);
    const std::string name = absl::StrCat("type_", v1::EventType_Name(type));
    const std::optional<graph::EventType> domain = EventTypeFromProto(type);
    if (!domain.has_value()) {
      return FailedStream(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       absl::StrCat("filter.types: ", static_cast<int>(type),
                                    " is not an event type")));
    }
    spec.nodes.push_back(TypeFilter(name, *domain));
    std::string last = name;
    if (type == v1::SPIKE && !request.filter().layers().empty()) {
      spec.nodes.push_back(Select("layers", "layer",
                                  {request.filter().layers().begin(),
                                   request.filter().layers().end()}));
      spec.edges.push_back({last, "layers"});
      last = "layers";
    }
    if (type == v1::SPIKE && !request.filter().features().empty()) {
      spec.nodes.push_back(Select("features", "feature",
                                  {request.filter().features().begin(),
                                   request.filter().features().end()}));
      spec.edges.push_back({last, "features"});
      last = "features";
    }
    spec.edges.push_back({"source", name});
    spec.edges.push_back({last, "endpoint"});
  }
  const std::string key = absl::StrCat("events|", Join(type_numbers), "|",
                                       Join(request.filter().layers()), "|",
                                       Join(request.filter().features()));
  return Started(hub_->Subscribe(*device, key, spec, "endpoint",
                                 OptionsFromProto(request.options())));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>*
EventServiceImpl::SubscribeSpikeCounts(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* raw) {
  v1::SubscribeSpikeCountsRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return FailedStream(ToGrpcStatus(device.status()));
  if (request.interval_ms() == 0) {
    return FailedStream(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                     "interval_ms: must be at least 1"));
  }
  if (request.feature_count() == 0) {
    return FailedStream(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                     "feature_count: must be at least 1"));
  }
  const std::vector<uint32_t> layers = LayersOrCores(request.layers());
  graph::GraphSpec spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(TypeFilter("spikes", graph::EventType::kSpike));
  spec.nodes.push_back(Select("layers", "layer", layers));
  graph::NodeSpec collection =
      Node("collection", graph::NodeKind::kSpikeCollection);
  collection.interval_ms = request.interval_ms();
  spec.nodes.push_back(collection);
  graph::NodeSpec count = Node("count", graph::NodeKind::kSpikeCount);
  count.feature_count = request.feature_count();
  spec.nodes.push_back(count);
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  spec.edges = {{"source", "spikes"},
                {"spikes", "layers"},
                {"layers", "collection"},
                {"collection", "count"},
                {"count", "endpoint"}};
  const std::string key =
      absl::StrCat("counts|", request.interval_ms(), "|",
                   request.feature_count(), "|", Join(layers));
  return Started(hub_->Subscribe(*device, key, spec, "endpoint",
                                 OptionsFromProto(request.options())));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventServiceImpl::SubscribeActivity(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::SubscribeActivityRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return FailedStream(ToGrpcStatus(device.status()));
  const uint32_t interval =
      request.frame_interval_ms() == 0 ? 50 : request.frame_interval_ms();
  graph::GraphSpec spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(TypeFilter("spikes", graph::EventType::kSpike));
  graph::NodeSpec frames = Node("frames", graph::NodeKind::kActivityFrame);
  frames.layer = request.layer();
  frames.interval_ms = interval;
  spec.nodes.push_back(frames);
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  spec.edges = {
      {"source", "spikes"}, {"spikes", "frames"}, {"frames", "endpoint"}};
  const std::string key =
      absl::StrCat("activity|", request.layer(), "|", interval);
  return Started(hub_->Subscribe(*device, key, spec, "endpoint",
                                 OptionsFromProto(request.options())));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventServiceImpl::SubscribeReadout(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::SubscribeReadoutRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return FailedStream(ToGrpcStatus(device.status()));
  graph::GraphSpec spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(TypeFilter("values", graph::EventType::kReadoutValue));
  spec.nodes.push_back(TypeFilter("pins", graph::EventType::kReadoutPinValue));
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  spec.edges = {{"source", "values"},
                {"source", "pins"},
                {"values", "endpoint"},
                {"pins", "endpoint"}};
  std::string key = "readout";
  if (request.has_majority()) {
    const v1::MajorityReadoutOptions& m = request.majority();
    if (m.feature_count() == 0) {
      return FailedStream(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       "majority.feature_count: must be at least 1"));
    }
    const std::vector<uint32_t> layers = LayersOrCores(m.layers());
    spec.nodes.push_back(TypeFilter("spikes", graph::EventType::kSpike));
    spec.nodes.push_back(Select("layers", "layer", layers));
    graph::NodeSpec collection =
        Node("collection", graph::NodeKind::kSpikeCollection);
    collection.interval_ms = m.interval_ms() == 0 ? 500 : m.interval_ms();
    spec.nodes.push_back(collection);
    graph::NodeSpec majority =
        Node("majority", graph::NodeKind::kMajorityReadout);
    MajorityFromProto(m, &majority);
    spec.nodes.push_back(majority);
    spec.edges.push_back({"source", "spikes"});
    spec.edges.push_back({"spikes", "layers"});
    spec.edges.push_back({"layers", "collection"});
    spec.edges.push_back({"collection", "majority"});
    spec.edges.push_back({"majority", "endpoint"});
    absl::StrAppend(&key, "|majority|", collection.interval_ms, "|",
                    majority.feature_count, "|", majority.default_feature, "|",
                    majority.threshold_low, "|", majority.threshold_high, "|",
                    majority.detection_threshold, "|", Join(layers));
  }
  return Started(hub_->Subscribe(*device, key, spec, "endpoint",
                                 OptionsFromProto(request.options())));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventServiceImpl::SubscribePower(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::SubscribePowerRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return FailedStream(ToGrpcStatus(device.status()));
  graph::GraphSpec spec;
  spec.nodes.push_back(Node("power", graph::NodeKind::kPowerSource));
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  spec.edges = {{"power", "endpoint"}};
  return Started(hub_->Subscribe(*device, "power", spec, "endpoint",
                                 OptionsFromProto(request.options())));
}

}  // namespace speckd::server::api
