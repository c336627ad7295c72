#include "tests/util/https_request.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "server/tls/tls_files.h"

namespace speckd::testing {
namespace {

using server::tls::OpenSslError;

// A TLS connection to 127.0.0.1:port, handshake done; closes on destruction.
class Connection {
 public:
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (context_ != nullptr) SSL_CTX_free(context_);
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Open(int port, const TlsClient& client) {
    // OpenSSL writes with write(2): a server closing mid-handshake must be
    // an error here, not a SIGPIPE that ends the test.
    signal(SIGPIPE, SIG_IGN);
    context_ = SSL_CTX_new(TLS_client_method());
    if (SSL_CTX_load_verify_locations(context_, client.ca.c_str(), nullptr) !=
        1) {
      return absl::InvalidArgumentError("cannot load the CA " + client.ca);
    }
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    if (!client.cert.empty() &&
        (SSL_CTX_use_certificate_chain_file(context_, client.cert.c_str()) !=
             1 ||
         SSL_CTX_use_PrivateKey_file(context_, client.key.c_str(),
                                     SSL_FILETYPE_PEM) != 1)) {
      return absl::InvalidArgumentError("cannot load " + client.cert);
    }
    std::string alpn;
    for (const std::string& p : client.alpn) {
      alpn += static_cast<char>(p.size());
      alpn += p;
    }
    if (!alpn.empty()) {
      SSL_CTX_set_alpn_protos(
          context_, reinterpret_cast<const unsigned char*>(alpn.data()),
          alpn.size());
    }
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", port));
    }
    ssl_ = SSL_new(context_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) {
      return absl::UnavailableError(
          absl::StrCat("TLS handshake failed: ", OpenSslError()));
    }
    return absl::OkStatus();
  }

  SSL* ssl() { return ssl_; }

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
};

}  // namespace

std::string HttpRequestText(int port, const std::string& method,
                            const std::string& path,
                            const std::vector<std::string>& headers,
                            const std::string& body) {
  std::string request = absl::StrCat(
      method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
      "\r\nConnection: close\r\nContent-Length: ", body.size(), "\r\n");
  for (const std::string& header : headers) {
    absl::StrAppend(&request, header, "\r\n");
  }
  return absl::StrCat(request, "\r\n", body);
}

absl::StatusOr<HttpReply> HttpsRequest(int port, const std::string& request,
                                       const TlsClient& client) {
  Connection connection;
  if (absl::Status s = connection.Open(port, client); !s.ok()) return s;
  if (SSL_write(connection.ssl(), request.data(),
                static_cast<int>(request.size())) !=
      static_cast<int>(request.size())) {
    return absl::UnavailableError("TLS write failed: " + OpenSslError());
  }
  std::string raw;
  char buffer[65536];
  int n;
  while ((n = SSL_read(connection.ssl(), buffer, sizeof(buffer))) > 0) {
    raw.append(buffer, static_cast<size_t>(n));
  }
  // A TLS alert after the handshake (a refused client certificate, with
  // TLS 1.3) shows here, as an answer that never came.
  if (raw.empty()) {
    return absl::UnavailableError("no answer: " + OpenSslError());
  }
  return ParseHttpReply(raw);
}

absl::StatusOr<std::string> ServerCertificateName(int port,
                                                  const TlsClient& client) {
  Connection connection;
  if (absl::Status s = connection.Open(port, client); !s.ok()) return s;
  X509* cert = SSL_get1_peer_certificate(connection.ssl());
  if (cert == nullptr) return absl::DataLossError("no server certificate");
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name,
                            sizeof(name));
  X509_free(cert);
  return std::string(name);
}

}  // namespace speckd::testing
