#include "server/auth/roles.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "proto/speckd/v1/graph_service.grpc.pb.h"
#include "proto/speckd/v1/recording_service.grpc.pb.h"
#include "proto/speckd/v1/server_service.grpc.pb.h"

namespace speckd::server::auth {
namespace {

// Every method of every speckd.v1 service has its place in the table, and
// the table names no method that does not exist.
TEST(RolesTest, TheTableCoversEveryRpcOfSpeckdV1) {
  // Linking the generated code registers the services in the generated pool.
  (void)v1::ConfigService::service_full_name();
  std::set<std::string> methods;
  for (const char* name :
       {"speckd.v1.ConfigService", "speckd.v1.DeviceService",
        "speckd.v1.EventService", "speckd.v1.GraphService",
        "speckd.v1.RecordingService", "speckd.v1.ServerService"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    ASSERT_NE(service, nullptr) << name;
    for (int m = 0; m < service->method_count(); ++m) {
      methods.insert(absl::StrCat("/", service->full_name(), "/",
                                  service->method(m)->name()));
    }
  }
  // Every service of the package is one of those.
  const google::protobuf::FileDescriptor* file =
      google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
          "proto/speckd/v1/device_service.proto");
  ASSERT_NE(file, nullptr);
  std::set<std::string> table;
  for (const auto& [method, role] : RoleTable()) {
    EXPECT_TRUE(table.insert(method).second) << method << " twice";
    if (method != "/speckd.v1.ServerService/GetServerInfo") {
      EXPECT_NE(role, Role::kPublic) << method;
    }
  }
  EXPECT_EQ(table, methods);
}

TEST(RolesTest, RolesOfSomeMethodsAndOfUnknownOnes) {
  EXPECT_EQ(RequiredRole("/speckd.v1.DeviceService/ListDevices"),
            Role::kViewer);
  EXPECT_EQ(RequiredRole("/speckd.v1.ConfigService/ApplyConfiguration"),
            Role::kOperator);
  EXPECT_EQ(RequiredRole("/speckd.v1.DeviceService/SimulateFault"),
            Role::kAdmin);
  EXPECT_EQ(RequiredRole("/speckd.v1.DeviceService/NotYetPlaced"),
            Role::kAdmin);
  EXPECT_EQ(RequiredRole("/grpc.health.v1.Health/Check"), Role::kPublic);
  EXPECT_EQ(ParseRole("operator"), Role::kOperator);
  EXPECT_EQ(ParseRole("root"), std::nullopt);
  EXPECT_LT(Role::kViewer, Role::kOperator);
  EXPECT_LT(Role::kOperator, Role::kAdmin);
}

}  // namespace
}  // namespace speckd::server::auth
