// AEDAT 4.0 export (iniVation's DV format; dv-processing and DV open it):
// the DVS event tables ("inputs" as stream 0, "dvs_monitor" as stream 1)
// as event packets, uncompressed; timestamps become Unix microseconds (the
// recording's wall-clock anchor plus the stop-watch time). Layout:
//
//   "#!AER-DAT4.0\r\n"  IOHeader (size-prefixed flatbuffer "IOHE")
//   packet*: streamID:i32 size:i32 EventPacket (size-prefixed "EVTS")
//   FileDataTable (size-prefixed "FTAB"), its offset patched into the
//   IOHeader at the end (every header field is written, so its size never
//   changes).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/recording/aedat4/events_generated.h"
#include "proto/recording/aedat4/file_data_table_generated.h"
#include "proto/recording/aedat4/ioheader_generated.h"
#include "proto/recording/export_tables.h"

namespace speckd::recording::internal {
namespace {

namespace fb = ::flatbuffers;
namespace a4 = ::speckd::aedat4;

constexpr char kVersionLine[] = "#!AER-DAT4.0\r\n";
constexpr int kSensorSize = 128;  // the Speck2e DVS array

std::string Attr(const char* key, const char* type, const std::string& value) {
  return absl::StrCat("<attr key=\"", key, "\" type=\"", type, "\">", value,
                      "</attr>");
}

// The streams' description, in the shape DV writes it.
std::string InfoNode(const std::string& source) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><dv version=\"2.0\">"
      "<node name=\"outInfo\" path=\"/outInfo/\">";
  const char* names[] = {"inputs", "dvs_monitor"};
  for (int id = 0; id < 2; ++id) {
    const std::string path = absl::StrCat("/outInfo/", id, "/");
    absl::StrAppend(
        &xml, "<node name=\"", id, "\" path=\"", path, "\">",
        Attr("compression", "string", "NONE"),
        Attr("originalModuleName", "string", "speckd"),
        Attr("originalOutputName", "string", names[id]),
        Attr("typeDescription", "string", "Array of events (polarity ON/OFF)."),
        Attr("typeIdentifier", "string", "EVTS"), "<node name=\"info\" path=\"",
        path, "info/\">", Attr("sizeX", "int", absl::StrCat(kSensorSize)),
        Attr("sizeY", "int", absl::StrCat(kSensorSize)),
        Attr("source", "string", source), "</node></node>");
  }
  return xml + "</node></dv>";
}

class Aedat4Sink final : public Sink {
 public:
  Aedat4Sink(const std::string& out, const speckd::v1::RecordingHeader& header)
      : out_(out),
        anchor_us_(header.epoch_start_unix_us()),
        info_(InfoNode(header.device_id().empty() ? "speckd"
                                                  : header.device_id())),
        file_(out, std::ios::binary | std::ios::trunc) {
    file_.write(kVersionLine, sizeof(kVersionLine) - 1);
    header_at_ = file_.tellp();
    WriteHeader(-2);  // patched in Finish
  }

  bool Takes(const std::string& table) const override {
    return table == "inputs" || table == "dvs_monitor";
  }

  absl::Status Add(const Batch& batch) override {
    if (!file_)
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", out_));
    int32_t stream;
    if (batch.table == "inputs") {
      stream = 0;
    } else if (batch.table == "dvs_monitor") {
      stream = 1;
    } else {
      return absl::OkStatus();  // not a DVS event table (see Takes)
    }
    std::vector<a4::Event> events;
    events.reserve(batch.rows);
    for (size_t i = 0; i < batch.rows; ++i) {
      uint64_t t;
      std::memcpy(&t, batch.columns[0].data() + 8 * i, 8);
      events.emplace_back(anchor_us_ + static_cast<int64_t>(t),
                          static_cast<uint8_t>(batch.columns[1][i]),
                          static_cast<uint8_t>(batch.columns[2][i]),
                          batch.columns[3][i] != 0);
    }
    fb::FlatBufferBuilder builder(64 + 16 * events.size());
    a4::FinishSizePrefixedEventPacketBuffer(
        builder,
        a4::CreateEventPacket(builder, builder.CreateVectorOfStructs(events)));
    const int32_t size = static_cast<int32_t>(builder.GetSize());
    file_.write(reinterpret_cast<const char*>(&stream), 4);
    file_.write(reinterpret_cast<const char*>(&size), 4);
    const int64_t offset = file_.tellp();
    file_.write(reinterpret_cast<const char*>(builder.GetBufferPointer()),
                size);
    packets_.push_back({offset, stream, size,
                        static_cast<int64_t>(events.size()),
                        events.front().timestamp(), events.back().timestamp()});
    if (!file_)
      return absl::InternalError(absl::StrCat("writing ", out_, " failed"));
    return absl::OkStatus();
  }

  absl::Status Finish(ExportResult* result) override {
    const int64_t table_at = file_.tellp();
    fb::FlatBufferBuilder builder;
    std::vector<fb::Offset<a4::FileDataDefinition>> table;
    for (const Packet& p : packets_) {
      const a4::PacketHeader info(p.stream, p.size);
      table.push_back(a4::CreateFileDataDefinition(
          builder, p.offset, &info, p.elements, p.first_us, p.last_us));
    }
    a4::FinishSizePrefixedFileDataTableBuffer(
        builder, a4::CreateFileDataTableDirect(builder, &table));
    file_.write(reinterpret_cast<const char*>(builder.GetBufferPointer()),
                builder.GetSize());
    file_.seekp(header_at_);
    WriteHeader(table_at);
    file_.close();
    if (!file_)
      return absl::InternalError(absl::StrCat("writing ", out_, " failed"));
    result->files.push_back(out_);
    return absl::OkStatus();
  }

 private:
  struct Packet {
    int64_t offset;
    int32_t stream;
    int32_t size;
    int64_t elements;
    int64_t first_us;
    int64_t last_us;
  };

  void WriteHeader(int64_t table_position) {
    fb::FlatBufferBuilder builder;
    builder.ForceDefaults(true);  // the same size when patched
    a4::FinishSizePrefixedIOHeaderBuffer(
        builder, a4::CreateIOHeaderDirect(builder, a4::CompressionType_NONE,
                                          table_position, info_.c_str()));
    file_.write(reinterpret_cast<const char*>(builder.GetBufferPointer()),
                builder.GetSize());
  }

  const std::string out_;
  const int64_t anchor_us_;
  const std::string info_;
  std::ofstream file_;
  std::streampos header_at_;
  std::vector<Packet> packets_;
};

}  // namespace

std::unique_ptr<Sink> NewAedat4Sink(const std::string& out,
                                    const speckd::v1::RecordingHeader& header) {
  return std::make_unique<Aedat4Sink>(out, header);
}

}  // namespace speckd::recording::internal
