#include "proto/recording/aedat4_reader.h"

#include <lz4frame.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "proto/recording/aedat4/events_generated.h"
#include "proto/recording/aedat4/ioheader_generated.h"

namespace speckd::recording {
namespace {

namespace a4 = ::speckd::aedat4;

constexpr absl::string_view kVersionLine = "#!AER-DAT4.0\r\n";
// A packet longer than this is damage, not data.
constexpr uint32_t kMaxPacketBytes = uint32_t{256} << 20;

uint32_t Fixed32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
         uint32_t{p[3]} << 24;
}

// The value of <attr key="KEY" ...>VALUE</attr> in `xml`, or "".
std::string AttrValue(absl::string_view xml, absl::string_view key) {
  const std::string marker = absl::StrCat("key=\"", key, "\"");
  const size_t at = xml.find(marker);
  if (at == absl::string_view::npos) return "";
  const size_t open = xml.find('>', at);
  const size_t close = xml.find("</attr>", open);
  if (open == absl::string_view::npos || close == absl::string_view::npos) {
    return "";
  }
  return std::string(xml.substr(open + 1, close - open - 1));
}

// The streams DV's infoNode describes: <node name="N" ...> with N a number.
std::vector<Aedat4Stream> ParseInfoNode(absl::string_view xml) {
  std::vector<Aedat4Stream> streams;
  constexpr absl::string_view kNode = "<node name=\"";
  for (size_t at = xml.find(kNode); at != absl::string_view::npos;) {
    const size_t name_start = at + kNode.size();
    const size_t name_end = xml.find('"', name_start);
    const size_t next = xml.find(kNode, name_start);
    int id = 0;
    if (name_end != absl::string_view::npos &&
        absl::SimpleAtoi(xml.substr(name_start, name_end - name_start), &id)) {
      // The stream's own attributes, and those of its "info" child.
      const size_t after_info = next == absl::string_view::npos
                                    ? absl::string_view::npos
                                    : xml.find(kNode, next + kNode.size());
      const absl::string_view body = xml.substr(at, after_info - at);
      Aedat4Stream s;
      s.id = id;
      s.name = AttrValue(body, "originalOutputName");
      s.type = AttrValue(body, "typeIdentifier");
      (void)absl::SimpleAtoi(AttrValue(body, "sizeX"), &s.size_x);
      (void)absl::SimpleAtoi(AttrValue(body, "sizeY"), &s.size_y);
      streams.push_back(s);
    }
    at = next;
  }
  return streams;
}

}  // namespace

Aedat4Reader::Aedat4Reader(std::FILE* file, std::string path)
    : file_(file), path_(std::move(path)) {}

Aedat4Reader::~Aedat4Reader() {
  if (lz4_ != nullptr) {
    LZ4F_freeDecompressionContext(static_cast<LZ4F_dctx*>(lz4_));
  }
  std::fclose(file_);
}

absl::StatusOr<std::unique_ptr<Aedat4Reader>> Aedat4Reader::Open(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rbe");
  if (file == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<Aedat4Reader> reader(new Aedat4Reader(file, path));
  if (absl::Status s = reader->ReadHeader(); !s.ok()) return s;
  return reader;
}

absl::Status Aedat4Reader::ReadHeader() {
  struct stat st {};
  fstat(fileno(file_), &st);
  end_ = st.st_size;
  char version[14];
  unsigned char size_bytes[4];
  if (std::fread(version, 1, sizeof(version), file_) != sizeof(version) ||
      absl::string_view(version, sizeof(version)) != kVersionLine ||
      std::fread(size_bytes, 1, 4, file_) != 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, " is not an AEDAT 4.0 file (no #!AER-DAT4.0 line)"));
  }
  const uint32_t size = Fixed32(size_bytes);
  if (size > kMaxPacketBytes || 18 + static_cast<int64_t>(size) > end_) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": its header's size (", size, ") is damaged"));
  }
  std::string header(size + 4, '\0');
  std::memcpy(header.data(), size_bytes, 4);
  if (std::fread(header.data() + 4, 1, size, file_) != size) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": cut off in its header"));
  }
  flatbuffers::Verifier verifier(
      reinterpret_cast<const uint8_t*>(header.data()), header.size());
  if (!a4::VerifySizePrefixedIOHeaderBuffer(verifier)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": its header is damaged"));
  }
  const a4::IOHeader* h = a4::GetSizePrefixedIOHeader(header.data());
  compression_ = h->compression();
  if (compression_ != a4::CompressionType_NONE &&
      compression_ != a4::CompressionType_LZ4 &&
      compression_ != a4::CompressionType_LZ4_HIGH) {
    return absl::UnimplementedError(absl::StrCat(
        path_,
        " is ZSTD-compressed; speckd reads uncompressed and LZ4 AEDAT 4 "
        "(convert it with dv-processing)"));
  }
  if (h->data_table_position() > 0 && h->data_table_position() < end_) {
    end_ = h->data_table_position();
  }
  if (h->info_node() != nullptr) {
    streams_ = ParseInfoNode(
        absl::string_view(h->info_node()->c_str(), h->info_node()->size()));
  }
  offset_ = 18 + size;
  if (compression_ != a4::CompressionType_NONE) {
    LZ4F_dctx* dctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
      return absl::InternalError("cannot set up LZ4 decompression");
    }
    lz4_ = dctx;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Aedat4Reader::Decompress(std::string bytes) {
  if (compression_ == a4::CompressionType_NONE) return bytes;
  std::string out;
  size_t in_at = 0;
  char buffer[1 << 16];
  while (in_at < bytes.size()) {
    size_t out_size = sizeof(buffer);
    size_t in_size = bytes.size() - in_at;
    const size_t hint =
        LZ4F_decompress(static_cast<LZ4F_dctx*>(lz4_), buffer, &out_size,
                        bytes.data() + in_at, &in_size, nullptr);
    if (LZ4F_isError(hint)) {
      return absl::InvalidArgumentError(
          absl::StrCat("LZ4: ", LZ4F_getErrorName(hint)));
    }
    out.append(buffer, out_size);
    in_at += in_size;
    if (in_size == 0 && out_size == 0) break;
    if (out.size() > kMaxPacketBytes) {
      return absl::InvalidArgumentError("a packet decompresses past 256 MiB");
    }
  }
  return out;
}

std::optional<Aedat4Packet> Aedat4Reader::Next() {
  while (problem_.ok() && offset_ + 8 <= end_) {
    unsigned char head[8];
    if (std::fseek(file_, static_cast<long>(offset_), SEEK_SET) != 0 ||
        std::fread(head, 1, 8, file_) != 8) {
      return std::nullopt;
    }
    const int stream = static_cast<int32_t>(Fixed32(head));
    const uint32_t size = Fixed32(head + 4);
    if (size > kMaxPacketBytes || offset_ + 8 + size > end_) {
      return std::nullopt;  // cut off: where writing stopped
    }
    std::string bytes(size, '\0');
    if (std::fread(bytes.data(), 1, size, file_) != size) return std::nullopt;
    const int64_t at = offset_;
    offset_ += 8 + size;
    absl::StatusOr<std::string> flat = Decompress(std::move(bytes));
    if (!flat.ok()) {
      problem_ = absl::DataLossError(absl::StrCat(
          path_, ": packet at byte ", at, ": ", flat.status().message()));
      return std::nullopt;
    }
    if (flat->size() < 12 || flat->compare(8, 4, "EVTS") != 0) continue;
    flatbuffers::Verifier verifier(
        reinterpret_cast<const uint8_t*>(flat->data()), flat->size());
    if (!a4::VerifySizePrefixedEventPacketBuffer(verifier)) {
      problem_ = absl::DataLossError(absl::StrCat(
          path_, ": packet at byte ", at, ": not a valid event packet"));
      return std::nullopt;
    }
    const a4::EventPacket* p = a4::GetSizePrefixedEventPacket(flat->data());
    Aedat4Packet packet;
    packet.stream = stream;
    if (p->elements() != nullptr) {
      packet.events.reserve(p->elements()->size());
      for (const a4::Event* e : *p->elements()) {
        packet.events.push_back(
            {e->timestamp(), e->x(), e->y(), e->polarity()});
      }
    }
    return packet;
  }
  return std::nullopt;
}

}  // namespace speckd::recording
