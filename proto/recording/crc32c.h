// CRC-32C (Castagnoli), as recordings checksum their records: with the
// CPU's crc32 instruction where it has one (SSE 4.2), else a table.
//
//   uint32_t crc = Crc32c(bytes);                 // of a whole buffer
//   crc = Crc32cExtend(crc, more.data(), more.size());
#ifndef SPECKD_PROTO_RECORDING_CRC32C_H_
#define SPECKD_PROTO_RECORDING_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace speckd::recording {

// The CRC of `data` continued from `crc` (0 to start).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

inline uint32_t Crc32c(absl::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

}  // namespace speckd::recording

#endif  // SPECKD_PROTO_RECORDING_CRC32C_H_
