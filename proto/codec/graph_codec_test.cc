#include "proto/codec/graph_codec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::codec {
namespace {

namespace v1 = ::speckd::v1;
namespace graph = ::speckd::server::graph;

using ::testing::HasSubstr;

TEST(GraphSpecFromProtoTest, MissingNodeTypeNamesTheNode) {
  v1::GraphSpec spec;
  spec.add_nodes()->set_name("mystery");
  absl::StatusOr<graph::GraphSpec> out = GraphSpecFromProto(spec, "dev", "");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("'mystery'"));
}

TEST(GraphCodecTest, EveryNodeKindSurvivesTheRoundTrip) {
  v1::GraphSpec spec;
  spec.set_name("all");
  auto add = [&](const char* name) {
    v1::NodeSpec* n = spec.add_nodes();
    n->set_name(name);
    return n;
  };
  add("src")->mutable_device_source();
  add("sink")->mutable_device_sink()->set_device_id("other:1");
  add("power")->mutable_power_source();
  add("type")->mutable_type_filter()->set_desired_type(v1::READOUT_PIN_VALUE);
  v1::MemberSelectNode* select = add("select")->mutable_member_select();
  select->set_member("feature");
  select->add_white_list(3);
  select->add_white_list(5);
  add("collect")->mutable_spike_collection()->set_interval_milli_sec(50);
  add("count")->mutable_spike_count()->set_feature_count(11);
  v1::ActivityFrameNode* frame = add("frame")->mutable_activity_frame();
  frame->set_layer(13);
  frame->set_interval_milli_sec(20);
  v1::MajorityReadoutNode* majority = add("vote")->mutable_majority_readout();
  majority->set_feature_count(4);
  majority->set_default_feature(2);
  majority->set_threshold_low(1);
  majority->set_threshold_high(900);
  majority->set_detection_threshold(7);
  add("out")->mutable_endpoint();
  v1::Edge* edge = spec.add_edges();
  edge->set_source("src");
  edge->set_target("out");

  absl::StatusOr<graph::GraphSpec> domain =
      GraphSpecFromProto(spec, "speck2edevkit:0", "lease-1");
  ASSERT_TRUE(domain.ok()) << domain.status();
  EXPECT_EQ(domain->nodes[1].lease_id, "lease-1");
  v1::GraphSpec back;
  ToProto(*domain, &back);
  EXPECT_EQ(back.SerializeAsString(), spec.SerializeAsString())
      << back.DebugString();
}

TEST(GraphCodecTest, ASinkWithoutATargetWritesIntoTheGraphsDevice) {
  v1::GraphSpec spec;
  spec.add_nodes()->mutable_device_sink();
  absl::StatusOr<graph::GraphSpec> domain =
      GraphSpecFromProto(spec, "speck2edevkit:0", "");
  ASSERT_TRUE(domain.ok());
  EXPECT_EQ(domain->nodes[0].member, "speck2edevkit:0");
}

TEST(GraphCodecTest, AMajorityThresholdOfZeroMeansSinabsDefault) {
  v1::MajorityReadoutNode m;
  graph::NodeSpec node;
  MajorityFromProto(m, &node);
  EXPECT_EQ(node.threshold_high, 32000u);
}

}  // namespace
}  // namespace speckd::codec
