// The grpc-web bridge over a real socket, with libevent's HTTP client playing
// the browser: unary and streaming calls in binary and text mode, trailers
// and error statuses, CORS preflight, malformed bodies, disconnects, files.
#include "server/web/web_server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "driver/sim/sim_device.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/codec/config_codec.h"
#include "proto/speckd/v1/config_service.pb.h"
#include "proto/speckd/v1/device_service.pb.h"
#include "proto/speckd/v1/event_service.pb.h"
#include "server/devices/device_manager.h"
#include "server/speckd_server.h"
#include "server/web/grpc_web.h"
#include "tests/bench/networks.h"

namespace speckd::server::web {
namespace {

namespace v1 = ::speckd::v1;
using ::testing::HasSubstr;

struct HttpResponse {
  int code = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  bool stopped_early = false;
};

// One HTTP request on a private event loop. `stop` sees the body so far after
// every chunk; returning true closes the connection (a browser going away).
HttpResponse Fetch(
    int port, evhttp_cmd_type command, const std::string& path,
    const std::map<std::string, std::string>& headers, const std::string& body,
    const std::function<bool(const std::string&)>& stop = nullptr,
    absl::Duration timeout = absl::Seconds(20)) {
  struct State {
    HttpResponse response;
    std::function<bool(const std::string&)> stop;
    event_base* base;
    evhttp_connection* conn;
    bool done = false;
    bool owned = false;
  } state;
  state.stop = stop;
  state.base = event_base_new();
  state.conn = evhttp_connection_base_new(state.base, nullptr, "127.0.0.1",
                                          static_cast<uint16_t>(port));
  evhttp_request* req = evhttp_request_new(
      [](evhttp_request* r, void* arg) {
        auto* s = static_cast<State*>(arg);
        if (r != nullptr && !s->done) {
          s->response.code = evhttp_request_get_response_code(r);
          evbuffer* in = evhttp_request_get_input_buffer(r);
          std::string rest(evbuffer_get_length(in), '\0');
          evbuffer_remove(in, rest.data(), rest.size());
          s->response.body += rest;
          evkeyvalq* h = evhttp_request_get_input_headers(r);
          for (evkeyval* kv = h->tqh_first; kv != nullptr;
               kv = kv->next.tqe_next) {
            s->response.headers[kv->key] = kv->value;
          }
        }
        s->done = true;
        event_base_loopbreak(s->base);
      },
      &state);
  evhttp_request_set_header_cb(req, [](evhttp_request* r, void* arg) {
    auto* s = static_cast<State*>(arg);
    // Ours from now on: freed below however the request ends.
    evhttp_request_own(r);
    s->owned = true;
    s->response.code = evhttp_request_get_response_code(r);
    evkeyvalq* h = evhttp_request_get_input_headers(r);
    for (evkeyval* kv = h->tqh_first; kv != nullptr; kv = kv->next.tqe_next) {
      s->response.headers[kv->key] = kv->value;
    }
    return 0;
  });
  evhttp_request_set_chunked_cb(req, [](evhttp_request* r, void* arg) {
    auto* s = static_cast<State*>(arg);
    evbuffer* in = evhttp_request_get_input_buffer(r);
    std::string chunk(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, chunk.data(), chunk.size());
    s->response.body += chunk;
    if (s->stop && s->stop(s->response.body)) {
      s->response.stopped_early = true;
      s->done = true;
      event_base_loopbreak(s->base);
    }
  });
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  if (headers.count("Host") == 0) evhttp_add_header(out, "Host", "127.0.0.1");
  for (const auto& [k, v] : headers)
    evhttp_add_header(out, k.c_str(), v.c_str());
  evbuffer_add(evhttp_request_get_output_buffer(req), body.data(), body.size());
  evhttp_make_request(state.conn, req, command, path.c_str());
  timeval tv{static_cast<time_t>(absl::ToInt64Seconds(timeout)), 0};
  event_base_loopexit(state.base, &tv);
  event_base_dispatch(state.base);
  // A request abandoned mid-stream (or timed out) is ours to cancel; one that
  // completed was freed by libevent after its callback.
  if (state.owned && (state.response.stopped_early || !state.done)) {
    evhttp_cancel_request(req);
  }
  // Closing the connection mid-stream is what a browser tab closing does.
  evhttp_connection_free(state.conn);
  if (state.owned) evhttp_request_free(req);
  event_base_free(state.base);
  return state.response;
}

struct Frames {
  std::vector<std::string> messages;
  std::string trailers;
};

Frames ParseFrames(std::string body, WireFormat format) {
  if (format == WireFormat::kText) {
    std::string decoded;
    // Each frame is its own padded base64 segment.
    size_t start = 0;
    while (start < body.size()) {
      size_t end = body.find('=', start);
      end = end == std::string::npos ? body.size()
                                     : body.find_first_not_of('=', end);
      if (end == std::string::npos) end = body.size();
      std::string part;
      absl::Base64Unescape(body.substr(start, end - start), &part);
      decoded += part;
      start = end;
    }
    body = decoded;
  }
  Frames frames;
  size_t pos = 0;
  while (pos + 5 <= body.size()) {
    const uint8_t flag = static_cast<uint8_t>(body[pos]);
    const uint32_t n = (uint32_t{static_cast<uint8_t>(body[pos + 1])} << 24) |
                       (uint32_t{static_cast<uint8_t>(body[pos + 2])} << 16) |
                       (uint32_t{static_cast<uint8_t>(body[pos + 3])} << 8) |
                       uint32_t{static_cast<uint8_t>(body[pos + 4])};
    if (pos + 5 + n > body.size()) break;
    std::string payload = body.substr(pos + 5, n);
    if (flag & 0x80) {
      frames.trailers = payload;
    } else {
      frames.messages.push_back(payload);
    }
    pos += 5 + n;
  }
  return frames;
}

std::string GrpcWebBody(const google::protobuf::Message& request,
                        WireFormat format) {
  return EncodeDataFrame(request.SerializeAsString(), format);
}

std::map<std::string, std::string> GrpcWebHeaders(WireFormat format) {
  return {{"Content-Type", ContentTypeOf(format)},
          {"X-Grpc-Web", "1"},
          {"Origin", "http://dashboard.example"}};
}

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    driver::sim::SimDeviceOptions options;
    options.pacing = driver::Pacing::kAsFastAsPossible;
    ASSERT_TRUE(devices_.Add(driver::sim::NewSimDevice(options)).ok());
    auto server = SpeckdServer::Start(Listening("127.0.0.1:0"), &devices_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    root_ = std::string(getenv("TEST_TMPDIR")) + "/www";
    mkdir(root_.c_str(), 0755);
    std::ofstream(root_ + "/index.html") << "<h1>dashboard</h1>";
    WebServerOptions web_options;
    web_options.listen = "127.0.0.1:0";
    web_options.web_root = root_;
    // The browser of these tests is a page on another origin, allowed.
    web_options.policy.allowed_origins = {"http://dashboard.example"};
    // Short, so that a stream cut by it would show in these tests.
    web_options.request_timeout = absl::Seconds(1);
    auto web = WebServer::Start(web_options, server_->InProcessChannel());
    ASSERT_TRUE(web.ok()) << web.status();
    web_ = *std::move(web);
  }
  void TearDown() override {
    web_->Shutdown();
    server_->Shutdown(absl::Seconds(2));
  }

  Frames Unary(const std::string& method,
               const google::protobuf::Message& request, WireFormat format,
               HttpResponse* raw = nullptr) {
    HttpResponse response =
        Fetch(web_->port(), EVHTTP_REQ_POST, method, GrpcWebHeaders(format),
              GrpcWebBody(request, format));
    EXPECT_EQ(response.code, 200);
    if (raw != nullptr) *raw = response;
    return ParseFrames(response.body, format);
  }

  std::string Lease() {
    v1::AcquireLeaseRequest request;
    request.set_holder("browser");
    Frames frames = Unary("/speckd.v1.DeviceService/AcquireLease", request,
                          WireFormat::kBinary);
    v1::Lease lease;
    EXPECT_EQ(frames.messages.size(), 1u);
    if (!frames.messages.empty()) lease.ParseFromString(frames.messages[0]);
    return lease.lease_id();
  }

  DeviceManager devices_;
  std::unique_ptr<SpeckdServer> server_;
  std::unique_ptr<WebServer> web_;
  std::string root_;
};

TEST_F(WebServerTest, UnaryCallInBinaryModeWithTrailersAndCors) {
  HttpResponse raw;
  Frames frames = Unary("/speckd.v1.DeviceService/ListDevices",
                        v1::ListDevicesRequest(), WireFormat::kBinary, &raw);
  EXPECT_EQ(raw.headers["Content-Type"], "application/grpc-web+proto");
  EXPECT_EQ(raw.headers["Access-Control-Allow-Origin"],
            "http://dashboard.example");
  EXPECT_THAT(raw.headers["Access-Control-Expose-Headers"],
              HasSubstr("grpc-status"));
  ASSERT_EQ(frames.messages.size(), 1u);
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(devices.ParseFromString(frames.messages[0]));
  ASSERT_EQ(devices.devices_size(), 1);
  EXPECT_EQ(devices.devices(0).id(), "speck2edevkit-sim:0");
  EXPECT_EQ(frames.trailers, "grpc-status:0\r\n");
}

TEST_F(WebServerTest, UnaryCallInTextMode) {
  HttpResponse raw;
  Frames frames = Unary("/speckd.v1.DeviceService/ListDevices",
                        v1::ListDevicesRequest(), WireFormat::kText, &raw);
  EXPECT_EQ(raw.headers["Content-Type"], "application/grpc-web-text+proto");
  ASSERT_EQ(frames.messages.size(), 1u);
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(devices.ParseFromString(frames.messages[0]));
  EXPECT_EQ(devices.devices(0).id(), "speck2edevkit-sim:0");
  EXPECT_EQ(frames.trailers, "grpc-status:0\r\n");
}

TEST_F(WebServerTest, ErrorStatusesTravelInTrailers) {
  v1::WriteEventsRequest write;
  write.set_lease_id("nobody");
  Frames refused = Unary("/speckd.v1.EventService/WriteEventBatch", write,
                         WireFormat::kBinary);
  EXPECT_TRUE(refused.messages.empty());
  EXPECT_THAT(refused.trailers, HasSubstr("grpc-status:9\r\n"));
  EXPECT_THAT(refused.trailers, HasSubstr("AcquireLease"));

  Frames unknown = Unary("/speckd.v1.Nope/Nothing", v1::ListDevicesRequest(),
                         WireFormat::kText);
  EXPECT_THAT(unknown.trailers, HasSubstr("grpc-status:12\r\n"));
}

TEST_F(WebServerTest,
       MalformedBodyGetsInvalidArgumentAndTheDaemonKeepsServing) {
  HttpResponse response = Fetch(web_->port(), EVHTTP_REQ_POST,
                                "/speckd.v1.DeviceService/ListDevices",
                                GrpcWebHeaders(WireFormat::kBinary),
                                std::string("\x00\x00\x00\x00\x09hi", 7));
  EXPECT_EQ(response.code, 200);
  Frames frames = ParseFrames(response.body, WireFormat::kBinary);
  EXPECT_THAT(frames.trailers, HasSubstr("grpc-status:3\r\n"));
  EXPECT_THAT(frames.trailers, HasSubstr("malformed grpc-web request"));

  HttpResponse text = Fetch(web_->port(), EVHTTP_REQ_POST,
                            "/speckd.v1.DeviceService/ListDevices",
                            GrpcWebHeaders(WireFormat::kText), "%%%not base64");
  EXPECT_THAT(ParseFrames(text.body, WireFormat::kText).trailers,
              HasSubstr("grpc-status:3"));

  Frames again = Unary("/speckd.v1.DeviceService/ListDevices",
                       v1::ListDevicesRequest(), WireFormat::kBinary);
  EXPECT_EQ(again.trailers, "grpc-status:0\r\n");
  EXPECT_EQ(again.messages.size(), 1u);
}

TEST_F(WebServerTest, CorsPreflightIsAnswered) {
  HttpResponse response = Fetch(
      web_->port(), EVHTTP_REQ_OPTIONS, "/speckd.v1.DeviceService/ListDevices",
      {{"Origin", "http://dashboard.example"},
       {"Access-Control-Request-Method", "POST"},
       {"Access-Control-Request-Headers", "content-type,x-grpc-web"}},
      "");
  EXPECT_EQ(response.code, 204);
  EXPECT_EQ(response.headers["Access-Control-Allow-Origin"],
            "http://dashboard.example");
  EXPECT_THAT(response.headers["Access-Control-Allow-Methods"],
              HasSubstr("POST"));
  EXPECT_THAT(response.headers["Access-Control-Allow-Headers"],
              HasSubstr("x-grpc-web"));
}

// A page the user visits on another site cannot call anything (here: take
// the lease), and its browser gets no CORS grant to read an answer.
TEST_F(WebServerTest, ForeignOriginCannotCallAndGetsNoCorsGrant) {
  std::map<std::string, std::string> headers =
      GrpcWebHeaders(WireFormat::kBinary);
  headers["Origin"] = "https://evil.example";
  v1::AcquireLeaseRequest take;
  take.set_holder("alice@lab");
  HttpResponse refused = Fetch(web_->port(), EVHTTP_REQ_POST,
                               "/speckd.v1.DeviceService/AcquireLease", headers,
                               GrpcWebBody(take, WireFormat::kBinary));
  EXPECT_EQ(refused.code, 403);
  EXPECT_EQ(refused.headers.count("Access-Control-Allow-Origin"), 0u);
  EXPECT_THAT(refused.body,
              HasSubstr("--web_allowed_origins=https://evil.example"));
  HttpResponse preflight = Fetch(web_->port(), EVHTTP_REQ_OPTIONS,
                                 "/speckd.v1.DeviceService/AcquireLease",
                                 {{"Origin", "https://evil.example"},
                                  {"Access-Control-Request-Method", "POST"}},
                                 "");
  EXPECT_EQ(preflight.code, 403);
  EXPECT_EQ(preflight.headers.count("Access-Control-Allow-Origin"), 0u);
  // The lease was never taken: the dashboard's own page gets it.
  EXPECT_FALSE(Lease().empty());
}

TEST_F(WebServerTest, DashboardsOwnOriginAndScriptsWithoutOriginMayCall) {
  const std::string self = absl::StrCat("127.0.0.1:", web_->port());
  std::map<std::string, std::string> headers =
      GrpcWebHeaders(WireFormat::kBinary);
  headers["Host"] = self;
  headers["Origin"] = "http://" + self;
  HttpResponse own = Fetch(
      web_->port(), EVHTTP_REQ_POST, "/speckd.v1.DeviceService/ListDevices",
      headers, GrpcWebBody(v1::ListDevicesRequest(), WireFormat::kBinary));
  EXPECT_EQ(own.code, 200);
  EXPECT_EQ(own.headers["Access-Control-Allow-Origin"], "http://" + self);
  headers.erase("Origin");
  HttpResponse script = Fetch(
      web_->port(), EVHTTP_REQ_POST, "/speckd.v1.DeviceService/ListDevices",
      headers, GrpcWebBody(v1::ListDevicesRequest(), WireFormat::kBinary));
  EXPECT_EQ(script.code, 200);
  EXPECT_EQ(script.headers.count("Access-Control-Allow-Origin"), 0u);
  EXPECT_EQ(ParseFrames(script.body, WireFormat::kBinary).trailers,
            "grpc-status:0\r\n");
}

// DNS rebinding: a page's own name pointed at 127.0.0.1 arrives with its
// name in Host, even for plain page loads.
TEST_F(WebServerTest, UnknownHostNameIsRefusedEvenForPages) {
  HttpResponse page = Fetch(web_->port(), EVHTTP_REQ_GET, "/index.html",
                            {{"Host", "rebind.evil.example:8080"}}, "");
  EXPECT_EQ(page.code, 403);
  EXPECT_THAT(page.body, HasSubstr("DNS rebinding"));
  std::map<std::string, std::string> headers =
      GrpcWebHeaders(WireFormat::kBinary);
  headers["Host"] = "rebind.evil.example";
  headers["Origin"] = "http://rebind.evil.example";
  HttpResponse call = Fetch(
      web_->port(), EVHTTP_REQ_POST, "/speckd.v1.DeviceService/ListDevices",
      headers, GrpcWebBody(v1::ListDevicesRequest(), WireFormat::kBinary));
  EXPECT_EQ(call.code, 403);
  HttpResponse local = Fetch(web_->port(), EVHTTP_REQ_GET, "/index.html",
                             {{"Host", "localhost:8080"}}, "");
  EXPECT_EQ(local.code, 200);
}

TEST_F(WebServerTest, ServerStreamingSpikeCountsOfTheTutorialInTextMode) {
  const std::string lease = Lease();
  v1::ApplyConfigurationRequest apply;
  apply.set_lease_id(lease);
  codec::ToProto(bench::TutorialNetwork(), apply.mutable_configuration());
  Frames applied = Unary("/speckd.v1.ConfigService/ApplyConfiguration", apply,
                         WireFormat::kBinary);
  ASSERT_EQ(applied.trailers, "grpc-status:0\r\n");

  // The stream in one thread, the writes (unary, as a browser does) here.
  std::vector<uint32_t> totals(2, 0);
  std::thread writer([&] {
    // Wait until the subscription is attached, then write 1 s of input.
    EXPECT_TRUE(server_->WaitForOpenStreams(1, absl::Seconds(10)));
    v1::WriteEventsRequest write;
    write.set_lease_id(lease);
    write.set_flush(true);
    for (const chip::InputEvent& e : bench::TutorialInput(100000)) {
      v1::SpikeBatch* s = write.mutable_spikes();
      s->add_timestamp_us(e.timestamp_us * 10);  // 1 event per 10 us: 1 s
      s->add_layer(0);
      s->add_feature(0);
      s->add_x(e.x);
      s->add_y(e.y);
    }
    Frames written = Unary("/speckd.v1.EventService/WriteEventBatch", write,
                           WireFormat::kText);
    EXPECT_EQ(written.trailers, "grpc-status:0\r\n");
  });
  v1::SubscribeSpikeCountsRequest subscribe;
  subscribe.set_interval_ms(100);
  subscribe.set_feature_count(2);
  auto windows_in = [](const std::string& body) {
    size_t n = 0;
    for (const std::string& m : ParseFrames(body, WireFormat::kText).messages) {
      v1::StreamMessage message;
      message.ParseFromString(m);
      n += static_cast<size_t>(message.spike_counts().windows_size());
    }
    return n;
  };
  HttpResponse stream =
      Fetch(web_->port(), EVHTTP_REQ_POST,
            "/speckd.v1.EventService/SubscribeSpikeCounts",
            GrpcWebHeaders(WireFormat::kText),
            GrpcWebBody(subscribe, WireFormat::kText),
            [&](const std::string& body) { return windows_in(body) >= 10; });
  writer.join();
  EXPECT_TRUE(stream.stopped_early);
  uint64_t sequence = 0;
  for (const std::string& m :
       ParseFrames(stream.body, WireFormat::kText).messages) {
    v1::StreamMessage message;
    ASSERT_TRUE(message.ParseFromString(m));
    EXPECT_EQ(message.sequence(), ++sequence);
    for (const auto& w : message.spike_counts().windows()) {
      totals[0] += w.counts(0);
      totals[1] += w.counts(1);
    }
  }
  // The tutorial input alternates halves every 1000 events: 50 / 50.
  EXPECT_EQ(totals[0] + totals[1], 100000u);
  EXPECT_EQ(totals[0], 50000u);
}

TEST_F(WebServerTest, BrowserGoingAwayCancelsTheCall) {
  // The device watch sends the current list at once; after the first chunk
  // the "browser" closes its connection.
  HttpResponse stream = Fetch(
      web_->port(), EVHTTP_REQ_POST, "/speckd.v1.DeviceService/WatchDevices",
      GrpcWebHeaders(WireFormat::kBinary),
      GrpcWebBody(v1::WatchDevicesRequest(), WireFormat::kBinary),
      [&](const std::string& body) {
        return !ParseFrames(body, WireFormat::kBinary).messages.empty();
      });
  EXPECT_EQ(stream.code, 200);
  EXPECT_TRUE(stream.stopped_early);
  EXPECT_TRUE(server_->WaitForOpenStreams(0, absl::Seconds(10)));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (web_->active_calls() > 0 && absl::Now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(web_->active_calls(), 0u);
}

// A client that never finishes its request is cut after the request
// timeout (1 s here); the port serves others meanwhile and after.
TEST_F(WebServerTest, HalfSentRequestIsCutAfterTheRequestTimeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(web_->port()));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  const std::string partial = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  ASSERT_EQ(send(fd, partial.data(), partial.size(), 0),
            static_cast<ssize_t>(partial.size()));
  const absl::Time sent = absl::Now();
  EXPECT_EQ(Fetch(web_->port(), EVHTTP_REQ_GET, "/index.html", {}, "").code,
            200);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1) << "never closed";
  char byte;
  EXPECT_LE(recv(fd, &byte, 1, 0), 0);  // closed, no answer
  EXPECT_GE(absl::Now() - sent, absl::Milliseconds(900));
  close(fd);
  EXPECT_EQ(Fetch(web_->port(), EVHTTP_REQ_GET, "/index.html", {}, "").code,
            200);
}

// A subscription sends nothing from the browser for as long as it lasts:
// the request timeout does not apply to it.
TEST_F(WebServerTest, StreamOutlivesTheRequestTimeout) {
  std::thread later([this] {
    // Longer than the 1 s timeout, then a change the stream must carry.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    Lease();
  });
  HttpResponse stream = Fetch(
      web_->port(), EVHTTP_REQ_POST, "/speckd.v1.DeviceService/WatchDevices",
      GrpcWebHeaders(WireFormat::kBinary),
      GrpcWebBody(v1::WatchDevicesRequest(), WireFormat::kBinary),
      [&](const std::string& body) {
        return absl::StrContains(body, "browser");  // the lease's holder
      });
  later.join();
  EXPECT_EQ(stream.code, 200);
  EXPECT_TRUE(stream.stopped_early) << "the stream ended before the change";
}

// As main() shuts down: the daemon and the web server at once. A browser's
// stream hears why it ends, as a gRPC client does.
TEST_F(WebServerTest, ABrowserStreamHearsTheDaemonShutDown) {
  HttpResponse stream;
  std::thread browser([&] {
    stream = Fetch(
        web_->port(), EVHTTP_REQ_POST, "/speckd.v1.EventService/SubscribePower",
        GrpcWebHeaders(WireFormat::kBinary),
        GrpcWebBody(v1::SubscribePowerRequest(), WireFormat::kBinary));
  });
  ASSERT_TRUE(server_->WaitForOpenStreams(1, absl::Seconds(10)));
  std::thread grpc_shutdown([this] { server_->Shutdown(absl::Seconds(2)); });
  web_->Shutdown(absl::Seconds(2));
  grpc_shutdown.join();
  browser.join();
  EXPECT_EQ(stream.code, 200);
  const Frames frames = ParseFrames(stream.body, WireFormat::kBinary);
  ASSERT_FALSE(frames.messages.empty());
  v1::StreamMessage last;
  ASSERT_TRUE(last.ParseFromString(frames.messages.back()));
  EXPECT_EQ(last.notice().kind(), v1::StreamNotice::SHUTTING_DOWN);
  EXPECT_THAT(frames.trailers, HasSubstr("grpc-status:14\r\n"));
  EXPECT_THAT(frames.trailers, HasSubstr("shutting down"));
}

TEST_F(WebServerTest, ServesTheDashboardFiles) {
  HttpResponse index = Fetch(web_->port(), EVHTTP_REQ_GET, "/", {}, "");
  EXPECT_EQ(index.code, 200);
  EXPECT_EQ(index.body, "<h1>dashboard</h1>");
  EXPECT_THAT(index.headers["Content-Type"], HasSubstr("text/html"));
  EXPECT_EQ(Fetch(web_->port(), EVHTTP_REQ_GET, "/missing.js", {}, "").code,
            404);
  EXPECT_EQ(Fetch(web_->port(), EVHTTP_REQ_GET, "/../etc/passwd", {}, "").code,
            400);
  HttpResponse json = Fetch(web_->port(), EVHTTP_REQ_POST, "/x",
                            {{"Content-Type", "application/json"}}, "{}");
  EXPECT_EQ(json.code, 415);
}

}  // namespace
}  // namespace speckd::server::web
