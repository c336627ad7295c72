#include "proto/recording/record_reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/recording/crc32c.h"

namespace speckd::recording {
namespace {

uint32_t Fixed32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
         uint32_t{p[3]} << 24;
}

uint64_t Fixed64(const unsigned char* p) {
  return uint64_t{Fixed32(p)} | uint64_t{Fixed32(p + 4)} << 32;
}

// Reads a varint from the front of `body`; false if it is malformed.
bool TakeVarint(std::string* body, uint64_t* value) {
  *value = 0;
  for (size_t i = 0; i < body->size() && i < 10; ++i) {
    const auto byte = static_cast<unsigned char>((*body)[i]);
    *value |= uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) {
      body->erase(0, i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

RecordReader::RecordReader(std::FILE* file) : file_(file) {}

RecordReader::~RecordReader() { std::fclose(file_); }

absl::StatusOr<std::unique_ptr<RecordReader>> RecordReader::Open(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rbe");
  if (file == nullptr) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, ": no such recording"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<RecordReader> reader(new RecordReader(file));
  struct stat st {};
  if (fstat(fileno(file), &st) == 0) reader->file_size_ = st.st_size;
  std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
  unsigned char head[kFileHeaderBytes];
  if (!reader->ReadFully(head, sizeof(head)) ||
      std::memcmp(head, kMagic.data(), kMagic.size()) != 0) {
    return absl::DataLossError(
        absl::StrCat(path, " is not a speckd recording"));
  }
  reader->offset_ = kFileHeaderBytes;
  if (const uint32_t version = Fixed32(head + 8); version != kFormatVersion) {
    return absl::DataLossError(absl::StrCat(path, " has format version ",
                                            version, "; this speckd reads ",
                                            kFormatVersion));
  }
  std::optional<Record> first = reader->ReadRecord();
  if (!first.has_value() || first->type != RecordType::kHeader ||
      !reader->header_.ParseFromString(first->body)) {
    return absl::DataLossError(absl::StrCat(
        path, ": the header record is damaged",
        reader->problem_.ok()
            ? ""
            : absl::StrCat(" (", reader->problem_.message(), ")")));
  }
  return reader;
}

bool RecordReader::ReadFully(void* into, size_t n) {
  return std::fread(into, 1, n, file_) == n;
}

std::optional<Record> RecordReader::ReadRecord() {
  unsigned char head[kRecordHeaderBytes];
  const uint64_t at = offset_;
  if (!ReadFully(head, sizeof(head))) return std::nullopt;  // cut off
  const uint32_t length = Fixed32(head);
  if (length < 2 || length > kMaxRecordBytes) {
    problem_ = absl::DataLossError(absl::StrCat(
        "record at byte ", at, ": its length (", length, ") is damaged"));
    return std::nullopt;
  }
  // A record that runs past the end of the file is where writing stopped.
  if (at + 8 + length > file_size_) return std::nullopt;
  Record record;
  record.offset = at;
  record.type = static_cast<RecordType>(head[8]);
  record.stream = head[9];
  record.body.resize(length - 2);
  if (!ReadFully(record.body.data(), record.body.size())) return std::nullopt;
  uint32_t crc = Crc32cExtend(0, head + 8, 2);
  crc = Crc32cExtend(crc, record.body.data(), record.body.size());
  if (MaskCrc(crc) != Fixed32(head + 4)) {
    problem_ = absl::DataLossError(
        absl::StrCat("record at byte ", at, ": checksum mismatch"));
    return std::nullopt;
  }
  offset_ = at + 8 + length;
  return record;
}

void RecordReader::CheckTrailer(uint64_t end_offset) {
  unsigned char trailer[kTrailerBytes];
  if (ReadFully(trailer, sizeof(trailer)) && Fixed64(trailer) == end_offset &&
      std::memcmp(trailer + 8, kTrailerMagic.data(), kTrailerMagic.size()) ==
          0 &&
      offset_ + kTrailerBytes == file_size_) {
    ended_cleanly_ = true;
    offset_ += kTrailerBytes;
    return;
  }
  problem_ = absl::DataLossError(absl::StrCat(
      "bytes after the end record at ", end_offset, " are not its trailer"));
}

std::optional<Record> RecordReader::Next() {
  if (done_) return std::nullopt;
  std::optional<Record> record = ReadRecord();
  if (!record.has_value()) {
    done_ = true;
    return std::nullopt;
  }
  switch (record->type) {
    case RecordType::kEnd:
      done_ = true;
      CheckTrailer(record->offset);
      return record;
    case RecordType::kData:
      if (!TakeVarint(&record->body, &record->items)) {
        problem_ = absl::DataLossError(absl::StrCat(
            "record at byte ", record->offset, ": malformed item count"));
        done_ = true;
        return std::nullopt;
      }
      return record;
    case RecordType::kIndex:
      return record;
    default:
      problem_ = absl::DataLossError(
          absl::StrCat("record at byte ", record->offset, ": unknown type ",
                       static_cast<int>(record->type)));
      done_ = true;
      return std::nullopt;
  }
}

}  // namespace speckd::recording
