#include "server/auth/audit.h"

#include "gtest/gtest.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "proto/speckd/v1/graph_service.grpc.pb.h"
#include "proto/speckd/v1/recording_service.grpc.pb.h"

namespace speckd::server::auth {
namespace {

TEST(AuditTest, TheSubjectIsReadFromTheRequestsOwnFields) {
  v1::ApplyConfigurationRequest apply;
  apply.set_device_id("speck2edevkit:0");
  apply.set_lease_id("secret");
  apply.mutable_configuration()->add_cnn_layers();
  AuditSubject s = SubjectOf("/speckd.v1.ConfigService/ApplyConfiguration",
                             apply.SerializeAsString());
  EXPECT_EQ(s.device, "speck2edevkit:0");
  EXPECT_EQ(s.graph, "");

  v1::WriteEventsRequest write;
  write.set_device_id("speck2edevkit-sim:0");
  write.set_flush(true);
  EXPECT_EQ(SubjectOf("/speckd.v1.EventService/WriteEvents",
                      write.SerializeAsString())
                .device,
            "speck2edevkit-sim:0");

  v1::StartRecordingRequest record;
  record.set_device_id("d");
  record.set_name("run1");
  s = SubjectOf("/speckd.v1.RecordingService/StartRecording",
                record.SerializeAsString());
  EXPECT_EQ(s.device, "d");
  EXPECT_EQ(s.recording, "run1");

  // Unknown methods and broken bytes give nothing, and do not crash.
  EXPECT_EQ(SubjectOf("/nope.X/Y", apply.SerializeAsString()).device, "");
  EXPECT_EQ(
      SubjectOf("/speckd.v1.ConfigService/ApplyConfiguration", "\x0a\xff\xff")
          .device,
      "");
}

}  // namespace
}  // namespace speckd::server::auth
