#include "server/auth/token_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace speckd::server::auth {
namespace {

constexpr absl::string_view kHashPrefix = "sha256:";
constexpr absl::string_view kCertPrefix = "cert:";

std::array<uint8_t, 32> Sha256(absl::string_view data) {
  std::array<uint8_t, 32> out{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(),
             nullptr);
  return out;
}

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '@' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string HashToken(absl::string_view token) {
  const std::array<uint8_t, 32> hash = Sha256(token);
  return absl::StrCat(
      kHashPrefix,
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(hash.data()), hash.size())));
}

std::string NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return absl::StrCat(
      "spk_", absl::WebSafeBase64Escape(absl::string_view(
                  reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    const std::string why = std::strerror(errno);
    return errno == EACCES
               ? absl::PermissionDeniedError(absl::StrCat(path, ": ", why))
               : absl::NotFoundError(absl::StrCat(path, ": ", why));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text,
                                             absl::string_view origin) {
  TokenTable table;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ":", line_number, ": ", what));
    };
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return error(
          "expected NAME ROLE sha256:HASH (speckctl token new prints one)");
    }
    if (!ValidName(fields[0])) {
      return error(absl::StrCat("'", fields[0],
                                "' is not a name (letters, digits and ._@-, "
                                "at most 64)"));
    }
    const std::optional<Role> role = ParseRole(fields[1]);
    if (!role.has_value()) {
      return error(absl::StrCat("'", fields[1],
                                "' is not a role (viewer, operator or admin)"));
    }
    Entry entry;
    entry.identity = {std::string(fields[0]), *role};
    if (absl::StartsWith(fields[2], kCertPrefix)) {
      entry.certificate = std::string(fields[2].substr(kCertPrefix.size()));
      if (entry.certificate.empty()) {
        return error("cert: needs the certificate's name");
      }
      table.entries_.push_back(std::move(entry));
      continue;
    }
    const absl::string_view hex = absl::StartsWith(fields[2], kHashPrefix)
                                      ? fields[2].substr(kHashPrefix.size())
                                      : absl::string_view();
    if (hex.size() != 64 ||
        !absl::c_all_of(hex, [](char c) { return absl::ascii_isxdigit(c); })) {
      return error(
          "the third field must be sha256: and 64 hex digits (never the "
          "token itself), or cert:NAME");
    }
    const std::string bytes = absl::HexStringToBytes(hex);
    std::memcpy(entry.hash.data(), bytes.data(), 32);
    for (const Entry& other : table.entries_) {
      if (other.certificate.empty() && other.hash == entry.hash) {
        return error(
            absl::StrCat("the same token as '", other.identity.name, "'"));
      }
    }
    table.entries_.push_back(std::move(entry));
  }
  return table;
}

std::optional<Identity> TokenTable::Find(absl::string_view token) const {
  const std::array<uint8_t, 32> hash = Sha256(token);
  std::optional<Identity> found;
  for (const Entry& entry : entries_) {
    if (entry.certificate.empty() &&
        CRYPTO_memcmp(entry.hash.data(), hash.data(), hash.size()) == 0) {
      found = entry.identity;
    }
  }
  return found;
}

std::optional<Identity> TokenTable::FindCertificate(
    const std::vector<std::string>& names) const {
  for (const Entry& entry : entries_) {
    if (entry.certificate.empty()) continue;
    for (const std::string& name : names) {
      if (name == entry.certificate) return entry.identity;
    }
  }
  return std::nullopt;
}

}  // namespace speckd::server::auth
