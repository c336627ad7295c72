#include "server/tls/tls_files.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace speckd::server::tls {

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  char text[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, text, sizeof(text));
  ERR_clear_error();
  return text;
}

namespace {

// The first certificate in `path`, or an error naming `flag`.
absl::Status ReadCertificate(const std::string& flag, const std::string& path,
                             X509** out) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "=", path, ": ", std::strerror(errno)));
  }
  *out = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (*out == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, "=", path, ": not a PEM certificate (", OpenSslError(), ")"));
  }
  return absl::OkStatus();
}

absl::Status ReadKey(const std::string& path, EVP_PKEY** out) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key=", path, ": ", std::strerror(errno)));
  }
  *out = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (*out == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key=", path, ": not an unencrypted PEM private key (",
        OpenSslError(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const TlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: give both, or neither");
  }
  if (!files.enabled()) {
    if (!files.client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs --tls_cert and --tls_key (client "
          "certificates are checked in a TLS handshake)");
    }
    return absl::OkStatus();
  }
  X509* cert = nullptr;
  if (absl::Status s = ReadCertificate("--tls_cert", files.cert, &cert);
      !s.ok()) {
    return s;
  }
  EVP_PKEY* key = nullptr;
  absl::Status status = ReadKey(files.key, &key);
  if (status.ok() && X509_check_private_key(cert, key) != 1) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "--tls_key=", files.key, " is not the key of --tls_cert=", files.cert));
  }
  EVP_PKEY_free(key);
  X509_free(cert);
  if (status.ok() && !files.client_ca.empty()) {
    X509* ca = nullptr;
    status = ReadCertificate("--tls_client_ca", files.client_ca, &ca);
    X509_free(ca);
  }
  return status;
}

std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(
    const TlsFiles& files) {
  const unsigned interval =
      static_cast<unsigned>(absl::ToInt64Seconds(kReloadInterval));
  auto provider = files.client_ca.empty()
                      ? std::make_shared<
                            grpc::experimental::FileWatcherCertificateProvider>(
                            files.key, files.cert, interval)
                      : std::make_shared<
                            grpc::experimental::FileWatcherCertificateProvider>(
                            files.key, files.cert, files.client_ca, interval);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!files.client_ca.empty()) {
    options.watch_root_certs();
    // A certificate is optional (tokens still work) but verified if shown.
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace speckd::server::tls
