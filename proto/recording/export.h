// Exporting a recording's events as tables other tools read: CSV (the
// formats of docs/formats.md, one file per table), NumPy .npz (one array per
// column), HDF5 (a group per table, a dataset per column, readable with
// plain h5py) and AEDAT 4.0 (the DVS event tables, for DV and
// dv-processing). The file is read record by record and written as it goes
// (npz columns go through scratch files beside the output): no step holds
// the whole recording.
//
// Tables: "inputs" (DVS events written: t, x, y, p), "input_spikes" (spikes
// written into cores: t, layer, feature, x, y), "spikes" (output spikes),
// "dvs_monitor" (the DVS layer's events: t, x, y, p), "power" (t, channel,
// value in W), "readout" (t, value) and "readout_pins" (t, index); npz
// arrays are named TABLE_COLUMN ("spikes_t").
//
//   absl::StatusOr<ExportResult> r =
//       ExportRecording("run1.speckrec", "run1.npz", ExportFormat::kNpz);
#ifndef SPECKD_PROTO_RECORDING_EXPORT_H_
#define SPECKD_PROTO_RECORDING_EXPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace speckd::recording {

enum class ExportFormat { kCsv, kNpz, kHdf5, kAedat4 };

struct ExportResult {
  // The files written (CSV: OUT with .TABLE before its extension).
  std::vector<std::string> files;
  // Rows per table.
  std::map<std::string, uint64_t> rows;
};

// DATA_LOSS (after writing what came before) for a damaged recording.
absl::StatusOr<ExportResult> ExportRecording(const std::string& recording,
                                             const std::string& out,
                                             ExportFormat format);

}  // namespace speckd::recording

#endif  // SPECKD_PROTO_RECORDING_EXPORT_H_
