#include "clients/cli/zip_reader.h"

#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace speckd::cli {
namespace {

constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr size_t kEndSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr uint32_t kSaturated32 = 0xFFFFFFFF;

// Little-endian fields at fixed offsets; out-of-range reads give 0 (the
// callers check sizes first).
class Bytes {
 public:
  explicit Bytes(absl::string_view b) : b_(b) {}
  uint64_t At(uint64_t offset, int n) const {
    if (offset > b_.size() || b_.size() - offset < static_cast<uint64_t>(n)) {
      return 0;
    }
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) {
      v = (v << 8) | static_cast<uint8_t>(b_[offset + i]);
    }
    return v;
  }
  bool Has(uint64_t offset, uint64_t n) const {
    return offset <= b_.size() && b_.size() - offset >= n;
  }
  absl::string_view Sub(uint64_t offset, uint64_t n) const {
    return b_.substr(offset, n);
  }
  size_t size() const { return b_.size(); }

 private:
  absl::string_view b_;
};

struct Entry {
  std::string name;
  int method = 0;
  uint32_t crc = 0;
  uint64_t compressed = 0;
  uint64_t uncompressed = 0;
  uint64_t local_offset = 0;
};

struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
};

absl::StatusOr<Directory> FindDirectory(const Bytes& zip) {
  // The end record is in the last 64 KiB + 22 bytes (after the comment).
  const size_t lowest = zip.size() > 65557 ? zip.size() - 65557 : 0;
  for (size_t at = zip.size() >= kEndSize ? zip.size() - kEndSize : 0;
       zip.size() >= kEndSize && at + 1 > lowest; --at) {
    if (zip.At(at, 4) != kEndSignature) {
      if (at == 0) break;
      continue;
    }
    Directory dir{zip.At(at + 10, 2), zip.At(at + 16, 4)};
    const uint64_t locator = at >= 20 ? at - 20 : 0;
    if ((dir.entries == 0xFFFF || dir.offset == kSaturated32) &&
        zip.At(locator, 4) == kZip64LocatorSignature) {
      const uint64_t end64 = zip.At(locator + 8, 8);
      if (zip.At(end64, 4) != kZip64EndSignature) break;
      dir.entries = zip.At(end64 + 32, 8);
      dir.offset = zip.At(end64 + 48, 8);
    }
    return dir;
  }
  return absl::InvalidArgumentError("not a ZIP archive (no end record)");
}

// Replaces saturated 32-bit fields with their ZIP64 extra-field values.
void ApplyZip64(const Bytes& zip, uint64_t extra, uint64_t extra_len,
                Entry* e) {
  for (uint64_t at = extra; at + 4 <= extra + extra_len;) {
    const uint64_t id = zip.At(at, 2), len = zip.At(at + 2, 2);
    if (id == 0x0001) {
      uint64_t field = at + 4;
      for (uint64_t* v : {&e->uncompressed, &e->compressed, &e->local_offset}) {
        if (*v == kSaturated32 && field + 8 <= at + 4 + len) {
          *v = zip.At(field, 8);
          field += 8;
        }
      }
    }
    at += 4 + len;
  }
}

absl::StatusOr<std::vector<Entry>> ReadDirectory(const Bytes& zip,
                                                 const Directory& dir) {
  std::vector<Entry> entries;
  uint64_t at = dir.offset;
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (!zip.Has(at, kCentralSize) || zip.At(at, 4) != kCentralSignature) {
      return absl::InvalidArgumentError("damaged central directory");
    }
    Entry e;
    e.method = static_cast<int>(zip.At(at + 10, 2));
    e.crc = static_cast<uint32_t>(zip.At(at + 16, 4));
    e.compressed = zip.At(at + 20, 4);
    e.uncompressed = zip.At(at + 24, 4);
    const uint64_t name_len = zip.At(at + 28, 2);
    const uint64_t extra_len = zip.At(at + 30, 2);
    const uint64_t comment_len = zip.At(at + 32, 2);
    e.local_offset = zip.At(at + 42, 4);
    if (!zip.Has(at + kCentralSize, name_len + extra_len + comment_len)) {
      return absl::InvalidArgumentError("damaged central directory");
    }
    e.name = std::string(zip.Sub(at + kCentralSize, name_len));
    ApplyZip64(zip, at + kCentralSize + name_len, extra_len, &e);
    entries.push_back(std::move(e));
    at += kCentralSize + name_len + extra_len + comment_len;
  }
  return entries;
}

absl::StatusOr<std::string> Inflate(absl::string_view in, uint64_t size) {
  std::string out(size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib: cannot start inflating");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(std::min<uint64_t>(in.size(), UINT32_MAX));
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(std::min<uint64_t>(size, UINT32_MAX));
  const int rc = inflate(&z, Z_FINISH);
  const uint64_t produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != size) {
    return absl::InvalidArgumentError("damaged compressed data");
  }
  return out;
}

absl::StatusOr<std::string> MemberData(const Bytes& zip, const Entry& e,
                                       uint64_t max_bytes) {
  if (e.uncompressed > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("larger than ", max_bytes, " bytes uncompressed"));
  }
  const uint64_t at = e.local_offset;
  if (!zip.Has(at, kLocalSize) || zip.At(at, 4) != kLocalSignature) {
    return absl::InvalidArgumentError("damaged local header");
  }
  const uint64_t data =
      at + kLocalSize + zip.At(at + 26, 2) + zip.At(at + 28, 2);
  if (!zip.Has(data, e.compressed)) {
    return absl::InvalidArgumentError("cut off");
  }
  absl::string_view raw = zip.Sub(data, e.compressed);
  absl::StatusOr<std::string> out;
  if (e.method == 0) {
    if (e.compressed != e.uncompressed) {
      return absl::InvalidArgumentError("stored member with two sizes");
    }
    out = std::string(raw);
  } else if (e.method == 8) {
    out = Inflate(raw, e.uncompressed);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "compression method ", e.method, " (stored and deflate are read)"));
  }
  if (!out.ok()) return out;
  const uLong crc =
      crc32_z(0, reinterpret_cast<const Bytef*>(out->data()), out->size());
  if (crc != e.crc) return absl::InvalidArgumentError("CRC mismatch");
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ZipMember>> ReadZipMembers(
    absl::string_view name, absl::string_view archive,
    uint64_t max_member_bytes) {
  const Bytes zip(archive);
  auto fail = [&](const absl::Status& s, absl::string_view member) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, member.empty() ? "" : ":", member, ": ", s.message()));
  };
  absl::StatusOr<Directory> dir = FindDirectory(zip);
  if (!dir.ok()) return fail(dir.status(), "");
  absl::StatusOr<std::vector<Entry>> entries = ReadDirectory(zip, *dir);
  if (!entries.ok()) return fail(entries.status(), "");
  std::vector<ZipMember> members;
  for (const Entry& e : *entries) {
    absl::StatusOr<std::string> data = MemberData(zip, e, max_member_bytes);
    if (!data.ok()) return fail(data.status(), e.name);
    members.push_back({e.name, *std::move(data)});
  }
  return members;
}

}  // namespace speckd::cli
