// HDF5 export: what plain h5py reads. A group per table ("spikes"), in it a
// 1-D dataset per column ("t", "x", ...), chunked (64 Ki rows) and
// compressed (zlib level 1), grown as records come; the root carries the
// configuration (JSON, as speckctl's configuration files) and the
// recording's device, speckd version and wall-clock anchor as attributes.
#include <google/protobuf/util/json_util.h>
#include <hdf5.h>

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/recording/export_tables.h"

namespace speckd::recording::internal {
namespace {

constexpr hsize_t kChunkRows = 1 << 16;

hid_t MemoryType(const ColumnSpec& spec) {
  if (spec.floating) return H5T_NATIVE_DOUBLE;
  switch (spec.width) {
    case 1:
      return H5T_NATIVE_UINT8;
    case 2:
      return H5T_NATIVE_UINT16;
    case 4:
      return H5T_NATIVE_UINT32;
    default:
      return H5T_NATIVE_UINT64;
  }
}

hid_t FileType(const ColumnSpec& spec) {
  if (spec.floating) return H5T_IEEE_F64LE;
  switch (spec.width) {
    case 1:
      return H5T_STD_U8LE;
    case 2:
      return H5T_STD_U16LE;
    case 4:
      return H5T_STD_U32LE;
    default:
      return H5T_STD_U64LE;
  }
}

class Hdf5Sink final : public Sink {
 public:
  Hdf5Sink(const std::string& out, const speckd::v1::RecordingHeader& header)
      : out_(out) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // statuses, not stderr
    file_ = H5Fcreate(out.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file_ < 0) return;
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(header.configuration(),
                                                      &json, options);
    StringAttribute("configuration", json);
    StringAttribute("device_id", header.device_id());
    StringAttribute("speckd_version", header.speckd_version());
    const int64_t anchor = header.epoch_start_unix_us();
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute = H5Acreate2(file_, "epoch_start_unix_us", H5T_STD_I64LE,
                                 space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, H5T_NATIVE_INT64, &anchor);
    H5Aclose(attribute);
    H5Sclose(space);
  }

  ~Hdf5Sink() override { Close(); }

  absl::Status Add(const Batch& batch) override {
    if (file_ < 0) {
      return absl::PermissionDeniedError(absl::StrCat("cannot create ", out_));
    }
    const std::vector<ColumnSpec>& specs = ColumnsOf(batch.table);
    for (size_t c = 0; c < specs.size(); ++c) {
      Dataset* d = DatasetFor(batch.table, specs[c]);
      if (d == nullptr || !Append(d, batch.columns[c].data(), batch.rows)) {
        return absl::InternalError(absl::StrCat("writing ", out_, ":/",
                                                batch.table, "/", specs[c].name,
                                                " failed (is the disk full?)"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Finish(ExportResult* result) override {
    if (file_ < 0) {
      return absl::PermissionDeniedError(absl::StrCat("cannot create ", out_));
    }
    if (!Close()) {
      return absl::InternalError(absl::StrCat("closing ", out_, " failed"));
    }
    result->files.push_back(out_);
    return absl::OkStatus();
  }

 private:
  struct Dataset {
    hid_t id = -1;
    const ColumnSpec* spec = nullptr;
    hsize_t rows = 0;
  };

  void StringAttribute(const char* name, const std::string& value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, value.empty() ? 1 : value.size());
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute =
        H5Acreate2(file_, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, type, value.empty() ? "" : value.data());
    H5Aclose(attribute);
    H5Sclose(space);
    H5Tclose(type);
  }

  Dataset* DatasetFor(const std::string& table, const ColumnSpec& spec) {
    const std::string key = absl::StrCat(table, "/", spec.name);
    if (auto it = datasets_.find(key); it != datasets_.end()) {
      return &it->second;
    }
    hid_t& group = groups_[table];
    if (group <= 0) {
      group = H5Gcreate2(file_, table.c_str(), H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
      if (group < 0) return nullptr;
    }
    const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(1, &zero, &unlimited);
    hid_t properties = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(properties, 1, &kChunkRows);
    H5Pset_deflate(properties, 1);
    Dataset d;
    d.spec = &spec;
    d.id = H5Dcreate2(group, spec.name, FileType(spec), space, H5P_DEFAULT,
                      properties, H5P_DEFAULT);
    H5Pclose(properties);
    H5Sclose(space);
    if (d.id < 0) return nullptr;
    return &datasets_.emplace(key, d).first->second;
  }

  static bool Append(Dataset* d, const void* data, size_t rows) {
    const hsize_t start = d->rows, count = rows, size = d->rows + rows;
    if (H5Dset_extent(d->id, &size) < 0) return false;
    hid_t file_space = H5Dget_space(d->id);
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &count,
                        nullptr);
    hid_t memory_space = H5Screate_simple(1, &count, nullptr);
    const herr_t written = H5Dwrite(d->id, MemoryType(*d->spec), memory_space,
                                    file_space, H5P_DEFAULT, data);
    H5Sclose(memory_space);
    H5Sclose(file_space);
    d->rows = size;
    return written >= 0;
  }

  bool Close() {
    if (file_ < 0) return true;
    for (auto& [key, d] : datasets_) H5Dclose(d.id);
    for (auto& [table, g] : groups_) H5Gclose(g);
    datasets_.clear();
    groups_.clear();
    const bool ok = H5Fclose(file_) >= 0;
    file_ = -1;
    return ok;
  }

  const std::string out_;
  hid_t file_ = -1;
  std::map<std::string, hid_t> groups_;
  std::map<std::string, Dataset> datasets_;
};

}  // namespace

std::unique_ptr<Sink> NewHdf5Sink(const std::string& out,
                                  const speckd::v1::RecordingHeader& header) {
  return std::make_unique<Hdf5Sink>(out, header);
}

}  // namespace speckd::recording::internal
