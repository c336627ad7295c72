// NumPy files as speckctl reads them (`simulate --dataset`, `--events=x.npy`):
// the bytes as an .npy (every field as a column) and as an .npz archive
// (every member parsed), with the member size limit kept small so the
// fuzzer cannot ask for gigabytes.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "clients/cli/npy.h"
#include "clients/cli/zip_reader.h"

namespace {

void Columns(const speckd::cli::NpyArray& array) {
  for (const speckd::cli::NpyField& f : array.fields) {
    (void)array.Column(f.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto array = speckd::cli::ParseNpy("fuzz.npy", bytes); array.ok()) {
    Columns(*array);
  }
  auto members = speckd::cli::ReadZipMembers("fuzz.npz", bytes, 1 << 20);
  if (members.ok()) {
    for (const speckd::cli::ZipMember& m : *members) {
      if (auto array = speckd::cli::ParseNpy(m.name, m.data); array.ok()) {
        Columns(*array);
      }
    }
  }
  return 0;
}
