// TLS for the web port (the dashboard, grpc-web and /metrics over https):
// the same --tls_cert/--tls_key/--tls_client_ca as the gRPC port, through
// OpenSSL and libevent's bufferevent_openssl. Renewed files are used for new
// connections within kReloadInterval of changing (the gRPC port's rule); a
// renewal that does not load keeps the old certificate and says why in the
// log. With a client CA, a browser may present a certificate that CA signed;
// it is verified if shown, and its names can stand for an access token just
// as on the gRPC port.
//
//   auto tls = WebTls::Create(files);          // files checked before
//   SSL* ssl = (*tls)->NewConnectionSsl();     // loop thread, per connection
//   WebTls::VerifiedClientNames(ssl);          // {"alice"} with a client cert
#ifndef SPECKD_SERVER_WEB_WEB_TLS_H_
#define SPECKD_SERVER_WEB_WEB_TLS_H_

#include <openssl/ssl.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/tls/tls_files.h"

namespace speckd::server::web {

class WebTls {
 public:
  // INVALID_ARGUMENT naming the file if OpenSSL cannot load it.
  static absl::StatusOr<std::unique_ptr<WebTls>> Create(
      const tls::TlsFiles& files);
  ~WebTls();
  WebTls(const WebTls&) = delete;
  WebTls& operator=(const WebTls&) = delete;

  // A server-side SSL for a connection being accepted, from the newest
  // files that load. Only the web port's loop thread calls this.
  SSL* NewConnectionSsl();

  // The common name and DNS/email alternative names of the client
  // certificate `ssl` verified; empty without one.
  static std::vector<std::string> VerifiedClientNames(SSL* ssl);

 private:
  explicit WebTls(const tls::TlsFiles& files) : files_(files) {}
  // A context over the files as they are now.
  absl::StatusOr<SSL_CTX*> Load() const;
  // The files' modification times, to notice a renewal.
  std::vector<timespec> Stamps() const;
  void ReloadIfChanged();

  const tls::TlsFiles files_;
  SSL_CTX* context_ = nullptr;
  std::vector<timespec> stamps_;
  absl::Time next_check_ = absl::InfinitePast();
};

}  // namespace speckd::server::web

#endif  // SPECKD_SERVER_WEB_WEB_TLS_H_
