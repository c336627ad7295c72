// The byte layout of a recording file (docs/recordings.md), shared by its
// writer and reader. Little-endian throughout.
//
//   file    := "SPECKREC" version:u32 record* [trailer]
//   record  := length:u32 crc:u32 type:u8 stream:u8 body
//              length counts type, stream and body; crc is the masked
//              CRC-32C of the same bytes
//   body    := HEADER: RecordingHeader | INDEX: RecordingIndex |
//              END: RecordingEnd | DATA: items:varint message
//              (message: a StreamMessage, or RecordedInputs for INPUTS)
//   trailer := end_offset:u64 "SPECKEND"  (only after an END record)
//
// Records are appended whole; a reader stops at the first one that is cut
// short or fails its checksum, so a file cut off anywhere (speckd killed, a
// full disk) still reads up to its last intact record.
#ifndef SPECKD_PROTO_RECORDING_RECORD_FORMAT_H_
#define SPECKD_PROTO_RECORDING_RECORD_FORMAT_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace speckd::recording {

inline constexpr absl::string_view kMagic = "SPECKREC";
inline constexpr absl::string_view kTrailerMagic = "SPECKEND";
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderBytes = 12;    // magic + version
inline constexpr size_t kRecordHeaderBytes = 10;  // length, crc, type, stream
inline constexpr size_t kTrailerBytes = 16;
// A longer record is taken for damage, not data.
inline constexpr uint32_t kMaxRecordBytes = uint32_t{64} << 20;

enum class RecordType : uint8_t {
  kHeader = 1,
  kData = 2,
  kIndex = 3,
  kEnd = 4,
};

// Stored checksums are masked (as LevelDB's): a CRC of data that contains
// CRCs is otherwise weak.
inline uint32_t MaskCrc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

}  // namespace speckd::recording

#endif  // SPECKD_PROTO_RECORDING_RECORD_FORMAT_H_
