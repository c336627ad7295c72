// `speckctl graph create|list|show|watch|delete`: event-routing graphs on the
// server (samna's EventFilterGraph), from JSON specs.
#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/flags.h"
#include "clients/cli/output.h"
#include "proto/codec/json_syntax.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

// FILE: the JSON form of speckd.v1.GraphSpec with the .proto field names;
// unknown fields are errors, as in configuration files.
absl::StatusOr<v1::GraphSpec> LoadGraphSpec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (absl::Status syntax = codec::CheckJsonSyntax(text.str()); !syntax.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", syntax.message()));
  }
  v1::GraphSpec spec;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(text.str(), &spec, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a valid graph spec: ",
        std::string(status.message().data(), status.message().size())));
  }
  return spec;
}

bool WritesIntoDevices(const v1::GraphSpec& spec) {
  for (const v1::NodeSpec& node : spec.nodes()) {
    if (node.has_device_sink()) return true;
  }
  return false;
}

std::string StateName(v1::Graph::State state) {
  return absl::AsciiStrToLower(v1::Graph::State_Name(state));
}

std::string NodeKind(const v1::NodeSpec& node) {
  // The oneof's field name, e.g. "spike_count".
  const google::protobuf::FieldDescriptor* field =
      node.GetReflection()->GetOneofFieldDescriptor(
          node, node.GetDescriptor()->FindOneofByName("kind"));
  return field == nullptr ? "?" : field->name();
}

// Stops graph `id` with `lease` (a cleanup step: Ctrl-C does not cut it).
absl::Status StopWith(Client& client, const Lease& lease,
                      const std::string& id) {
  v1::GraphRef request;
  request.set_graph_id(id);
  request.set_lease_id(lease.id());
  v1::Graph graph;
  return client.Cleanup([&](grpc::ClientContext* context) {
    return client.graphs().StopGraph(context, request, &graph);
  });
}

absl::Status Create(Client& client, const v1::GraphSpec& spec) {
  v1::CreateGraphRequest request;
  request.set_device_id(client.device());
  *request.mutable_spec() = spec;
  request.set_start(absl::GetFlag(FLAGS_start));
  // Graphs are part of the device's setup: creating one needs the lease. A
  // graph with a device_sink writes only while its lease holds the device,
  // so for those the lease is kept (renewed) until Ctrl-C.
  const bool writes = WritesIntoDevices(spec);
  absl::StatusOr<std::unique_ptr<Lease>> lease =
      Lease::Acquire(&client, /*keep_renewed=*/writes);
  if (!lease.ok()) return lease.status();
  request.set_lease_id((*lease)->id());
  v1::Graph graph;
  absl::Status status = client.Unary([&](grpc::ClientContext* context) {
    return client.graphs().CreateGraph(context, request, &graph);
  });
  if (status.ok()) {
    if (client.options().format == Format::kJson) {
      std::printf("%s\n", ProtoJson(graph, /*multiline=*/true).c_str());
    } else {
      std::printf("%s\n", graph.id().c_str());
    }
    std::fflush(stdout);
  }
  if (status.ok() && writes) {
    Note(absl::StrCat("graph ", graph.id(),
                      " writes into devices while this command holds the "
                      "lease; Ctrl-C stops it"));
    WaitForInterrupt();
    status = StopWith(client, **lease, graph.id());
  }
  absl::Status released = (*lease)->Release();
  return status.ok() ? released : status;
}

absl::Status List(Client& client) {
  v1::ListGraphsRequest request;
  request.set_device_id(client.device());
  v1::ListGraphsResponse response;
  absl::Status status = client.Unary([&](grpc::ClientContext* context) {
    return client.graphs().ListGraphs(context, request, &response);
  });
  if (!status.ok()) return status;
  if (client.options().format == Format::kJson) {
    std::printf("%s\n", ProtoJson(response, /*multiline=*/true).c_str());
    return absl::OkStatus();
  }
  Table table({{"id", "ID"},
               {"device_id", "DEVICE"},
               {"name", "NAME"},
               {"state", "STATE"},
               {"nodes", "NODES", /*numeric=*/true}});
  for (const v1::Graph& g : response.graphs()) {
    table.AddRow({g.id(), g.device_id(), g.spec().name(), StateName(g.state()),
                  absl::StrCat(g.spec().nodes_size())});
  }
  std::fputs(table.Render(client.options().format).c_str(), stdout);
  return absl::OkStatus();
}

absl::Status Show(Client& client, const std::string& id) {
  v1::GetGraphRequest request;
  request.set_graph_id(id);
  v1::Graph graph;
  absl::Status status = client.Unary([&](grpc::ClientContext* context) {
    return client.graphs().GetGraph(context, request, &graph);
  });
  if (!status.ok()) return status;
  const Format format = client.options().format;
  if (format == Format::kJson) {
    std::printf("%s\n", ProtoJson(graph, /*multiline=*/true).c_str());
    return absl::OkStatus();
  }
  Table table({{"node", "NODE"},
               {"kind", "KIND"},
               {"inputs", "FROM"},
               {"received", "RECEIVED", /*numeric=*/true},
               {"emitted", "EMITTED", /*numeric=*/true},
               {"dropped", "DROPPED", /*numeric=*/true}});
  for (const v1::NodeSpec& node : graph.spec().nodes()) {
    std::vector<std::string> sources;
    for (const v1::Edge& e : graph.spec().edges()) {
      if (e.target() == node.name()) sources.push_back(e.source());
    }
    v1::NodeCounters counters;
    for (const v1::NodeCounters& c : graph.counters()) {
      if (c.node() == node.name()) counters = c;
    }
    table.AddRow({node.name(), NodeKind(node), absl::StrJoin(sources, " "),
                  absl::StrCat(counters.received()),
                  absl::StrCat(counters.emitted()),
                  absl::StrCat(counters.dropped())});
  }
  if (format == Format::kTable) {
    std::printf("graph %s%s on %s: %s\n", graph.id().c_str(),
                graph.spec().name().empty()
                    ? ""
                    : absl::StrCat(" '", graph.spec().name(), "'").c_str(),
                graph.device_id().c_str(), StateName(graph.state()).c_str());
  }
  std::fputs(table.Render(format).c_str(), stdout);
  return absl::OkStatus();
}

absl::Status Delete(Client& client, const std::string& id) {
  // Deleting another holder's graph needs the device's lease.
  absl::StatusOr<std::unique_ptr<Lease>> lease =
      Lease::Acquire(&client, /*keep_renewed=*/false);
  if (!lease.ok()) return lease.status();
  v1::GraphRef request;
  request.set_graph_id(id);
  request.set_lease_id((*lease)->id());
  v1::DeleteGraphResponse response;
  absl::Status status = client.Unary([&](grpc::ClientContext* context) {
    return client.graphs().DeleteGraph(context, request, &response);
  });
  if (!status.ok()) return status;
  std::printf("deleted %s\n", id.c_str());
  return absl::OkStatus();
}

// One line per item of an endpoint's message: "kind t_us detail".
void PrintItems(const v1::StreamMessage& m, RowPrinter* rows) {
  auto row = [rows](const char* kind, uint64_t t, const std::string& detail) {
    rows->Row({kind, absl::StrCat(t), detail});
  };
  const v1::SpikeBatch& b = m.spikes();
  for (int i = 0; i < b.timestamp_us_size(); ++i) {
    row("spike", b.timestamp_us(i),
        absl::StrCat("layer=", b.layer(i), " feature=", b.feature(i),
                     " x=", b.x(i), " y=", b.y(i)));
  }
  for (const v1::SpikeCount& w : m.spike_counts().windows()) {
    row("counts", w.window_start_us(),
        absl::StrCat(absl::StrJoin(w.counts(), " "),
                     w.empty_windows_before() > 0
                         ? absl::StrCat(" (after ", w.empty_windows_before(),
                                        " empty windows)")
                         : ""));
  }
  if (m.has_spike_collection()) {
    const v1::SpikeCollection& c = m.spike_collection();
    row("window", c.window_start_us(),
        absl::StrCat(c.spikes().timestamp_us_size(), " spikes",
                     c.continued() ? " (continued)" : ""));
  }
  if (m.has_activity_frame()) {
    const v1::ActivityFrame& f = m.activity_frame();
    row("frame", f.window_start_us(),
        absl::StrCat("layer ", f.layer(), ", ", f.width(), "x", f.height(),
                     ", ", f.total(), " events"));
  }
  for (const v1::ReadoutValue& v : m.readout().values()) {
    row("readout", v.timestamp_us(), absl::StrCat(v.value()));
  }
  for (const v1::MajorityReadout& v : m.readout().majority()) {
    row("majority", v.window_start_us(),
        absl::StrCat("feature ", v.feature(), " (", v.count(), " spikes",
                     v.decided() ? "" : ", default", ")"));
  }
  const v1::MeasurementBatch& p = m.measurements();
  for (int i = 0; i < p.timestamp_us_size(); ++i) {
    row("power", p.timestamp_us(i),
        absl::StrCat(absl::AsciiStrToLower(v1::PowerRail_Name(p.channel(i))),
                     " ", p.value(i), " W"));
  }
}

absl::Status Watch(Client& client, const std::string& id,
                   const std::string& node) {
  v1::SubscribeNodeRequest request;
  request.set_graph_id(id);
  request.set_node(node);
  const Format format = client.options().format;
  RowPrinter rows({{"kind", "kind", false, 8},
                   {"timestamp_us", "t_us", true, 12},
                   {"detail", "detail"}},
                  format, stdout);
  uint64_t messages = 0, dropped = 0;
  grpc::ClientContext context;
  SetStreamDuration(&context, absl::GetFlag(FLAGS_duration));
  auto reader = client.graphs().SubscribeNode(&context, request);
  absl::Status status = ReadStream<v1::StreamMessage>(
      client, &context, reader.get(),
      [&] {
        Note(absl::StrCat("watching node '", node, "' of graph ", id,
                          " (Ctrl-C to stop)"));
        if (format != Format::kJson) rows.Header();
      },
      [&](const v1::StreamMessage& m) {
        ++messages;
        dropped += m.dropped_since_last();
        if (m.dropped_since_last() > 0) {
          Note(absl::StrCat("dropped ", m.dropped_since_last(), " items"));
        }
        if (m.has_notice()) {
          Note(absl::StrCat("notice: ",
                            absl::AsciiStrToLower(
                                v1::StreamNotice::Kind_Name(m.notice().kind())),
                            ": ", m.notice().message()));
        }
        if (format == Format::kJson) {
          std::printf("%s\n", ProtoJson(m).c_str());
        } else {
          PrintItems(m, &rows);
        }
        rows.Flush();
        return true;
      });
  Note(absl::StrCat("watched ", messages, " messages, ", dropped,
                    " items dropped"));
  return status;
}

int RunGraph(const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("graph",
                      "expects create FILE, list, show ID, watch ID NODE or "
                      "delete ID");
  }
  const std::string& sub = args[0];
  const bool takes_arg = sub == "create" || sub == "show" || sub == "delete";
  if (!takes_arg && sub != "list" && sub != "watch") {
    return UsageError("graph", absl::StrCat("unknown subcommand '", sub,
                                            "'; use create, list, show, "
                                            "watch or delete"));
  }
  const size_t wanted = sub == "watch" ? 3u : takes_arg ? 2u : 1u;
  if (args.size() != wanted) {
    return UsageError("graph", sub == "watch" ? "watch expects ID and NODE"
                               : takes_arg
                                   ? absl::StrCat(sub, " expects one argument")
                                   : "list takes no arguments");
  }
  // A bad spec file is reported before connecting.
  v1::GraphSpec spec;
  if (sub == "create") {
    absl::StatusOr<v1::GraphSpec> loaded = LoadGraphSpec(args[1]);
    if (!loaded.ok()) return Fail(loaded.status());
    spec = *std::move(loaded);
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  absl::Status status;
  if (sub == "create") status = Create(**client, spec);
  if (sub == "list") status = List(**client);
  if (sub == "show") status = Show(**client, args[1]);
  if (sub == "delete") status = Delete(**client, args[1]);
  if (sub == "watch") status = Watch(**client, args[1], args[2]);
  return status.ok() ? kExitOk : Fail(status);
}

}  // namespace

const Command kGraphCommand = {
    "graph", "create, list, show, watch or delete event-routing graphs",
    "usage: speckctl graph create FILE [--start=true]\n"
    "       speckctl graph list\n"
    "       speckctl graph show ID\n"
    "       speckctl graph watch ID NODE [--duration=D]\n"
    "       speckctl graph delete ID\n"
    "\n"
    "Graphs route a device's events through nodes on the server (samna's\n"
    "EventFilterGraph): filters, spike collections and counts, activity\n"
    "frames, majority readout, endpoints clients subscribe to.\n"
    "create: FILE is the JSON form of speckd.v1.GraphSpec with the .proto\n"
    "  field names (proto/speckd/v1/graph_service.proto); prints the new\n"
    "  graph's id. Started right away unless --start=false. It takes the\n"
    "  device's lease to create the graph; a graph with a device_sink\n"
    "  writes only while that lease is held, so then speckctl keeps it until\n"
    "  Ctrl-C, which stops the graph.\n"
    "list: every client-made graph (of --device if given).\n"
    "show: the graph's nodes with their received / emitted / dropped\n"
    "  counters.\n"
    "watch: what endpoint NODE emits, one line per item ('kind t_us\n"
    "  detail'; --output=json: each StreamMessage), until Ctrl-C.\n"
    "delete: removes the graph (taking the device's lease); its\n"
    "  subscribers' streams end.\n"
    "\n"
    "example (counts.json):\n"
    "  {\"name\": \"counts\",\n"
    "   \"nodes\": [{\"name\": \"src\", \"device_source\": {}},\n"
    "             {\"name\": \"win\", \"spike_collection\": "
    "{\"interval_milli_sec\": 50}},\n"
    "             {\"name\": \"count\", \"spike_count\": "
    "{\"feature_count\": 2}},\n"
    "             {\"name\": \"out\", \"endpoint\": {}}],\n"
    "   \"edges\": [{\"source\": \"src\", \"target\": \"win\"},\n"
    "             {\"source\": \"win\", \"target\": \"count\"},\n"
    "             {\"source\": \"count\", \"target\": \"out\"}]}\n"
    "  id=$(speckctl graph create counts.json)\n"
    "  speckctl graph watch $id out\n"
    "  speckctl graph show $id\n",
    RunGraph};

}  // namespace speckd::cli
