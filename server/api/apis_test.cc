// The services' logic without gRPC, over fake devices: leases, graph
// ownership and caps, writes, cancel, and the errors each call names.
#include <memory>
#include <string>

#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/config_api.h"
#include "server/api/device_api.h"
#include "server/api/event_api.h"
#include "server/api/graph_api.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"
#include "server/devices/managed_device_fake.h"

namespace speckd::server::api {
namespace {

using ::testing::HasSubstr;

class ApisTest : public ::testing::Test {
 protected:
  ApisTest()
      : hub_(&devices_, driver::RealClock()),
        device_api_(&devices_),
        events_(&devices_, &hub_),
        graphs_(&devices_, &hub_) {
    for (const char* id : {"speck2edevkit:0", "speck2edevkit:1"}) {
      auto fake = std::make_unique<FakeManagedDevice>(id);
      fakes_.push_back(fake.get());
      EXPECT_TRUE(devices_.AddManaged(std::move(fake)).ok());
    }
    devices_.SetNoticeSink(&hub_);
  }
  ~ApisTest() override { devices_.SetNoticeSink(nullptr); }

  std::string Lease(int device = 0) {
    v1::AcquireLeaseRequest request;
    request.set_device_id(fakes_[device]->id());
    request.set_holder("alice@lab");
    v1::Lease lease;
    EXPECT_TRUE(device_api_.AcquireLease(request, "peer", &lease).ok());
    return lease.lease_id();
  }

  v1::CreateGraphRequest Counting(const std::string& lease) {
    v1::CreateGraphRequest request;
    request.set_device_id("speck2edevkit:0");
    request.set_lease_id(lease);
    request.set_start(true);
    v1::GraphSpec* spec = request.mutable_spec();
    v1::NodeSpec* src = spec->add_nodes();
    src->set_name("src");
    src->mutable_device_source();
    v1::NodeSpec* out = spec->add_nodes();
    out->set_name("out");
    out->mutable_endpoint();
    v1::Edge* edge = spec->add_edges();
    edge->set_source("src");
    edge->set_target("out");
    return request;
  }

  DeviceManager devices_;
  std::vector<FakeManagedDevice*> fakes_;
  SubscriptionHub hub_;
  DeviceApi device_api_;
  EventApi events_;
  GraphApi graphs_;
};

TEST_F(ApisTest, UnknownDevicesAreNamedWithTheKnownOnes) {
  v1::GetDeviceRequest request;
  request.set_device_id("speck2edevkit:7");
  v1::Device device;
  absl::Status status = device_api_.GetDevice(request, &device);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "no device 'speck2edevkit:7'; known devices: speck2edevkit:0, "
            "speck2edevkit:1");
}

TEST_F(ApisTest, LeasesNameTheHolderAndCheckTheirTimeToLive) {
  v1::AcquireLeaseRequest request;
  request.set_device_id("speck2edevkit:0");
  request.set_ttl_ms(500);
  v1::Lease lease;
  EXPECT_EQ(
      device_api_.AcquireLease(request, "ipv4:1.2.3.4:5", &lease).message(),
      "ttl_ms: 500 is outside 1000..600000 (0 means 10000)");
  request.set_ttl_ms(0);
  ASSERT_TRUE(device_api_.AcquireLease(request, "ipv4:1.2.3.4:5", &lease).ok());
  EXPECT_EQ(lease.holder(), "ipv4:1.2.3.4:5");  // no holder given: the peer
  absl::Status taken = device_api_.AcquireLease(request, "other", &lease);
  EXPECT_EQ(taken.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(taken.message(), HasSubstr("'ipv4:1.2.3.4:5'"));
}

TEST_F(ApisTest, CreatingAGraphNeedsTheDevicesLease) {
  v1::Graph graph;
  absl::Status refused = graphs_.CreateGraph(Counting(""), &graph);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(),
              HasSubstr("creating a graph needs the device's lease"));
  const std::string lease = Lease();
  ASSERT_TRUE(graphs_.CreateGraph(Counting(lease), &graph).ok());
  EXPECT_EQ(graph.owner(), "alice@lab");
  EXPECT_EQ(graph.state(), v1::Graph::RUNNING);
}

TEST_F(ApisTest, GraphsAndTheirNodesAreCapped) {
  const std::string lease = Lease();
  v1::Graph graph;
  for (size_t i = 0; i < GraphSetOptions{}.max_graphs; ++i) {
    ASSERT_TRUE(graphs_.CreateGraph(Counting(lease), &graph).ok()) << i;
  }
  absl::Status full = graphs_.CreateGraph(Counting(lease), &graph);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(full.message(), HasSubstr("client graphs, at most 16"));

  v1::CreateGraphRequest huge = Counting(Lease(1));
  huge.set_device_id("speck2edevkit:1");
  for (int i = 0; i < 300; ++i) {
    v1::NodeSpec* node = huge.mutable_spec()->add_nodes();
    node->set_name("e" + std::to_string(i));
    node->mutable_endpoint();
    v1::Edge* edge = huge.mutable_spec()->add_edges();
    edge->set_source("src");
    edge->set_target(node->name());
  }
  absl::Status big = graphs_.CreateGraph(huge, &graph);
  EXPECT_EQ(big.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(big.message(), "graph has 302 nodes; at most 256 per graph");
}

// Stopping or deleting a graph needs the lease it was made with or the
// device's current lease: guessing its id is not enough.
TEST_F(ApisTest, OnlyTheOwnerOrTheLeaseHolderChangesAGraph) {
  const std::string lease = Lease();
  v1::Graph graph;
  ASSERT_TRUE(graphs_.CreateGraph(Counting(lease), &graph).ok());
  ASSERT_TRUE(fakes_[0]->ReleaseLease(lease).ok());

  v1::GraphRef ref;
  ref.set_graph_id(graph.id());
  v1::DeleteGraphResponse deleted;
  absl::Status guessed = graphs_.DeleteGraph(ref, &deleted);
  EXPECT_EQ(guessed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(guessed.message(), HasSubstr("was made by 'alice@lab'"));
  v1::Graph stopped;
  ref.set_lease_id(lease);  // the lease it was made with, though released
  ASSERT_TRUE(graphs_.StopGraph(ref, &stopped).ok());
  EXPECT_EQ(stopped.state(), v1::Graph::STOPPED);
  ref.set_lease_id(Lease());  // bob's, say: the device's current lease
  ASSERT_TRUE(graphs_.DeleteGraph(ref, &deleted).ok());
  v1::GetGraphRequest get;
  get.set_graph_id(graph.id());
  EXPECT_EQ(graphs_.GetGraph(get, &stopped).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ApisTest, ADeviceSinkNeedsAKnownTargetAndItsLease) {
  v1::CreateGraphRequest request = Counting(Lease());
  v1::NodeSpec* sink = request.mutable_spec()->add_nodes();
  sink->set_name("sink");
  sink->mutable_device_sink()->set_device_id("speck2edevkit:9");
  v1::Edge* edge = request.mutable_spec()->add_edges();
  edge->set_source("src");
  edge->set_target("sink");
  v1::Graph graph;
  absl::Status unknown = graphs_.CreateGraph(request, &graph);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("node 'sink': no device"));
  sink->mutable_device_sink()->set_device_id("speck2edevkit:1");
  absl::Status unleased = graphs_.CreateGraph(request, &graph);
  EXPECT_EQ(unleased.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unleased.message(),
              HasSubstr("node 'sink' writes into speck2edevkit:1"));
  sink->mutable_device_sink()->set_lease_id(Lease(1));
  EXPECT_TRUE(graphs_.CreateGraph(request, &graph).ok());
}

// A configuration file's text read by speckd: every client reports its
// problems in the same words, each where it is.
TEST_F(ApisTest, AConfigurationFileIsReadByTheDaemon) {
  ConfigApi config(&devices_);
  const std::string typos =
      R"({"cnn_layers": [{"treshold_high": 5}], "dvs_layer": {"merg": true}})";
  v1::ValidateConfigurationRequest validate;
  validate.set_configuration_json(typos);
  v1::ValidateConfigurationResponse report;
  ASSERT_TRUE(config.ValidateConfiguration(validate, &report).ok());
  EXPECT_FALSE(report.valid());
  ASSERT_EQ(report.problems_size(), 2);
  EXPECT_EQ(report.problems(0).field_path(), "cnn_layers[0].treshold_high");
  EXPECT_EQ(report.problems(0).message(),
            "unknown field (did you mean threshold_high?)");
  EXPECT_EQ(report.problems(0).severity(), v1::ConfigProblem::ERROR);
  EXPECT_EQ(report.problems(1).field_path(), "dvs_layer.merg");

  v1::ApplyConfigurationRequest apply;
  apply.set_device_id("speck2edevkit:0");
  apply.set_lease_id(Lease());
  apply.set_configuration_json(typos);
  v1::ApplyConfigurationResponse applied;
  absl::Status status = config.ApplyConfiguration(apply, &applied);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "cnn_layers[0].treshold_high: unknown field (did you mean "
            "threshold_high?)\n"
            "dvs_layer.merg: unknown field (did you mean merge?)");

  // A file that reads is validated like the message.
  validate.set_configuration_json(R"({"cnn_layers": [{"dimensions": {
      "input_shape": {"size": {"x": 16, "y": 16}, "feature_count": 1},
      "output_shape": {"size": {"x": 1, "y": 1}, "feature_count": 1},
      "kernel_size": 17}}]})");
  report.Clear();
  ASSERT_TRUE(config.ValidateConfiguration(validate, &report).ok());
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.problems(0).field_path(),
            "cnn_layers[0].dimensions.kernel_size");
}

TEST_F(ApisTest, WritesAreCheckedAgainstTheDevicesConfiguration) {
  v1::WriteEventsRequest request;
  request.set_device_id("speck2edevkit:0");
  request.set_lease_id(Lease());
  request.mutable_dvs_events()->add_timestamp_us(5);
  request.mutable_dvs_events()->add_x(300);
  request.mutable_dvs_events()->add_y(1);
  request.mutable_dvs_events()->add_p(true);
  v1::WriteEventsResponse response;
  absl::Status status = absl::UnknownError("not done");
  events_.WriteEventBatch(request, absl::Seconds(1), &response,
                          [&](absl::Status s) { status = s; });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "dvs_events[0].x: 300 is outside the DVS array (0..127)");

  request.mutable_dvs_events()->set_x(0, 3);
  events_.WriteEventBatch(request, absl::Seconds(1), &response,
                          [&](absl::Status s) { status = s; });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(response.accepted(), 1u);
  ASSERT_EQ(fakes_[0]->written().size(), 1u);
  EXPECT_EQ(fakes_[0]->written()[0].x, 3);

  v1::CancelInputsRequest cancel;
  cancel.set_device_id("speck2edevkit:0");
  cancel.set_lease_id(request.lease_id());
  v1::CancelInputsResponse cancelled;
  ASSERT_TRUE(device_api_.CancelInputs(cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.dropped_inputs(), 1u);
  cancel.set_lease_id("");
  EXPECT_EQ(device_api_.CancelInputs(cancel, &cancelled).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ApisTest, WaitIdleAnswersOnAThreadOfItsOwn) {
  v1::WaitIdleRequest request;
  request.set_device_id("speck2edevkit:1");
  v1::Device device;
  Notification done;
  absl::Status status = absl::UnknownError("not done");
  device_api_.WaitIdle(request, &device, [&](absl::Status s) {
    status = s;
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(device.id(), "speck2edevkit:1");
  request.set_timeout_ms(600001);
  device_api_.WaitIdle(request, &device, [&](absl::Status s) { status = s; });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace speckd::server::api
