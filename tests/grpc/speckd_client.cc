#include "tests/grpc/speckd_client.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/events_codec.h"
#include "tests/grpc/probes.h"

namespace speckd::testing {

SpeckdClient::SpeckdClient(const std::string& address) { Connect(address); }

void SpeckdClient::Connect(const std::string& address) {
  address_ = address;
  channel = NewChannel();
  device_stub = v1::DeviceService::NewStub(channel);
  config_stub = v1::ConfigService::NewStub(channel);
  event_stub = v1::EventService::NewStub(channel);
  graph_stub = v1::GraphService::NewStub(channel);
}

std::shared_ptr<grpc::Channel> SpeckdClient::NewChannel() const {
  grpc::ChannelArguments args;
  // Independent connections per channel (tests open several on purpose).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(),
                                   args);
}

std::shared_ptr<grpc::Channel> SpeckdClient::NewDefaultChannel() const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(),
                                   args);
}

v1::Device SpeckdClient::WaitIdle(absl::Duration timeout) {
  grpc::ClientContext context;
  v1::WaitIdleRequest request;
  request.set_device_id(kDevice);
  request.set_timeout_ms(
      static_cast<uint32_t>(absl::ToInt64Milliseconds(timeout)));
  v1::Device device;
  grpc::Status status = device_stub->WaitIdle(&context, request, &device);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return device;
}

std::string SpeckdClient::AcquireLease(const std::string& holder) {
  grpc::ClientContext context;
  v1::AcquireLeaseRequest request;
  request.set_device_id(kDevice);
  request.set_holder(holder);
  request.set_ttl_ms(600000);
  v1::Lease lease;
  grpc::Status status = device_stub->AcquireLease(&context, request, &lease);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return lease.lease_id();
}

grpc::Status SpeckdClient::ApplyConfig(
    const chip::SpeckConfig& config, const std::string& lease,
    v1::ApplyConfigurationResponse* response) {
  grpc::ClientContext context;
  v1::ApplyConfigurationRequest request;
  request.set_device_id(kDevice);
  request.set_lease_id(lease);
  codec::ToProto(config, request.mutable_configuration());
  v1::ApplyConfigurationResponse ignored;
  return config_stub->ApplyConfiguration(&context, request,
                                         response ? response : &ignored);
}

grpc::Status SpeckdClient::SetPacing(const std::string& lease,
                                     v1::Pacing pacing) {
  grpc::ClientContext context;
  v1::SetPacingRequest request;
  request.set_device_id(kDevice);
  request.set_lease_id(lease);
  request.set_pacing(pacing);
  v1::SetPacingResponse response;
  return device_stub->SetPacing(&context, request, &response);
}

v1::SubscribeEventsRequest CoreSpikesRequest(v1::OverflowPolicy policy,
                                             const std::string& lease,
                                             uint32_t max_queued_messages) {
  v1::SubscribeEventsRequest request;
  request.set_device_id(kDevice);
  request.mutable_filter()->add_layers(0);
  request.mutable_options()->set_overflow_policy(policy);
  request.mutable_options()->set_max_queued_messages(max_queued_messages);
  if (!lease.empty()) request.mutable_options()->set_lease_id(lease);
  return request;
}

uint64_t SpikesIn(const std::vector<v1::StreamMessage>& messages) {
  uint64_t n = 0;
  for (const v1::StreamMessage& m : messages)
    n += m.spikes().timestamp_us_size();
  return n;
}

v1::WriteEventsRequest SpeckdClient::ToRequest(const chip::InputEvent* events,
                                               size_t count) {
  v1::WriteEventsRequest request;
  codec::AppendEvents(events, count, &request);
  return request;
}

grpc::Status SpeckdClient::WriteStream(
    const std::string& lease, const std::vector<chip::InputEvent>& events,
    size_t batch, v1::WriteEventsResponse* response) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientWriter<v1::WriteEventsRequest>> writer =
      event_stub->WriteEvents(&context, response);
  for (size_t i = 0; i < events.size(); i += batch) {
    v1::WriteEventsRequest request =
        ToRequest(&events[i], std::min(batch, events.size() - i));
    if (i == 0) {
      request.set_device_id(kDevice);
      request.set_lease_id(lease);
    }
    if (!writer->Write(request)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status SpeckdClient::WriteBatch(
    const std::string& lease, const std::vector<chip::InputEvent>& events,
    bool flush, v1::WriteEventsResponse* response) {
  grpc::ClientContext context;
  v1::WriteEventsRequest request = ToRequest(events.data(), events.size());
  request.set_device_id(kDevice);
  request.set_lease_id(lease);
  request.set_flush(flush);
  return event_stub->WriteEventBatch(&context, request, response);
}

v1::Device SpeckdClient::GetDevice() {
  grpc::ClientContext context;
  v1::GetDeviceRequest request;
  request.set_device_id(kDevice);
  v1::Device device;
  grpc::Status status = device_stub->GetDevice(&context, request, &device);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return device;
}

grpc::Status SpeckdClient::SimulateFault(v1::SimulateFaultRequest::Fault fault,
                                         uint32_t duration_ms,
                                         v1::Device* device) {
  grpc::ClientContext context;
  v1::SimulateFaultRequest request;
  request.set_device_id(kDevice);
  request.set_fault(fault);
  request.set_duration_ms(duration_ms);
  v1::Device ignored;
  return device_stub->SimulateFault(&context, request,
                                    device != nullptr ? device : &ignored);
}

std::string SpeckdClient::Health() {
  return CheckHealth(channel, "").value_or("unreachable");
}

}  // namespace speckd::testing
