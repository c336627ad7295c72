#include "server/auth/web_bridge.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace speckd::server::auth {
namespace {

const std::string& Secret() {
  static const std::string* const secret = [] {
    unsigned char bytes[32];
    // Without randomness there is no secret to keep: better not to start.
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
    return new std::string(absl::BytesToHexString(absl::string_view(
        reinterpret_cast<const char*>(bytes), sizeof(bytes))));
  }();
  return *secret;
}

absl::string_view View(const grpc::string_ref& s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

void AddWebBridgeMetadata(grpc::ClientContext* context,
                          const std::string& browser_peer,
                          const std::vector<std::string>& certificate_names) {
  context->AddMetadata(kWebBridgeSecretKey, Secret());
  context->AddMetadata(kWebPeerKey, browser_peer);
  for (const std::string& name : certificate_names) {
    context->AddMetadata(kWebCertificateKey, name);
  }
}

std::vector<std::string> WebBridgeValues(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    const char* key) {
  std::vector<std::string> values;
  auto secret = metadata.find(kWebBridgeSecretKey);
  // One secret, and the right one (compared in constant time).
  if (secret == metadata.end() || metadata.count(kWebBridgeSecretKey) != 1 ||
      secret->second.size() != Secret().size() ||
      CRYPTO_memcmp(secret->second.data(), Secret().data(), Secret().size()) !=
          0) {
    return values;
  }
  auto [begin, end] = metadata.equal_range(key);
  for (auto it = begin; it != end; ++it) values.emplace_back(View(it->second));
  return values;
}

}  // namespace speckd::server::auth
