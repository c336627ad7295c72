// speckd.v1.RecordingService over gRPC: unary methods adapted to
// RecordingApi, and ReadRecording as a stream of file chunks with one write
// in flight (each chunk read when the previous one is sent).
#ifndef SPECKD_SERVER_API_RECORDING_SERVICE_H_
#define SPECKD_SERVER_API_RECORDING_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "proto/speckd/v1/recording_service.grpc.pb.h"
#include "server/recording/recording_api.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

using RecordingServiceBase =
    v1::RecordingService::WithRawCallbackMethod_StartRecording<
        v1::RecordingService::WithRawCallbackMethod_StopRecording<
            v1::RecordingService::WithRawCallbackMethod_ListRecordings<
                v1::RecordingService::WithRawCallbackMethod_GetRecording<
                    v1::RecordingService::WithRawCallbackMethod_DeleteRecording<
                        v1::RecordingService::
                            WithRawCallbackMethod_ReadRecording<
                                v1::RecordingService::
                                    WithRawCallbackMethod_ReplayRecording<
                                        v1::RecordingService::Service>>>>>>>;

class RecordingService final : public RecordingServiceBase {
 public:
  // `api` must outlive the service.
  explicit RecordingService(RecordingApi* api) : api_(api) {}

#define SPECKD_RAW_UNARY(Method)                                         \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const grpc::ByteBuffer* request,      \
                                   grpc::ByteBuffer* response) override
  SPECKD_RAW_UNARY(StartRecording);
  SPECKD_RAW_UNARY(StopRecording);
  SPECKD_RAW_UNARY(ListRecordings);
  SPECKD_RAW_UNARY(GetRecording);
  SPECKD_RAW_UNARY(DeleteRecording);
  SPECKD_RAW_UNARY(ReplayRecording);
#undef SPECKD_RAW_UNARY
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ReadRecording(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  RecordingApi* const api_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_RECORDING_SERVICE_H_
