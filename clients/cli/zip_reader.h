// The members of a ZIP archive, as NumPy's .npz files are: stored or
// deflated, ZIP64 sizes and offsets included (np.savez writes ZIP64 local
// headers). No encryption, no multi-disk archives, no data descriptors
// without central-directory sizes.
#ifndef SPECKD_CLIENTS_CLI_ZIP_READER_H_
#define SPECKD_CLIENTS_CLI_ZIP_READER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace speckd::cli {

struct ZipMember {
  std::string name;
  std::string data;  // uncompressed
};

// `archive` is the whole file; `name` is used in messages. A member larger
// than `max_member_bytes` uncompressed is refused before it is inflated.
absl::StatusOr<std::vector<ZipMember>> ReadZipMembers(
    absl::string_view name, absl::string_view archive,
    uint64_t max_member_bytes);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_ZIP_READER_H_
