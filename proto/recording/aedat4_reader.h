// Reads the polarity-event streams of an AEDAT 4.0 file (iniVation's DV
// format, as DV and dv-processing record it, or speckd exports it) packet by
// packet, never the whole file: uncompressed or LZ4 (DV's default).
// Timestamps are the file's own (Unix microseconds).
//
//   auto r = Aedat4Reader::Open("dvs.aedat4");
//   while (std::optional<Aedat4Packet> p = (*r)->Next()) ...p->events
//   (*r)->problem();   // OK, or why reading stopped early
#ifndef SPECKD_PROTO_RECORDING_AEDAT4_READER_H_
#define SPECKD_PROTO_RECORDING_AEDAT4_READER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace speckd::recording {

// A stream the file describes (its infoNode).
struct Aedat4Stream {
  int id = 0;
  std::string name;  // originalOutputName
  std::string type;  // typeIdentifier: "EVTS" for events
  int size_x = 0;
  int size_y = 0;
};

struct Aedat4Event {
  int64_t timestamp_us = 0;
  int16_t x = 0;
  int16_t y = 0;
  bool on = false;
};

struct Aedat4Packet {
  int stream = 0;
  std::vector<Aedat4Event> events;
};

class Aedat4Reader {
 public:
  // NOT_FOUND; INVALID_ARGUMENT naming what is wrong for a file that is not
  // AEDAT 4.0; UNIMPLEMENTED for ZSTD compression.
  static absl::StatusOr<std::unique_ptr<Aedat4Reader>> Open(
      const std::string& path);
  ~Aedat4Reader();

  const std::vector<Aedat4Stream>& streams() const { return streams_; }

  // The next event packet (other packet types are skipped); nullopt at the
  // end of the packets or at the first one that does not decode (then
  // problem() says which, by offset).
  std::optional<Aedat4Packet> Next();
  const absl::Status& problem() const { return problem_; }

 private:
  Aedat4Reader(std::FILE* file, std::string path);
  absl::Status ReadHeader();
  // The packet's flatbuffer, decompressed.
  absl::StatusOr<std::string> Decompress(std::string bytes);

  std::FILE* file_;
  const std::string path_;
  int compression_ = 0;
  int64_t end_ = 0;  // where packets end (the data table, or the file's end)
  int64_t offset_ = 0;
  std::vector<Aedat4Stream> streams_;
  void* lz4_ = nullptr;  // LZ4F_dctx, kept across packets (DV's stream)
  absl::Status problem_;
};

}  // namespace speckd::recording

#endif  // SPECKD_PROTO_RECORDING_AEDAT4_READER_H_
