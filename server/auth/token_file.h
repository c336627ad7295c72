// Access tokens (speckd --auth_tokens=FILE): who holds which role. The file
// keeps only each token's SHA-256, so reading it gives no token away; a
// token is shown once, when `speckctl token new` makes it.
//
//   # name     role      token hash (64 hex digits), or certificate name
//   alice      operator  sha256:9f86d081884c7d65...
//   dashboard  viewer    sha256:...
//   labpc      operator  cert:labpc.lab.example
//
// "cert:NAME": with mutual TLS (--tls_client_ca), a client certificate the
// CA signed whose common name or a subject alternative name is NAME stands
// for a token of that role. Names: letters, digits and ._@- ; roles:
// viewer, operator, admin.
#ifndef SPECKD_SERVER_AUTH_TOKEN_FILE_H_
#define SPECKD_SERVER_AUTH_TOKEN_FILE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/auth/roles.h"

namespace speckd::server::auth {

struct Identity {
  // Empty when access control is off (everyone may do everything).
  std::string name;
  Role role = Role::kAdmin;
};

class TokenTable {
 public:
  // INVALID_ARGUMENT "FILE:LINE: ..." for a line that is not a token entry;
  // NOT_FOUND / PERMISSION_DENIED naming the file when it cannot be read.
  static absl::StatusOr<TokenTable> Load(const std::string& path);
  // `origin` names the text in errors.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text,
                                          absl::string_view origin);

  // Whose token this is (compared in constant time per entry).
  std::optional<Identity> Find(absl::string_view token) const;
  // Whose verified client certificate names this is.
  std::optional<Identity> FindCertificate(
      const std::vector<std::string>& names) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Identity identity;
    std::array<uint8_t, 32> hash{};
    std::string certificate;  // set for "cert:" entries (hash unused)
  };
  std::vector<Entry> entries_;
};

// "sha256:<64 hex digits>" of `token`, as the file keeps it.
std::string HashToken(absl::string_view token);

// A new random token: "spk_" and 43 base64url characters (256 bits).
std::string NewToken();

}  // namespace speckd::server::auth

#endif  // SPECKD_SERVER_AUTH_TOKEN_FILE_H_
