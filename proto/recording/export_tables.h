// The tables a recording exports to (export.h lists them) and what every
// output format implements: internal to the export library.
#ifndef SPECKD_PROTO_RECORDING_EXPORT_TABLES_H_
#define SPECKD_PROTO_RECORDING_EXPORT_TABLES_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/recording/export.h"
#include "proto/speckd/v1/recording.pb.h"

namespace speckd::recording::internal {

struct ColumnSpec {
  const char* name;
  const char* npy_descr;  // numpy's dtype string
  size_t width;           // bytes
  bool floating = false;
};

inline const std::vector<ColumnSpec> kDvsColumns = {
    {"t", "<u8", 8}, {"x", "|u1", 1}, {"y", "|u1", 1}, {"p", "|u1", 1}};
inline const std::vector<ColumnSpec> kSpikeColumns = {{"t", "<u8", 8},
                                                      {"layer", "|u1", 1},
                                                      {"feature", "<u2", 2},
                                                      {"x", "|u1", 1},
                                                      {"y", "|u1", 1}};
inline const std::vector<ColumnSpec> kReadoutColumns = {{"t", "<u8", 8},
                                                        {"value", "<u4", 4}};
inline const std::vector<ColumnSpec> kPinColumns = {{"t", "<u8", 8},
                                                    {"index", "<u4", 4}};
inline const std::vector<ColumnSpec> kPowerColumns = {
    {"t", "<u8", 8}, {"channel", "|u1", 1}, {"value", "<f8", 8, true}};

inline const std::vector<ColumnSpec>& ColumnsOf(const std::string& table) {
  if (table == "inputs" || table == "dvs_monitor") return kDvsColumns;
  if (table == "power") return kPowerColumns;
  if (table == "readout") return kReadoutColumns;
  if (table == "readout_pins") return kPinColumns;
  return kSpikeColumns;
}

// Rows of one table: each column's raw little-endian bytes.
struct Batch {
  std::string table;
  std::vector<std::string> columns;
  size_t rows = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Whether the format holds `table` (others are not counted).
  virtual bool Takes(const std::string& table) const { return true; }
  virtual absl::Status Add(const Batch& batch) = 0;
  virtual absl::Status Finish(ExportResult* result) = 0;
};

// HDF5: a group per table, a chunked, compressed dataset per column, the
// configuration as JSON in the root's "configuration" attribute
// (export_hdf5.cc).
std::unique_ptr<Sink> NewHdf5Sink(const std::string& out,
                                  const speckd::v1::RecordingHeader& header);

// AEDAT 4.0: the DVS event tables as event packets (export_aedat4.cc).
std::unique_ptr<Sink> NewAedat4Sink(const std::string& out,
                                    const speckd::v1::RecordingHeader& header);

}  // namespace speckd::recording::internal

#endif  // SPECKD_PROTO_RECORDING_EXPORT_TABLES_H_
