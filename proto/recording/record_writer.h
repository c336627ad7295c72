// RecordWriter appends a recording file: the header at creation, then data
// records (buffered, written at Flush), an index record every
// `index_every_bytes` of data, and at Finish the end record and trailer,
// synced. Not thread-safe: one writer thread owns it.
//
//   auto w = RecordWriter::Create(path, header, {.max_bytes = 1 << 30});
//   (*w)->Append(/*stream=*/2, items, {message});
//   (*w)->Flush(stop_watch_us);            // every flush interval
//   (*w)->Finish(end);
#ifndef SPECKD_PROTO_RECORDING_RECORD_WRITER_H_
#define SPECKD_PROTO_RECORDING_RECORD_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "proto/recording/record_format.h"
#include "proto/speckd/v1/recording.pb.h"

namespace speckd::recording {

struct RecordWriterOptions {
  // The file never grows past this (Append refuses with RESOURCE_EXHAUSTED);
  // room for the end record and trailer is kept.
  uint64_t max_bytes = uint64_t{16} << 30;
  uint64_t index_every_bytes = uint64_t{1} << 20;
};

class RecordWriter {
 public:
  // Creates `path` (never replacing a file) and writes the header.
  static absl::StatusOr<std::unique_ptr<RecordWriter>> Create(
      const std::string& path, const speckd::v1::RecordingHeader& header,
      const RecordWriterOptions& options);
  ~RecordWriter();  // closes the file as it is (no end record)

  // Buffers a data record whose body is `items` then the concatenation of
  // `parts`. RESOURCE_EXHAUSTED (nothing buffered) if it would take the file
  // past max_bytes.
  absl::Status Append(uint8_t stream, uint64_t items,
                      absl::Span<const absl::string_view> parts);
  // Writes what is buffered (with an index record when one is due, stamped
  // with `stop_watch_us`). A write error (a full disk) is returned; the file
  // then ends at the last whole record.
  absl::Status Flush(uint64_t stop_watch_us);
  // Flush, the end record with the counts so far, the trailer, fsync, close.
  // After a failed write it still tries to end the file with the end record
  // (and returns that earlier failure).
  absl::Status Finish(speckd::v1::RecordingEnd end);

  // The file's size including what is buffered, and what is buffered.
  uint64_t bytes() const { return written_ + buffer_.size(); }
  size_t buffered() const { return buffer_.size(); }
  // Per stream id: records and items appended so far.
  const std::vector<speckd::v1::StreamCount>& counts() const { return counts_; }

 private:
  RecordWriter(int fd, const RecordWriterOptions& options);
  void AppendRecord(RecordType type, uint8_t stream,
                    absl::Span<const absl::string_view> parts);
  absl::Status WriteBuffer();
  absl::Status WriteIndex(uint64_t stop_watch_us);

  int fd_;
  const RecordWriterOptions options_;
  std::string buffer_;
  uint64_t written_ = 0;
  // Set when a write failed: the file ends at `written_`, nothing more goes.
  absl::Status broken_;
  uint64_t data_since_index_ = 0;
  uint64_t previous_index_ = 0;
  std::vector<speckd::v1::IndexEntry> pending_index_;
  std::vector<speckd::v1::StreamCount> counts_;
  // counts_ as of the last successful write.
  std::vector<speckd::v1::StreamCount> counts_written_;
};

}  // namespace speckd::recording

#endif  // SPECKD_PROTO_RECORDING_RECORD_WRITER_H_
