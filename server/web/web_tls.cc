#include "server/web/web_tls.h"

#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/log/log.h"

namespace speckd::server::web {
namespace {

using tls::OpenSslError;

absl::Status Failed(absl::string_view flag, const std::string& path) {
  return absl::InvalidArgumentError(
      absl::StrCat(flag, "=", path, ": ", OpenSslError()));
}

void AddAlternativeNames(X509* cert, std::vector<std::string>* names) {
  auto* general = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general, i);
    const ASN1_IA5STRING* text = nullptr;
    if (name->type == GEN_DNS) text = name->d.dNSName;
    if (name->type == GEN_EMAIL) text = name->d.rfc822Name;
    if (name->type == GEN_URI) text = name->d.uniformResourceIdentifier;
    if (text != nullptr) {
      names->emplace_back(reinterpret_cast<const char*>(text->data),
                          text->length);
    }
  }
  GENERAL_NAMES_free(general);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebTls>> WebTls::Create(
    const tls::TlsFiles& files) {
  std::unique_ptr<WebTls> tls(new WebTls(files));
  tls->stamps_ = tls->Stamps();
  absl::StatusOr<SSL_CTX*> context = tls->Load();
  if (!context.ok()) return context.status();
  tls->context_ = *context;
  tls->next_check_ = absl::Now() + tls::kReloadInterval;
  return tls;
}

WebTls::~WebTls() { SSL_CTX_free(context_); }

absl::StatusOr<SSL_CTX*> WebTls::Load() const {
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr) return absl::InternalError(OpenSslError());
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  absl::Status status;
  if (SSL_CTX_use_certificate_chain_file(context, files_.cert.c_str()) != 1) {
    status = Failed("--tls_cert", files_.cert);
  } else if (SSL_CTX_use_PrivateKey_file(context, files_.key.c_str(),
                                         SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(context) != 1) {
    status = Failed("--tls_key", files_.key);
  } else if (!files_.client_ca.empty()) {
    STACK_OF(X509_NAME)* authorities =
        SSL_load_client_CA_file(files_.client_ca.c_str());
    if (authorities == nullptr ||
        SSL_CTX_load_verify_locations(context, files_.client_ca.c_str(),
                                      nullptr) != 1) {
      sk_X509_NAME_pop_free(authorities, X509_NAME_free);
      status = Failed("--tls_client_ca", files_.client_ca);
    } else {
      SSL_CTX_set_client_CA_list(context, authorities);
      // Asked for, verified if shown, not required: tokens work too (the
      // gRPC port's rule). A certificate that fails verification fails the
      // handshake.
      SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    }
  }
  if (!status.ok()) {
    SSL_CTX_free(context);
    return status;
  }
  return context;
}

std::vector<timespec> WebTls::Stamps() const {
  std::vector<timespec> stamps;
  for (const std::string* path :
       {&files_.cert, &files_.key, &files_.client_ca}) {
    struct stat info {};
    if (!path->empty() && stat(path->c_str(), &info) == 0) {
      stamps.push_back(info.st_mtim);
    } else {
      stamps.push_back({});
    }
  }
  return stamps;
}

void WebTls::ReloadIfChanged() {
  const absl::Time now = absl::Now();
  if (now < next_check_) return;
  next_check_ = now + tls::kReloadInterval;
  const std::vector<timespec> stamps = Stamps();
  bool changed = false;
  for (size_t i = 0; i < stamps.size(); ++i) {
    changed |= stamps[i].tv_sec != stamps_[i].tv_sec ||
               stamps[i].tv_nsec != stamps_[i].tv_nsec;
  }
  if (!changed) return;
  absl::StatusOr<SSL_CTX*> context = Load();
  if (!context.ok()) {
    // Tried again at the next check (a renewal may be half-written: the
    // certificate replaced, the key not yet).
    log::Warning("web_tls_reload_failed",
                 {{"error", context.status().message()},
                  {"hint", "the web port keeps its previous certificate"}});
    return;
  }
  stamps_ = stamps;
  SSL_CTX_free(context_);  // connections hold their own reference
  context_ = *context;
  log::Info("web_tls_reloaded", {{"cert", files_.cert}});
}

SSL* WebTls::NewConnectionSsl() {
  ReloadIfChanged();
  return SSL_new(context_);
}

std::vector<std::string> WebTls::VerifiedClientNames(SSL* ssl) {
  std::vector<std::string> names;
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return names;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return names;
  char common_name[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
                                common_name, sizeof(common_name)) > 0) {
    names.emplace_back(common_name);
  }
  AddAlternativeNames(cert, &names);
  X509_free(cert);
  return names;
}

}  // namespace speckd::server::web
