// Client-made graphs over gRPC: the tutorial's counting chain as a graph,
// its endpoint streamed, its counters read, and deletion ending the stream.
#include <google/protobuf/text_format.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"
#include "tests/util/tutorial_example.h"

namespace speckd::testing {
namespace {

constexpr char kCountingGraph[] = R"(
  name: "tutorial counts"
  nodes { name: "source" device_source {} }
  nodes { name: "spikes" type_filter { desired_type: SPIKE } }
  nodes { name: "layer0" member_select { member: "layer" white_list: 0 } }
  nodes { name: "windows" spike_collection { interval_milli_sec: 50 } }
  nodes { name: "count" spike_count { feature_count: 2 } }
  nodes { name: "out" endpoint {} }
  edges { source: "source" target: "spikes" }
  edges { source: "spikes" target: "layer0" }
  edges { source: "layer0" target: "windows" }
  edges { source: "windows" target: "count" }
  edges { source: "count" target: "out" })";

TEST(GraphServiceTest, TutorialCountingGraphStreamsCountersAndDeletes) {
  absl::StatusOr<TutorialExample> tutorial = LoadTutorialExample();
  ASSERT_TRUE(tutorial.ok()) << tutorial.status();
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(tutorial->config, lease).ok());

  grpc::ClientContext create_context;
  v1::CreateGraphRequest create;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      kCountingGraph, create.mutable_spec()));
  create.set_start(true);
  create.set_lease_id(lease);
  v1::Graph graph;
  grpc::Status created =
      speckd.graph_stub->CreateGraph(&create_context, create, &graph);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(graph.state(), v1::Graph::RUNNING);
  EXPECT_FALSE(graph.internal());

  v1::SubscribeNodeRequest subscribe;
  subscribe.set_graph_id(graph.id());
  subscribe.set_node("out");
  subscribe.mutable_options()->set_overflow_policy(v1::LOSSLESS);
  subscribe.mutable_options()->set_lease_id(lease);
  StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
    return speckd.graph_stub->SubscribeNode(ctx, subscribe);
  });

  v1::WriteEventsResponse response;
  ASSERT_TRUE(
      speckd.WriteStream(lease, tutorial->inputs, 10000, &response).ok());
  auto windows = [](const std::vector<v1::StreamMessage>& messages) {
    std::map<uint64_t, std::vector<uint32_t>> out;
    for (const auto& m : messages) {
      for (const auto& w : m.spike_counts().windows()) {
        out[w.window_start_us() / 50000] = {w.counts().begin(),
                                            w.counts().end()};
      }
    }
    return out;
  };
  ASSERT_TRUE(counts.WaitFor([&](const std::vector<v1::StreamMessage>& m) {
    return windows(m).count(100);
  }));
  auto got = windows(counts.messages());
  EXPECT_EQ(got[0], (std::vector<uint32_t>{225, 0}));
  EXPECT_EQ(got[50], (std::vector<uint32_t>{0, 250}));
  EXPECT_EQ(got[100], (std::vector<uint32_t>{0, 26}));

  grpc::ClientContext get_context;
  v1::GetGraphRequest get;
  get.set_graph_id(graph.id());
  v1::Graph current;
  ASSERT_TRUE(speckd.graph_stub->GetGraph(&get_context, get, &current).ok());
  std::map<std::string, v1::NodeCounters> counters;
  for (const auto& c : current.counters()) counters[c.node()] = c;
  EXPECT_EQ(counters["layer0"].emitted(), 25001u);
  EXPECT_EQ(counters["count"].emitted(), 101u);
  EXPECT_EQ(counters["count"].dropped(), 0u);

  grpc::ClientContext list_context;
  v1::ListGraphsResponse list;
  ASSERT_TRUE(speckd.graph_stub
                  ->ListGraphs(&list_context, v1::ListGraphsRequest(), &list)
                  .ok());
  ASSERT_EQ(list.graphs_size(), 1);  // subscriptions' graphs are internal
  EXPECT_EQ(list.graphs(0).spec().name(), "tutorial counts");

  grpc::ClientContext delete_context;
  v1::GraphRef ref;
  ref.set_graph_id(graph.id());
  ref.set_lease_id(lease);
  v1::DeleteGraphResponse deleted;
  ASSERT_TRUE(
      speckd.graph_stub->DeleteGraph(&delete_context, ref, &deleted).ok());
  std::optional<grpc::Status> end = counts.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(end->error_message(), ::testing::HasSubstr("deleted"));
}

TEST(GraphServiceTest, CatalogueListsEveryNodeKind) {
  SpeckdFixture speckd;
  grpc::ClientContext context;
  v1::ListNodeTypesResponse response;
  ASSERT_TRUE(
      speckd.graph_stub
          ->ListNodeTypes(&context, v1::ListNodeTypesRequest(), &response)
          .ok());
  std::vector<std::string> kinds;
  for (const auto& t : response.node_types()) kinds.push_back(t.kind());
  EXPECT_THAT(kinds, ::testing::IsSupersetOf(
                         {"device_source", "device_sink", "type_filter",
                          "member_select", "spike_collection", "spike_count",
                          "activity_frame", "majority_readout", "power_source",
                          "endpoint"}));
}

}  // namespace
}  // namespace speckd::testing
