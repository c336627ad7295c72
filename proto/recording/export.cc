#include "proto/recording/export.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/recording/export_tables.h"
#include "proto/recording/record_reader.h"
#include "proto/speckd/v1/events.pb.h"

namespace speckd::recording {
namespace {

namespace v1 = ::speckd::v1;
using internal::Batch;
using internal::ColumnsOf;
using internal::ColumnSpec;
using internal::Sink;

template <typename T>
void Put(std::string* column, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86: already little-endian
  column->append(bytes, sizeof(T));
}

Batch SpikesBatch(const std::string& table, const v1::SpikeBatch& s) {
  Batch b{table, std::vector<std::string>(5),
          static_cast<size_t>(s.timestamp_us_size())};
  for (int i = 0; i < s.timestamp_us_size(); ++i) {
    Put<uint64_t>(&b.columns[0], s.timestamp_us(i));
    Put<uint8_t>(&b.columns[1], static_cast<uint8_t>(s.layer(i)));
    Put<uint16_t>(&b.columns[2], static_cast<uint16_t>(s.feature(i)));
    Put<uint8_t>(&b.columns[3], static_cast<uint8_t>(s.x(i)));
    Put<uint8_t>(&b.columns[4], static_cast<uint8_t>(s.y(i)));
  }
  return b;
}

Batch DvsBatch(const std::string& table, const v1::DvsEventBatch& d) {
  Batch b{table, std::vector<std::string>(4),
          static_cast<size_t>(d.timestamp_us_size())};
  for (int i = 0; i < d.timestamp_us_size(); ++i) {
    Put<uint64_t>(&b.columns[0], d.timestamp_us(i));
    Put<uint8_t>(&b.columns[1], static_cast<uint8_t>(d.x(i)));
    Put<uint8_t>(&b.columns[2], static_cast<uint8_t>(d.y(i)));
    Put<uint8_t>(&b.columns[3], d.p(i) ? 1 : 0);
  }
  return b;
}

Batch ReadoutBatches(const v1::ReadoutBatch& r, bool pins) {
  Batch b{pins ? "readout_pins" : "readout", std::vector<std::string>(2),
          static_cast<size_t>(pins ? r.pins_size() : r.values_size())};
  for (size_t i = 0; i < b.rows; ++i) {
    const int k = static_cast<int>(i);
    Put<uint64_t>(&b.columns[0],
                  pins ? r.pins(k).timestamp_us() : r.values(k).timestamp_us());
    Put<uint32_t>(&b.columns[1],
                  pins ? r.pins(k).index() : r.values(k).value());
  }
  return b;
}

Batch PowerBatch(const v1::MeasurementBatch& m) {
  Batch b{"power", std::vector<std::string>(3),
          static_cast<size_t>(m.timestamp_us_size())};
  for (int i = 0; i < m.timestamp_us_size(); ++i) {
    Put<uint64_t>(&b.columns[0], m.timestamp_us(i));
    Put<uint8_t>(&b.columns[1], static_cast<uint8_t>(m.channel(i)));
    Put<double>(&b.columns[2], m.value(i));
  }
  return b;
}

// The tables a data record of stream `kind` adds rows to.
std::vector<Batch> BatchesOf(v1::RecordingStream kind, const Record& record) {
  std::vector<Batch> out;
  if (kind == v1::INPUTS) {
    v1::RecordedInputs in;
    if (!in.ParseFromString(record.body)) return out;
    const v1::DvsEventColumns& d = in.dvs_events();
    if (!d.timestamp_us().empty()) {
      out.push_back({"inputs",
                     {d.timestamp_us(), d.x(), d.y(), d.p()},
                     d.timestamp_us().size() / 8});
    }
    const v1::SpikeColumns& s = in.spikes();
    if (!s.timestamp_us().empty()) {
      out.push_back({"input_spikes",
                     {s.timestamp_us(), s.layer(), s.feature(), s.x(), s.y()},
                     s.timestamp_us().size() / 8});
    }
    return out;
  }
  v1::StreamMessage m;
  if (!m.ParseFromString(record.body)) return out;
  const std::string table = kind == v1::DVS_MONITOR ? "dvs_monitor" : "spikes";
  if (m.has_spikes()) out.push_back(SpikesBatch(table, m.spikes()));
  if (m.has_spike_columns()) {
    const v1::SpikeColumns& s = m.spike_columns();
    out.push_back({table,
                   {s.timestamp_us(), s.layer(), s.feature(), s.x(), s.y()},
                   s.timestamp_us().size() / 8});
  }
  if (m.has_dvs_events())
    out.push_back(DvsBatch("dvs_monitor", m.dvs_events()));
  if (m.has_measurements()) out.push_back(PowerBatch(m.measurements()));
  if (m.has_readout()) {
    out.push_back(ReadoutBatches(m.readout(), /*pins=*/false));
    out.push_back(ReadoutBatches(m.readout(), /*pins=*/true));
  }
  return out;
}

// OUT with ".TABLE" before its extension: run1.csv -> run1.spikes.csv.
std::string PathFor(const std::string& out, const std::string& table) {
  const size_t dot = out.rfind('.');
  const size_t slash = out.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return absl::StrCat(out, ".", table);
  }
  return absl::StrCat(out.substr(0, dot), ".", table, out.substr(dot));
}

class CsvSink final : public Sink {
 public:
  explicit CsvSink(std::string out) : out_(std::move(out)) {}

  absl::Status Add(const Batch& batch) override {
    std::ofstream& f = FileFor(batch.table);
    if (!f)
      return absl::PermissionDeniedError(
          absl::StrCat("cannot write ", PathFor(out_, batch.table)));
    const std::vector<ColumnSpec>& specs = ColumnsOf(batch.table);
    std::string line;
    for (size_t row = 0; row < batch.rows; ++row) {
      line.clear();
      for (size_t c = 0; c < specs.size(); ++c) {
        if (c > 0) line += ',';
        line += Cell(specs[c], batch.columns[c].data() + row * specs[c].width);
      }
      line += '\n';
      f << line;
    }
    return absl::OkStatus();
  }

  absl::Status Finish(ExportResult* result) override {
    for (auto& [table, f] : files_) {
      f->close();
      if (!*f) {
        return absl::InternalError(
            absl::StrCat("writing ", PathFor(out_, table), " failed"));
      }
      result->files.push_back(PathFor(out_, table));
    }
    return absl::OkStatus();
  }

 private:
  static std::string Cell(const ColumnSpec& spec, const char* p) {
    if (spec.floating) {
      double v;
      std::memcpy(&v, p, 8);
      return absl::StrCat(v);
    }
    uint64_t v = 0;
    std::memcpy(&v, p, spec.width);
    return absl::StrCat(v);
  }

  std::ofstream& FileFor(const std::string& table) {
    std::unique_ptr<std::ofstream>& f = files_[table];
    if (f == nullptr) {
      f = std::make_unique<std::ofstream>(PathFor(out_, table),
                                          std::ios::binary | std::ios::trunc);
      const char* header = table == "power"     ? "timestamp_us,channel,watts\n"
                           : table == "readout" ? "timestamp_us,value\n"
                           : table == "readout_pins" ? "timestamp_us,index\n"
                           : ColumnsOf(table).size() == 4
                               ? "timestamp_us,x,y,p\n"
                               : "timestamp_us,layer,feature,x,y\n";
      *f << header;
    }
    return *f;
  }

  const std::string out_;
  std::map<std::string, std::unique_ptr<std::ofstream>> files_;
};

// Columns go to scratch files as they come; Finish() zips them (stored, not
// compressed: numpy maps them as they are) into OUT with .npy headers.
class NpzSink final : public Sink {
 public:
  explicit NpzSink(std::string out) : out_(std::move(out)) {}
  ~NpzSink() override {
    for (auto& [name, column] : columns_) std::remove(column.path.c_str());
  }

  absl::Status Add(const Batch& batch) override {
    const std::vector<ColumnSpec>& specs = ColumnsOf(batch.table);
    for (size_t c = 0; c < specs.size(); ++c) {
      Column& column =
          ColumnFor(absl::StrCat(batch.table, "_", specs[c].name), specs[c]);
      column.file->write(batch.columns[c].data(),
                         static_cast<std::streamsize>(batch.columns[c].size()));
      column.rows += batch.rows;
      if (!*column.file) {
        return absl::InternalError(absl::StrCat("writing ", column.path,
                                                " failed (is the disk full?)"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Finish(ExportResult* result) override;

 private:
  struct Column {
    std::string path;
    const ColumnSpec* spec = nullptr;
    std::unique_ptr<std::fstream> file;
    uint64_t rows = 0;
  };

  Column& ColumnFor(const std::string& name, const ColumnSpec& spec) {
    Column& c = columns_[name];
    if (c.file == nullptr) {
      c.path = absl::StrCat(out_, ".", name, ".part");
      c.spec = &spec;
      c.file = std::make_unique<std::fstream>(
          c.path,
          std::ios::binary | std::ios::in | std::ios::out | std::ios::trunc);
    }
    return c;
  }

  const std::string out_;
  std::map<std::string, Column> columns_;
};

// numpy's .npy header (format 1.0) for a 1-D array.
std::string NpyHeader(const ColumnSpec& spec, uint64_t rows) {
  std::string dict =
      absl::StrCat("{'descr': '", spec.npy_descr,
                   "', 'fortran_order': False, 'shape': (", rows, ",), }");
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string header = "\x93NUMPY";
  header += '\x01';
  header += '\x00';
  Put<uint16_t>(&header, static_cast<uint16_t>(dict.size()));
  return header + dict;
}

void PutZipCommon(std::string* h, uint32_t crc, uint32_t size,
                  const std::string& name) {
  Put<uint16_t>(h, 20);    // version needed
  Put<uint16_t>(h, 0);     // flags
  Put<uint16_t>(h, 0);     // stored
  Put<uint16_t>(h, 0);     // time
  Put<uint16_t>(h, 0x21);  // date: 1980-01-01
  Put<uint32_t>(h, crc);
  Put<uint32_t>(h, size);
  Put<uint32_t>(h, size);
  Put<uint16_t>(h, static_cast<uint16_t>(name.size()));
  Put<uint16_t>(h, 0);  // extra
}

absl::Status NpzSink::Finish(ExportResult* result) {
  std::ofstream zip(out_, std::ios::binary | std::ios::trunc);
  if (!zip)
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", out_));
  std::string central;
  uint32_t offset = 0;
  uint16_t entries = 0;
  std::vector<char> buffer(1 << 20);
  for (auto& [name, column] : columns_) {
    const std::string header = NpyHeader(*column.spec, column.rows);
    const uint64_t size = header.size() + column.rows * column.spec->width;
    if (size + offset >= (uint64_t{1} << 32)) {
      return absl::ResourceExhaustedError(
          "the export is over 4 GiB, more than a plain .npz holds");
    }
    // CRC-32 of the entry: the header, then the column as written.
    uLong crc = crc32(0, reinterpret_cast<const Bytef*>(header.data()),
                      static_cast<uInt>(header.size()));
    column.file->flush();
    column.file->seekg(0);
    while (column.file->read(buffer.data(), buffer.size()) ||
           column.file->gcount()) {
      crc = crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()),
                  static_cast<uInt>(column.file->gcount()));
    }
    column.file->clear();
    const std::string entry = name + ".npy";
    std::string local = "PK\x03\x04";
    PutZipCommon(&local, static_cast<uint32_t>(crc),
                 static_cast<uint32_t>(size), entry);
    zip << local << entry << header;
    column.file->seekg(0);
    while (column.file->read(buffer.data(), buffer.size()) ||
           column.file->gcount()) {
      zip.write(buffer.data(), column.file->gcount());
    }
    std::string c = "PK\x01\x02";
    Put<uint16_t>(&c, 20);  // made by
    PutZipCommon(&c, static_cast<uint32_t>(crc), static_cast<uint32_t>(size),
                 entry);
    Put<uint16_t>(&c, 0);  // comment
    Put<uint16_t>(&c, 0);  // disk
    Put<uint16_t>(&c, 0);  // internal attributes
    Put<uint32_t>(&c, 0);  // external attributes
    Put<uint32_t>(&c, offset);
    central += c + entry;
    offset += static_cast<uint32_t>(local.size() + entry.size() + size);
    ++entries;
  }
  std::string end = "PK\x05\x06";
  Put<uint16_t>(&end, 0);
  Put<uint16_t>(&end, 0);
  Put<uint16_t>(&end, entries);
  Put<uint16_t>(&end, entries);
  Put<uint32_t>(&end, static_cast<uint32_t>(central.size()));
  Put<uint32_t>(&end, offset);
  Put<uint16_t>(&end, 0);
  zip << central << end;
  zip.close();
  if (!zip)
    return absl::InternalError(absl::StrCat("writing ", out_, " failed"));
  result->files.push_back(out_);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExportResult> ExportRecording(const std::string& recording,
                                             const std::string& out,
                                             ExportFormat format) {
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      RecordReader::Open(recording);
  if (!reader.ok()) return reader.status();
  std::map<uint32_t, v1::RecordingStream> kinds;
  for (const v1::RecordedStream& s : (*reader)->header().streams()) {
    kinds[s.id()] = s.kind();
  }
  std::unique_ptr<Sink> sink;
  switch (format) {
    case ExportFormat::kCsv:
      sink = std::make_unique<CsvSink>(out);
      break;
    case ExportFormat::kNpz:
      sink = std::make_unique<NpzSink>(out);
      break;
    case ExportFormat::kHdf5:
      sink = internal::NewHdf5Sink(out, (*reader)->header());
      break;
    case ExportFormat::kAedat4:
      sink = internal::NewAedat4Sink(out, (*reader)->header());
      break;
  }
  ExportResult result;
  while (std::optional<Record> record = (*reader)->Next()) {
    if (record->type != RecordType::kData) continue;
    for (const Batch& batch : BatchesOf(kinds[record->stream], *record)) {
      if (batch.rows == 0 || !sink->Takes(batch.table)) continue;
      if (absl::Status s = sink->Add(batch); !s.ok()) return s;
      result.rows[batch.table] += batch.rows;
    }
  }
  if (absl::Status s = sink->Finish(&result); !s.ok()) return s;
  if (!(*reader)->problem().ok()) {
    return absl::DataLossError(
        absl::StrCat((*reader)->problem().message(),
                     "; what came before it was exported to ",
                     absl::StrJoin(result.files, ", ")));
  }
  return result;
}

}  // namespace speckd::recording
