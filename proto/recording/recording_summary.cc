#include "proto/recording/recording_summary.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "proto/recording/crc32c.h"
#include "proto/recording/record_format.h"
#include "proto/recording/record_reader.h"

namespace speckd::recording {
namespace {

namespace v1 = ::speckd::v1;

std::string NameOf(const std::string& path) {
  absl::string_view name = path;
  if (size_t slash = name.rfind('/'); slash != absl::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  return std::string(absl::StripSuffix(name, ".speckrec"));
}

// The end record of a cleanly ended file, found through its trailer; false
// if the file does not end with one.
bool ReadEndFromTrailer(const std::string& path, uint64_t size,
                        v1::RecordingEnd* end) {
  if (size < kFileHeaderBytes + kTrailerBytes) return false;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen(path.c_str(), "rbe"), &std::fclose);
  if (file == nullptr) return false;
  unsigned char trailer[kTrailerBytes];
  if (std::fseek(file.get(), static_cast<long>(size - kTrailerBytes),
                 SEEK_SET) != 0 ||
      std::fread(trailer, 1, sizeof(trailer), file.get()) != sizeof(trailer) ||
      std::memcmp(trailer + 8, kTrailerMagic.data(), kTrailerMagic.size()) !=
          0) {
    return false;
  }
  uint64_t end_offset = 0;
  for (int i = 7; i >= 0; --i) end_offset = end_offset << 8 | trailer[i];
  if (end_offset >= size - kTrailerBytes ||
      size - kTrailerBytes - end_offset > kMaxRecordBytes) {
    return false;
  }
  // The end record is the last one: read it with the checks of a reader.
  std::string bytes(size - kTrailerBytes - end_offset, '\0');
  if (std::fseek(file.get(), static_cast<long>(end_offset), SEEK_SET) != 0 ||
      std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size() ||
      bytes.size() < kRecordHeaderBytes ||
      bytes[8] != static_cast<char>(RecordType::kEnd)) {
    return false;
  }
  auto fixed32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) {
      v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    }
    return v;
  };
  if (fixed32(0) != bytes.size() - 8 ||
      fixed32(4) != MaskCrc(Crc32c(absl::string_view(bytes).substr(8)))) {
    return false;
  }
  return end->ParseFromArray(
      bytes.data() + kRecordHeaderBytes,
      static_cast<int>(bytes.size() - kRecordHeaderBytes));
}

}  // namespace

void DescribeHeader(const v1::RecordingHeader& header, v1::Recording* out) {
  out->set_device_id(header.device_id());
  out->set_started_unix_us(header.started_unix_us());
  out->set_stop_watch_epoch(header.stop_watch_epoch());
  out->set_epoch_start_unix_us(header.epoch_start_unix_us());
  out->set_start_stop_watch_us(header.start_stop_watch_us());
  out->set_speckd_version(header.speckd_version());
  if (header.configured()) {
    *out->mutable_configuration() = header.configuration();
  }
}

void DescribeEnd(const v1::RecordingEnd& end, v1::Recording* out) {
  out->set_ended_cleanly(true);
  out->set_end_status_code(end.status_code());
  out->set_end_status_message(end.status_message());
  out->set_ended_unix_us(end.ended_unix_us());
  out->set_end_stop_watch_us(end.end_stop_watch_us());
  *out->mutable_counts() = end.counts();
}

absl::StatusOr<v1::Recording> SummarizeRecording(const std::string& path) {
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      RecordReader::Open(path);
  if (!reader.ok()) return reader.status();
  v1::Recording out;
  out.set_name(NameOf(path));
  DescribeHeader((*reader)->header(), &out);
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) out.set_size_bytes(st.st_size);
  v1::RecordingEnd end;
  if (ReadEndFromTrailer(path, out.size_bytes(), &end)) {
    DescribeEnd(end, &out);
    return out;
  }
  // Cut off (or damaged): count what is intact.
  for (const v1::RecordedStream& s : (*reader)->header().streams()) {
    v1::StreamCount* count = out.add_counts();
    count->set_kind(s.kind());
    count->set_stream(s.id());
  }
  while (std::optional<Record> record = (*reader)->Next()) {
    if (record->type == RecordType::kIndex) {
      v1::RecordingIndex index;
      if (index.ParseFromString(record->body)) {
        out.set_end_stop_watch_us(index.stop_watch_us());
        out.set_ended_unix_us(index.written_unix_us());
      }
    } else if (record->type == RecordType::kEnd) {
      if (end.ParseFromString(record->body)) DescribeEnd(end, &out);
    } else if (record->type == RecordType::kData) {
      for (v1::StreamCount& c : *out.mutable_counts()) {
        if (c.stream() != record->stream) continue;
        c.set_records(c.records() + 1);
        c.set_items(c.items() + record->items);
      }
    }
  }
  out.set_ended_cleanly((*reader)->ended_cleanly());
  if (!(*reader)->problem().ok()) {
    out.set_problem(std::string((*reader)->problem().message()));
  } else if ((*reader)->unread_bytes() > 0 && !out.ended_cleanly()) {
    out.set_problem(absl::StrCat("cut off: ", (*reader)->unread_bytes(),
                                 " bytes after the last intact record (at "
                                 "byte ",
                                 (*reader)->good_bytes(), ") were dropped"));
  }
  return out;
}

}  // namespace speckd::recording
