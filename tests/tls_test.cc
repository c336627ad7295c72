// TLS on the gRPC port, with real certificates made by Debian's openssl for
// each run (a CA, speckd's certificate for 127.0.0.1, a client certificate):
// speckctl over TLS with a token; a client certificate in the token file
// standing for a token (mutual TLS); plain TCP refused; bad files refused at
// start naming the flag; and the network allowed without --insecure_remote
// once TLS and tokens are both on.
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/auth/token_file.h"
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

  void MakeCa() {
    OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
             Path("ca.key"), "-out", Path("ca.pem"), "-days", "2", "-subj",
             "/CN=speckd test CA"});
  }
  void Issue(const std::string& name, const std::string& cn,
             const std::string& san) {
    OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", Path(name + ".key"), "-out",
             Path(name + ".csr"), "-subj", "/CN=" + cn});
    WriteTempFile(name + ".ext", "subjectAltName=" + san + "\n");
    OpenSsl({"x509", "-req", "-in", Path(name + ".csr"), "-CA", Path("ca.pem"),
             "-CAkey", Path("ca.key"), "-CAcreateserial", "-out",
             Path(name + ".pem"), "-days", "2", "-extfile",
             Path(name + ".ext")});
  }
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.MakeCa();
    pki_.Issue("server", "localhost", "IP:127.0.0.1,DNS:localhost");
    pki_.Issue("client", "labpc.lab.example", "DNS:labpc.lab.example");
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
