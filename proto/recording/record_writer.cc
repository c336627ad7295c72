#include "proto/recording/record_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/recording/crc32c.h"

namespace speckd::recording {
namespace {

namespace v1 = ::speckd::v1;

// Room kept for the end record and the trailer under max_bytes.
constexpr uint64_t kEndReserve = 64 << 10;

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

absl::Status WriteError(int error) {
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "no room on disk for the recording (", std::strerror(error), ")"));
  }
  return absl::InternalError(
      absl::StrCat("writing the recording failed: ", std::strerror(error)));
}

}  // namespace

RecordWriter::RecordWriter(int fd, const RecordWriterOptions& options)
    : fd_(fd), options_(options) {}

RecordWriter::~RecordWriter() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<RecordWriter>> RecordWriter::Create(
    const std::string& path, const v1::RecordingHeader& header,
    const RecordWriterOptions& options) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path, " already exists"));
    }
    const std::string why =
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno));
    if (errno == EACCES || errno == EPERM || errno == EROFS) {
      return absl::PermissionDeniedError(why);
    }
    if (errno == ENOSPC || errno == EDQUOT) {
      return absl::ResourceExhaustedError(why);
    }
    return absl::InternalError(why);
  }
  std::unique_ptr<RecordWriter> writer(new RecordWriter(fd, options));
  writer->buffer_.append(kMagic.data(), kMagic.size());
  PutFixed32(&writer->buffer_, kFormatVersion);
  const std::string bytes = header.SerializeAsString();
  writer->AppendRecord(RecordType::kHeader, 0, {bytes});
  for (const v1::RecordedStream& stream : header.streams()) {
    v1::StreamCount count;
    count.set_kind(stream.kind());
    count.set_stream(stream.id());
    writer->counts_.push_back(count);
  }
  if (absl::Status s = writer->WriteBuffer(); !s.ok()) return s;
  return writer;
}

void RecordWriter::AppendRecord(RecordType type, uint8_t stream,
                                absl::Span<const absl::string_view> parts) {
  size_t length = 2;
  for (absl::string_view p : parts) length += p.size();
  const char prefix[2] = {static_cast<char>(type), static_cast<char>(stream)};
  uint32_t crc = Crc32cExtend(0, prefix, 2);
  for (absl::string_view p : parts) crc = Crc32cExtend(crc, p.data(), p.size());
  PutFixed32(&buffer_, static_cast<uint32_t>(length));
  PutFixed32(&buffer_, MaskCrc(crc));
  buffer_.append(prefix, 2);
  for (absl::string_view p : parts) buffer_.append(p.data(), p.size());
}

absl::Status RecordWriter::Append(uint8_t stream, uint64_t items,
                                  absl::Span<const absl::string_view> parts) {
  if (!broken_.ok()) return broken_;
  const std::string count = Varint(items);
  size_t length = kRecordHeaderBytes + count.size();
  for (absl::string_view p : parts) length += p.size();
  if (length - 8 > kMaxRecordBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a record of ", length, " bytes is too large"));
  }
  if (bytes() + length + kEndReserve > options_.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the recording reached its size limit of ",
                     options_.max_bytes, " bytes"));
  }
  v1::IndexEntry entry;
  entry.set_offset(bytes());
  entry.set_stream(stream);
  entry.set_items(items);
  pending_index_.push_back(entry);
  std::vector<absl::string_view> body = {count};
  body.insert(body.end(), parts.begin(), parts.end());
  AppendRecord(RecordType::kData, stream, body);
  data_since_index_ += length;
  for (v1::StreamCount& c : counts_) {
    if (c.stream() != stream) continue;
    c.set_records(c.records() + 1);
    c.set_items(c.items() + items);
  }
  return absl::OkStatus();
}

absl::Status RecordWriter::WriteIndex(uint64_t stop_watch_us) {
  v1::RecordingIndex index;
  index.set_previous_index_offset(previous_index_);
  for (v1::IndexEntry& e : pending_index_) *index.add_entries() = std::move(e);
  pending_index_.clear();
  index.set_stop_watch_us(stop_watch_us);
  index.set_written_unix_us(absl::ToUnixMicros(absl::Now()));
  previous_index_ = bytes();
  const std::string bytes = index.SerializeAsString();
  AppendRecord(RecordType::kIndex, 0, {bytes});
  data_since_index_ = 0;
  return absl::OkStatus();
}

absl::Status RecordWriter::WriteBuffer() {
  if (!broken_.ok()) return broken_;
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken_ = WriteError(n < 0 ? errno : ENOSPC);
      // Whole records only: what a partial write left is cut off again (if
      // even that fails, readers stop at the partial record anyway), and
      // the counts are those of what is in the file.
      if (ftruncate(fd_, static_cast<off_t>(written_)) != 0) errno = 0;
      lseek(fd_, static_cast<off_t>(written_), SEEK_SET);
      buffer_.clear();
      pending_index_.clear();
      counts_ = counts_written_;
      return broken_;
    }
    done += static_cast<size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
  counts_written_ = counts_;
  return absl::OkStatus();
}

absl::Status RecordWriter::Flush(uint64_t stop_watch_us) {
  if (data_since_index_ >= options_.index_every_bytes) {
    (void)WriteIndex(stop_watch_us);
  }
  return WriteBuffer();
}

absl::Status RecordWriter::Finish(v1::RecordingEnd end) {
  // After a failed write (a full disk), one more try for the end record
  // alone: the cut-off records freed some room, and the end record says
  // why the recording ended.
  const absl::Status broken = broken_;
  broken_ = absl::OkStatus();
  if (!pending_index_.empty()) (void)WriteIndex(end.end_stop_watch_us());
  for (const v1::StreamCount& c : counts_) *end.add_counts() = c;
  const uint64_t end_offset = bytes();
  const std::string bytes = end.SerializeAsString();
  AppendRecord(RecordType::kEnd, 0, {bytes});
  PutFixed64(&buffer_, end_offset);
  buffer_.append(kTrailerMagic.data(), kTrailerMagic.size());
  absl::Status written = WriteBuffer();
  if (written.ok() && fdatasync(fd_) != 0) written = WriteError(errno);
  close(fd_);
  fd_ = -1;
  return broken.ok() ? written : broken;
}

}  // namespace speckd::recording
