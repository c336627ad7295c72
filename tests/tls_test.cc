// TLS on both ports, with real certificates made by Debian's openssl for
// each run (a CA, speckd's certificate for 127.0.0.1, a client certificate,
// and one from another CA): speckctl over TLS with a token; a client
// certificate in the token file standing for a token (mutual TLS); the
// dashboard and grpc-web over https, with a token or a client certificate;
// plain TCP refused; a certificate from another CA refused; stalled TLS
// handshakes cut after the request timeout; a renewed
// certificate served without a restart; bad files refused at start naming
// the flag; and the network allowed without --insecure_remote once TLS and
// tokens are both on.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "server/auth/token_file.h"
#include "tests/util/http_get.h"
#include "tests/util/https_request.h"
#include "tests/util/speckctl_fixture.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

// Runs openssl with `args`; fails the test if it does not exit 0.
void OpenSsl(const std::vector<std::string>& args) {
  absl::StatusOr<RunResult> r =
      Subprocess::Run("/usr/bin/openssl", args, absl::Seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->stderr_text;
}

// A CA, and `name`'s key and certificate signed by it (with `san`).
struct Pki {
  std::string dir = TempDir();
  std::string Path(const std::string& file) const { return dir + "/" + file; }

  void MakeCa(const std::string& ca = "ca") {
    OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
             Path(ca + ".key"), "-out", Path(ca + ".pem"), "-days", "2",
             "-subj", "/CN=speckd test " + ca});
  }
  void Issue(const std::string& name, const std::string& cn,
             const std::string& san, const std::string& ca = "ca") {
    OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", Path(name + ".key"), "-out",
             Path(name + ".csr"), "-subj", "/CN=" + cn});
    WriteTempFile(name + ".ext", "subjectAltName=" + san + "\n");
    OpenSsl({"x509", "-req", "-in", Path(name + ".csr"), "-CA",
             Path(ca + ".pem"), "-CAkey", Path(ca + ".key"), "-CAcreateserial",
             "-out", Path(name + ".pem"), "-days", "2", "-extfile",
             Path(name + ".ext")});
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A grpc-web call (binary) over https: the grpc-status it ended with (-1 if
// none came) and the response message.
struct WebCall {
  int grpc_status = -1;
  std::string message;
  std::string error;  // why there was no answer at all
};

WebCall GrpcWeb(int port, const std::string& method,
                const google::protobuf::Message& request,
                const TlsClient& client, const std::string& token = "") {
  const std::string bytes = request.SerializeAsString();
  std::string body(1, '\0');
  for (int shift : {24, 16, 8, 0}) {
    body += static_cast<char>((bytes.size() >> shift) & 0xff);
  }
  body += bytes;
  std::vector<std::string> headers = {
      "Content-Type: application/grpc-web+proto"};
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
  WebCall call;
  absl::StatusOr<HttpReply> reply = HttpsRequest(
      port, HttpRequestText(port, "POST", method, headers, body), client);
  if (!reply.ok()) {
    call.error = reply.status().ToString();
    return call;
  }
  // Frames: a flag byte (0x80: trailers), a 4-byte length, the bytes.
  const std::string& in = reply->body;
  for (size_t pos = 0; pos + 5 <= in.size();) {
    size_t length = 0;
    for (int i = 1; i <= 4; ++i) {
      length = length << 8 | static_cast<unsigned char>(in[pos + i]);
    }
    const std::string frame = in.substr(pos + 5, length);
    if (in[pos] & 0x80) {
      const size_t at = frame.find("grpc-status:");
      if (at != std::string::npos) {
        if (!absl::SimpleAtoi(
                frame.substr(at + 12, frame.find('\r', at) - at - 12),
                &call.grpc_status)) {
          call.grpc_status = -1;
        }
      }
    } else {
      call.message = frame;
    }
    pos += 5 + length;
  }
  if (call.grpc_status < 0) {
    call.error = absl::StrCat("HTTP ", reply->code, ": ", reply->body);
  }
  return call;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.MakeCa();
    pki_.Issue("server", "localhost", "IP:127.0.0.1,DNS:localhost");
    pki_.Issue("client", "labpc.lab.example", "DNS:labpc.lab.example");
    // The same name, signed by a CA speckd does not trust.
    pki_.MakeCa("other-ca");
    pki_.Issue("stranger", "labpc.lab.example", "DNS:labpc.lab.example",
               "other-ca");
    tokens_ = WriteTempFile(
        "tls-tokens",
        absl::StrCat("ann viewer ", server::auth::HashToken("ann-token"), "\n",
                     "labpc operator cert:labpc.lab.example\n"));
  }

  std::vector<std::string> TlsFlags() const {
    return {"--tls_cert=" + pki_.Path("server.pem"),
            "--tls_key=" + pki_.Path("server.key"),
            "--tls_client_ca=" + pki_.Path("ca.pem"),
            "--auth_tokens=" + tokens_};
  }

  // speckd with `extra` flags; its port.
  std::string Start(std::vector<std::string> args) {
    absl::StatusOr<StartedSpeckd> started =
        StartSpeckd(RunfilePath("server/speckd"), args);
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return "";
    speckd_ = std::move(started->process);
    return started->address.substr(started->address.rfind(':') + 1);
  }

  struct Ports {
    int grpc = 0;
    int web = 0;
  };
  // speckd with TlsFlags() and `extra` (the listen addresses, with the
  // dashboard on); its two ports.
  absl::StatusOr<Ports> StartWithDashboard(
      const std::vector<std::string>& extra) {
    std::vector<std::string> args = TlsFlags();
    args.insert(args.end(), extra.begin(), extra.end());
    absl::StatusOr<StartedSpeckd> started =
        StartSpeckd(RunfilePath("server/speckd"), args);
    if (!started.ok()) return started.status();
    speckd_ = std::move(started->process);
    absl::StatusOr<int> web = ReadDashboardPort(speckd_.get());
    if (!web.ok()) return web.status();
    Ports ports;
    ports.web = *web;
    if (!absl::SimpleAtoi(
            started->address.substr(started->address.rfind(':') + 1),
            &ports.grpc)) {
      return absl::InternalError("no gRPC port in " + started->address);
    }
    return ports;
  }

  TlsClient Browser(const std::string& cert = "") const {
    TlsClient client;
    client.ca = pki_.Path("ca.pem");
    if (!cert.empty()) {
      client.cert = pki_.Path(cert + ".pem");
      client.key = pki_.Path(cert + ".key");
    }
    return client;
  }

  Pki pki_;
  std::string tokens_;
  std::unique_ptr<Subprocess> speckd_;
};

TEST_F(TlsTest, SpeckctlOverTlsWithATokenOrAClientCertificate) {
  std::vector<std::string> args = TlsFlags();
  // The network is fine with TLS and tokens: no --insecure_remote.
  args.insert(args.end(), {"--listen=0.0.0.0:0", "--web_listen="});
  const std::string port = Start(args);
  ASSERT_FALSE(port.empty());
  const std::string server = "--server=127.0.0.1:" + port;
  const std::string ca = "--tls_ca=" + pki_.Path("ca.pem");

  RunResult viewer = RunSpeckctl({"devices", server, ca, "--token=ann-token"});
  EXPECT_EQ(viewer.exit_code, 0) << viewer.stderr_text;
  EXPECT_THAT(viewer.stdout_text, HasSubstr("speck2edevkit-sim:0"));
  RunResult version = RunSpeckctl({"version", server, ca});
  EXPECT_THAT(version.stdout_text, HasSubstr("tokens+tls"));

  // The client certificate stands for labpc's operator token.
  RunResult operator_ =
      RunSpeckctl({"config", "apply", TutorialConfig(), server, ca,
                   "--tls_cert=" + pki_.Path("client.pem"),
                   "--tls_key=" + pki_.Path("client.key")});
  EXPECT_EQ(operator_.exit_code, 0) << operator_.stderr_text;
  RunResult held = RunSpeckctl({"lease", server, ca, "--token=ann-token"});
  EXPECT_THAT(held.stdout_text + held.stderr_text, HasSubstr("free"));

  // Neither a token nor a certificate: unauthenticated, over TLS.
  RunResult anonymous = RunSpeckctl({"devices", server, ca});
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_THAT(anonymous.stderr_text, HasSubstr("needs an access token"));
  // Plain TCP to a TLS port: no connection.
  RunResult plain = RunSpeckctl({"devices", server, "--token=ann-token"});
  EXPECT_NE(plain.exit_code, 0);

  // The audit log names who changed what, refusals included.
  RunResult refused = RunSpeckctl(
      {"config", "apply", TutorialConfig(), server, ca, "--token=ann-token"});
  EXPECT_NE(refused.exit_code, 0);
  speckd_->Signal(SIGTERM);
  ASSERT_TRUE(speckd_->Wait(absl::Seconds(15)).ok());
  EXPECT_THAT(speckd_->stderr_text(),
              HasSubstr("event=audit who=labpc rpc=ApplyConfiguration "
                        "device=speck2edevkit-sim:0"));
  EXPECT_THAT(speckd_->stderr_text(),
              HasSubstr("event=audit who=ann rpc=AcquireLease device=\"\" "
                        "graph=\"\" recording=\"\" code=PERMISSION_DENIED"));
}

// The dashboard's port over https, on the network (TLS and tokens: no
// --insecure_remote), with the same files as the gRPC port.
TEST_F(TlsTest, DashboardAndGrpcWebOverHttps) {
  absl::StatusOr<Ports> ports =
      StartWithDashboard({"--listen=127.0.0.1:0", "--web_listen=0.0.0.0:0"});
  ASSERT_TRUE(ports.ok()) << ports.status();
  const int port = ports->web;

  absl::StatusOr<HttpReply> page =
      HttpsRequest(port, HttpRequestText(port, "GET", "/"), Browser());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->code, 200);
  // Plain HTTP to the TLS port gets no HTTP answer.
  absl::StatusOr<HttpReply> plain = HttpGet(port, "/", "", absl::Seconds(5));
  EXPECT_FALSE(plain.ok() && plain->code == 200);

  // A viewer's token lists the devices; nothing at all is unauthenticated.
  speckd::v1::ListDevicesRequest list;
  WebCall listed = GrpcWeb(port, "/speckd.v1.DeviceService/ListDevices", list,
                           Browser(), "ann-token");
  EXPECT_EQ(listed.grpc_status, 0) << listed.error;
  speckd::v1::ListDevicesResponse devices;
  ASSERT_TRUE(devices.ParseFromString(listed.message));
  ASSERT_EQ(devices.devices_size(), 1);
  // Every answer whole, trailers included, on connections that close after
  // it (libevent reports TLS writes late; ending the reply early cut them).
  int whole = 0;
  for (int i = 0; i < 40; ++i) {
    whole += GrpcWeb(port, "/speckd.v1.DeviceService/ListDevices", list,
                     Browser(), "ann-token")
                 .grpc_status == 0;
  }
  EXPECT_EQ(whole, 40);
  speckd::v1::AcquireLeaseRequest lease;
  lease.set_device_id(devices.devices(0).id());
  lease.set_holder("dashboard");
  EXPECT_EQ(
      GrpcWeb(port, "/speckd.v1.DeviceService/AcquireLease", lease, Browser())
          .grpc_status,
      16);
  // labpc's client certificate stands for its operator token here too.
  WebCall leased = GrpcWeb(port, "/speckd.v1.DeviceService/AcquireLease", lease,
                           Browser("client"));
  EXPECT_EQ(leased.grpc_status, 0) << leased.error;
  // The same name signed by another CA: the handshake fails.
  WebCall stranger = GrpcWeb(port, "/speckd.v1.DeviceService/ListDevices", list,
                             Browser("stranger"), "ann-token");
  EXPECT_EQ(stranger.grpc_status, -1);
  // (With TLS 1.3 the server's alert comes after the client's side of the
  // handshake: the request's write or read is what fails.)
  EXPECT_FALSE(stranger.error.empty());

  speckd_->Signal(SIGTERM);
  ASSERT_TRUE(speckd_->Wait(absl::Seconds(15)).ok());
  // The audit names the browser's address, not the in-process channel.
  EXPECT_THAT(speckd_->stderr_text(),
              HasSubstr("event=audit who=labpc rpc=AcquireLease "
                        "device=speck2edevkit-sim:0 graph=\"\" recording=\"\" "
                        "code=OK peer=web:ipv4:127.0.0.1:"));
}

// A client certificate from another CA cannot reach the gRPC port either,
// and the names the web port vouches for cannot be claimed over gRPC: that
// metadata is believed only with the web port's per-process secret.
TEST_F(TlsTest, ForeignCertificatesAndForgedWebMetadataAreRefused) {
  std::vector<std::string> args = TlsFlags();
  args.insert(args.end(), {"--listen=127.0.0.1:0", "--web_listen="});
  const std::string port = Start(args);
  ASSERT_FALSE(port.empty());
  const std::string server = "--server=127.0.0.1:" + port;
  const std::string ca = "--tls_ca=" + pki_.Path("ca.pem");
  RunResult stranger = RunSpeckctl({"devices", server, ca, "--token=ann-token",
                                    "--tls_cert=" + pki_.Path("stranger.pem"),
                                    "--tls_key=" + pki_.Path("stranger.key")});
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_THAT(stranger.stdout_text, ::testing::Not(HasSubstr("sim:0")));

  int grpc_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(port, &grpc_port));
  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = ReadFile(pki_.Path("ca.pem"));
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + port, grpc::SslCredentials(trust));
  auto stub = speckd::v1::DeviceService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("speckd-web-bridge", std::string(64, '0'));
  context.AddMetadata("speckd-web-client-certificate", "labpc.lab.example");
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  speckd::v1::ListDevicesResponse devices;
  const grpc::Status forged = stub->ListDevices(&context, {}, &devices);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << forged.error_message();
}

// Renewed certificate files are served to new connections on both ports
// within seconds, without a restart (certbot or a lab CA renewing them).
TEST_F(TlsTest, ARenewedCertificateIsServedWithoutARestart) {
  absl::StatusOr<Ports> ports =
      StartWithDashboard({"--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0"});
  ASSERT_TRUE(ports.ok()) << ports.status();
  const int web_port = ports->web;
  const int grpc_port = ports->grpc;
  TlsClient h2 = Browser();
  h2.alpn = {"h2"};
  ASSERT_EQ(ServerCertificateName(web_port, Browser()).value_or(""),
            "localhost");
  ASSERT_EQ(ServerCertificateName(grpc_port, h2).value_or(""), "localhost");

  pki_.Issue("renewed", "renewed.localhost", "IP:127.0.0.1");
  // Key first, then certificate, each replaced whole (rename), as renewal
  // tools do; in between the pair does not match and is not taken.
  ASSERT_EQ(
      rename(pki_.Path("renewed.key").c_str(), pki_.Path("server.key").c_str()),
      0);
  ASSERT_EQ(
      rename(pki_.Path("renewed.pem").c_str(), pki_.Path("server.pem").c_str()),
      0);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string web_name, grpc_name;
  while (absl::Now() < deadline && (web_name != "renewed.localhost" ||
                                    grpc_name != "renewed.localhost")) {
    web_name = ServerCertificateName(web_port, Browser()).value_or("");
    grpc_name = ServerCertificateName(grpc_port, h2).value_or("");
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(web_name, "renewed.localhost");
  EXPECT_EQ(grpc_name, "renewed.localhost");
}

// Clients that connect to the https port and never finish the TLS handshake
// (silent, or half a ClientHello) are cut after --web_request_timeout, as
// plain HTTP's slow clients are: TLS is no way around the timeout.
TEST_F(TlsTest, StalledHandshakesAreCutAfterTheRequestTimeout) {
  absl::StatusOr<Ports> ports =
      StartWithDashboard({"--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0",
                          "--web_request_timeout=2s"});
  ASSERT_TRUE(ports.ok()) << ports.status();
  const int port = ports->web;

  std::vector<int> stalled;
  const std::string half_hello("\x16\x03\x01\x00\x50", 5);
  for (int i = 0; i < 40; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
    if (i % 2 == 0) {
      send(fd, half_hello.data(), half_hello.size(), MSG_NOSIGNAL);
    }
    stalled.push_back(fd);
  }
  // Meanwhile a real browser is served.
  absl::StatusOr<HttpReply> page =
      HttpsRequest(port, HttpRequestText(port, "GET", "/"), Browser());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->code, 200);

  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  size_t cut = 0;
  while (absl::Now() < deadline) {
    cut = 0;
    for (int fd : stalled) {
      char buffer[256];
      const ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      cut += n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    if (cut == stalled.size()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(cut, stalled.size()) << "stalled handshakes still open";
  for (int fd : stalled) close(fd);
}

TEST_F(TlsTest, BadFilesAndMissingPiecesStopSpeckdNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"--tls_cert=" + pki_.Path("server.pem")},
       "--tls_cert and --tls_key go together"},
      {{"--tls_cert=" + pki_.Path("server.pem"),
        "--tls_key=" + pki_.Path("client.key")},
       "is not the key of --tls_cert"},
      {{"--tls_cert=" + pki_.Path("nope.pem"),
        "--tls_key=" + pki_.Path("server.key")},
       "--tls_cert=" + pki_.Path("nope.pem") + ": No such file"},
      {{"--tls_cert=" + tokens_, "--tls_key=" + pki_.Path("server.key")},
       "not a PEM certificate"},
      {{"--listen=0.0.0.0:0", "--tls_cert=" + pki_.Path("server.pem"),
        "--tls_key=" + pki_.Path("server.key")},
       "Give it --tls_cert, --tls_key and --auth_tokens"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.begin(), {"--web_listen="});
    if (args.size() == c.args.size() + 1 &&
        std::none_of(args.begin(), args.end(), [](const std::string& a) {
          return a.rfind("--listen=", 0) == 0;
        })) {
      args.push_back("--listen=127.0.0.1:0");
    }
    absl::StatusOr<RunResult> r =
        Subprocess::Run(RunfilePath("server/speckd"), args, absl::Seconds(20));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 2) << c.says << r->stderr_text;
    EXPECT_THAT(r->stderr_text, HasSubstr(c.says));
  }
}

}  // namespace
}  // namespace speckd::testing
