// RecordReader reads a recording file record by record, checking each one,
// without buffering the file: the header at Open, then Next() until the end
// record, the end of what was written (a file cut off), or the first damaged
// record, whose offset problem() names.
//
//   auto r = RecordReader::Open(path);
//   while (std::optional<Record> rec = (*r)->Next()) ...
//   (*r)->ended_cleanly();   // an end record and its trailer
//   (*r)->problem();         // OK, or DATA_LOSS "record at byte 4096: ..."
#ifndef SPECKD_PROTO_RECORDING_RECORD_READER_H_
#define SPECKD_PROTO_RECORDING_RECORD_READER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/recording/record_format.h"
#include "proto/speckd/v1/recording.pb.h"

namespace speckd::recording {

struct Record {
  RecordType type = RecordType::kData;
  uint8_t stream = 0;
  uint64_t offset = 0;  // of the record in the file
  // DATA: the items it holds, and its message (the body after the count);
  // other types: the body (a serialized RecordingIndex or RecordingEnd).
  uint64_t items = 0;
  std::string body;
};

class RecordReader {
 public:
  // NOT_FOUND, or DATA_LOSS for a file that is not a recording (or whose
  // header record is damaged).
  static absl::StatusOr<std::unique_ptr<RecordReader>> Open(
      const std::string& path);
  ~RecordReader();

  const speckd::v1::RecordingHeader& header() const { return header_; }

  // The next record after the header; nullopt once there is none (see
  // ended_cleanly() and problem()).
  std::optional<Record> Next();

  // The end record was read, followed by its trailer and nothing else.
  bool ended_cleanly() const { return ended_cleanly_; }
  // Why reading stopped early: OK at an end record or where writing
  // stopped (a file cut off at a record boundary, or inside the last
  // record); DATA_LOSS naming the offset of a damaged record.
  const absl::Status& problem() const { return problem_; }
  // Where the last intact record ends, and what follows it unread (a record
  // cut off, or damaged).
  uint64_t good_bytes() const { return offset_; }
  uint64_t unread_bytes() const { return file_size_ - offset_; }

 private:
  explicit RecordReader(std::FILE* file);
  // Reads exactly `n` bytes; false at the end of the file.
  bool ReadFully(void* into, size_t n);
  std::optional<Record> ReadRecord();
  void CheckTrailer(uint64_t end_offset);

  std::FILE* file_;
  uint64_t file_size_ = 0;
  uint64_t offset_ = 0;
  speckd::v1::RecordingHeader header_;
  bool done_ = false;
  bool ended_cleanly_ = false;
  absl::Status problem_;
};

}  // namespace speckd::recording

#endif  // SPECKD_PROTO_RECORDING_RECORD_READER_H_
