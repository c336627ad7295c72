// The speckd.v1 services over gRPC: thin adapters from raw gRPC calls to the
// gRPC-free APIs (device_api.h, config_api.h, event_api.h, graph_api.h).
// Every method is registered raw, so that requests that do not parse are
// answered INVALID_ARGUMENT (unary.h), and streamed messages are sent
// pre-serialized (one encoding for every subscriber).
#ifndef SPECKD_SERVER_API_SERVICES_H_
#define SPECKD_SERVER_API_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "proto/speckd/v1/graph_service.grpc.pb.h"
#include "server/api/config_api.h"
#include "server/api/device_api.h"
#include "server/api/event_api.h"
#include "server/api/graph_api.h"
#include "server/api/stream_reactor.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

// Every method of each service, raw.
using DeviceServiceBase = v1::DeviceService::WithRawCallbackMethod_ListDevices<
    v1::DeviceService::WithRawCallbackMethod_WatchDevices<v1::DeviceService::WithRawCallbackMethod_GetDevice<
        v1::DeviceService::WithRawCallbackMethod_AcquireLease<v1::DeviceService::WithRawCallbackMethod_RenewLease<
            v1::DeviceService::WithRawCallbackMethod_ReleaseLease<
                v1::DeviceService::WithRawCallbackMethod_SetStopWatch<
                    v1::DeviceService::WithRawCallbackMethod_SetSlowClock<
                        v1::DeviceService::WithRawCallbackMethod_SetPacing<
                            v1::DeviceService::WithRawCallbackMethod_SetPowerMonitor<
                                v1::DeviceService::WithRawCallbackMethod_ReadNeuronValues<
                                    v1::DeviceService::WithRawCallbackMethod_WriteNeuronValues<
                                        v1::DeviceService::WithRawCallbackMethod_CancelInputs<
                                            v1::DeviceService::WithRawCallbackMethod_WaitIdle<
                                                v1::DeviceService::
                                                    WithRawCallbackMethod_SimulateFault<
                                                        v1::DeviceService::
                                                            Service>>>>>>>>>>>>>>>;

using ConfigServiceBase =
    v1::ConfigService::WithRawCallbackMethod_ValidateConfiguration<
        v1::ConfigService::WithRawCallbackMethod_ApplyConfiguration<
            v1::ConfigService::WithRawCallbackMethod_GetConfiguration<
                v1::ConfigService::Service>>>;

using EventServiceBase = v1::EventService::WithRawCallbackMethod_WriteEvents<
    v1::EventService::WithRawCallbackMethod_WriteEventBatch<
        v1::EventService::WithRawCallbackMethod_SubscribeEvents<
            v1::EventService::WithRawCallbackMethod_SubscribeSpikeCounts<
                v1::EventService::WithRawCallbackMethod_SubscribeActivity<
                    v1::EventService::WithRawCallbackMethod_SubscribeReadout<
                        v1::EventService::WithRawCallbackMethod_SubscribePower<
                            v1::EventService::Service>>>>>>>;

using GraphServiceBase = v1::GraphService::WithRawCallbackMethod_ListNodeTypes<
    v1::GraphService::WithRawCallbackMethod_CreateGraph<
        v1::GraphService::WithRawCallbackMethod_ListGraphs<
            v1::GraphService::WithRawCallbackMethod_GetGraph<
                v1::GraphService::WithRawCallbackMethod_StartGraph<
                    v1::GraphService::WithRawCallbackMethod_StopGraph<
                        v1::GraphService::WithRawCallbackMethod_DeleteGraph<
                            v1::GraphService::
                                WithRawCallbackMethod_SubscribeNode<
                                    v1::GraphService::Service>>>>>>>>;

using RawUnary = grpc::ServerUnaryReactor*;
using RawStream = grpc::ServerWriteReactor<grpc::ByteBuffer>*;

class DeviceService final : public DeviceServiceBase {
 public:
  // All must outlive the service.
  DeviceService(DeviceApi* api, StreamRegistry* registry)
      : api_(api), registry_(registry) {}

#define SPECKD_RAW_UNARY(Method)                                               \
  RawUnary Method(grpc::CallbackServerContext* context,                        \
                  const grpc::ByteBuffer* request, grpc::ByteBuffer* response) \
      override
  SPECKD_RAW_UNARY(ListDevices);
  SPECKD_RAW_UNARY(GetDevice);
  SPECKD_RAW_UNARY(AcquireLease);
  SPECKD_RAW_UNARY(RenewLease);
  SPECKD_RAW_UNARY(ReleaseLease);
  SPECKD_RAW_UNARY(SetStopWatch);
  SPECKD_RAW_UNARY(SetSlowClock);
  SPECKD_RAW_UNARY(SetPacing);
  SPECKD_RAW_UNARY(SetPowerMonitor);
  SPECKD_RAW_UNARY(ReadNeuronValues);
  SPECKD_RAW_UNARY(WriteNeuronValues);
  SPECKD_RAW_UNARY(CancelInputs);
  SPECKD_RAW_UNARY(WaitIdle);
  SPECKD_RAW_UNARY(SimulateFault);
  RawStream WatchDevices(grpc::CallbackServerContext* context,
                         const grpc::ByteBuffer* request) override;

 private:
  DeviceApi* const api_;
  StreamRegistry* const registry_;
};

class ConfigService final : public ConfigServiceBase {
 public:
  explicit ConfigService(ConfigApi* api) : api_(api) {}

  SPECKD_RAW_UNARY(ValidateConfiguration);
  SPECKD_RAW_UNARY(ApplyConfiguration);
  SPECKD_RAW_UNARY(GetConfiguration);

 private:
  ConfigApi* const api_;
};

class EventService final : public EventServiceBase {
 public:
  EventService(EventApi* api, DeviceManager* devices, StreamRegistry* registry)
      : api_(api), devices_(devices), registry_(registry) {}

  grpc::ServerReadReactor<grpc::ByteBuffer>* WriteEvents(
      grpc::CallbackServerContext* context,
      grpc::ByteBuffer* response) override;
  SPECKD_RAW_UNARY(WriteEventBatch);
  RawStream SubscribeEvents(grpc::CallbackServerContext* context,
                            const grpc::ByteBuffer* request) override;
  RawStream SubscribeSpikeCounts(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request) override;
  RawStream SubscribeActivity(grpc::CallbackServerContext* context,
                              const grpc::ByteBuffer* request) override;
  RawStream SubscribeReadout(grpc::CallbackServerContext* context,
                             const grpc::ByteBuffer* request) override;
  RawStream SubscribePower(grpc::CallbackServerContext* context,
                           const grpc::ByteBuffer* request) override;

 private:
  EventApi* const api_;
  DeviceManager* const devices_;
  StreamRegistry* const registry_;
};

class GraphService final : public GraphServiceBase {
 public:
  GraphService(GraphApi* api, StreamRegistry* registry)
      : api_(api), registry_(registry) {}

  SPECKD_RAW_UNARY(ListNodeTypes);
  SPECKD_RAW_UNARY(CreateGraph);
  SPECKD_RAW_UNARY(ListGraphs);
  SPECKD_RAW_UNARY(GetGraph);
  SPECKD_RAW_UNARY(StartGraph);
  SPECKD_RAW_UNARY(StopGraph);
  SPECKD_RAW_UNARY(DeleteGraph);
#undef SPECKD_RAW_UNARY
  RawStream SubscribeNode(grpc::CallbackServerContext* context,
                          const grpc::ByteBuffer* request) override;

 private:
  GraphApi* const api_;
  StreamRegistry* const registry_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_SERVICES_H_
