#include "clients/cli/hdf5_columns.h"

#include <hdf5.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace speckd::cli {
namespace {

// Closes an HDF5 handle with the matching call.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Hdf5File>> Hdf5File::Open(
    const std::string& path) {
  if (!std::ifstream(path).good()) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // statuses, not stderr
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not an HDF5 file"));
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": HDF5 cannot open it"));
  }
  return std::unique_ptr<Hdf5File>(new Hdf5File(path, id));
}

Hdf5File::~Hdf5File() { H5Fclose(static_cast<hid_t>(id_)); }

bool Hdf5File::Exists(absl::string_view dataset) const {
  // H5Lexists fails on a missing intermediate group: test each prefix.
  std::string prefix;
  for (absl::string_view part :
       absl::StrSplit(dataset, '/', absl::SkipEmpty())) {
    absl::StrAppend(&prefix, "/", part);
    if (H5Lexists(static_cast<hid_t>(id_), prefix.c_str(), H5P_DEFAULT) <= 0) {
      return false;
    }
  }
  return !prefix.empty();
}

absl::StatusOr<std::optional<std::vector<int64_t>>> Hdf5File::ReadColumn(
    absl::string_view dataset) const {
  if (!Exists(dataset)) return std::nullopt;
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": ", dataset, ": ", what));
  };
  const std::string name(dataset);
  Handle set(H5Dopen2(static_cast<hid_t>(id_), name.c_str(), H5P_DEFAULT),
             H5Dclose);
  if (!set.ok()) return std::nullopt;  // a group, not a dataset
  Handle type(H5Dget_type(set.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER) {
    return bad(
        "not integers (event columns are integers, timestamps in "
        "microseconds; h5py's booleans are enums: store 0/1)");
  }
  Handle space(H5Dget_space(set.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != 1) return bad("not 1-D");
  hsize_t length = 0;
  H5Sget_simple_extent_dims(space.get(), &length, nullptr);
  std::vector<int64_t> values(length);
  if (length > 0 && H5Dread(set.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                            H5P_DEFAULT, values.data()) < 0) {
    return bad("HDF5 cannot read it");
  }
  return values;
}

}  // namespace speckd::cli
