// TLS for speckd's ports (--tls_cert, --tls_key, --tls_client_ca): the
// files checked before anything starts (a clear error naming the flag and
// the file, instead of a failed handshake later), and gRPC's server
// credentials over them. The files are re-read when they change (every few
// seconds: a renewed certificate is used without a restart). With a client
// CA, clients may present a certificate it signed (mutual TLS), verified if
// they do; a verified certificate's name can then stand for an access token
// (token_file.h, "cert:").
#ifndef SPECKD_SERVER_TLS_TLS_FILES_H_
#define SPECKD_SERVER_TLS_TLS_FILES_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace speckd::server::tls {

struct TlsFiles {
  std::string cert;       // PEM certificate chain, the server's first
  std::string key;        // PEM private key of that certificate
  std::string client_ca;  // PEM CA certificates for client certificates
  bool enabled() const { return !cert.empty(); }
};

// How often gRPC looks at the files for a renewed certificate.
inline constexpr absl::Duration kReloadInterval = absl::Seconds(5);

// OpenSSL's error for the last failed call on this thread (then cleared),
// in its words; "unknown error" if it queued none.
std::string OpenSslError();

// OK when TLS is off (no files) or the files are usable; INVALID_ARGUMENT
// naming the flag and file otherwise (missing, unreadable, not PEM, a key
// that does not match the certificate, --tls_key without --tls_cert, ...).
absl::Status CheckTlsFiles(const TlsFiles& files);

// Server credentials over checked files (FileWatcher: re-read on change).
std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(
    const TlsFiles& files);

}  // namespace speckd::server::tls

#endif  // SPECKD_SERVER_TLS_TLS_FILES_H_
