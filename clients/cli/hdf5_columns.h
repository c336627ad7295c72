// 1-D integer datasets of an HDF5 file, read as int64 (HDF5 converts from
// whatever integer type the file stores).
#ifndef SPECKD_CLIENTS_CLI_HDF5_COLUMNS_H_
#define SPECKD_CLIENTS_CLI_HDF5_COLUMNS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace speckd::cli {

class Hdf5File {
 public:
  // NOT_FOUND if it cannot be opened, INVALID_ARGUMENT if it is not HDF5.
  static absl::StatusOr<std::unique_ptr<Hdf5File>> Open(
      const std::string& path);
  ~Hdf5File();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  // The dataset at `dataset` ("/events/t"); nullopt if there is none.
  // INVALID_ARGUMENT (naming file and dataset) unless it is 1-D integers.
  absl::StatusOr<std::optional<std::vector<int64_t>>> ReadColumn(
      absl::string_view dataset) const;

 private:
  Hdf5File(std::string path, int64_t id) : path_(std::move(path)), id_(id) {}
  bool Exists(absl::string_view dataset) const;

  std::string path_;
  int64_t id_;  // hid_t
};

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_HDF5_COLUMNS_H_
