// NumPy's .npy and .npz files, read without Python: a 1-D array, plain or
// structured (fields with names, as tonic and most event-camera datasets
// store events), its integer or boolean columns converted to int64.
//
//   absl::StatusOr<NpyArray> a = ReadNpy("sample.npy");
//   absl::StatusOr<std::vector<int64_t>> t = a->Column("t");
//   absl::StatusOr<std::map<std::string, NpyArray>> z = ReadNpz("s.npz");
//
// .npy versions 1.0-3.0, little- and big-endian; .npz archives stored or
// deflated (np.savez, np.savez_compressed), ZIP64 included. Errors name the
// file (and the archive member).
#ifndef SPECKD_CLIENTS_CLI_NPY_H_
#define SPECKD_CLIENTS_CLI_NPY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace speckd::cli {

struct NpyField {
  std::string name;  // "" for a plain array
  char kind = 'i';   // 'i' signed, 'u' unsigned, 'b' bool, 'f' float, 'V' pad
  int size = 0;      // bytes
  int offset = 0;    // within an item
  bool big_endian = false;
};

struct NpyArray {
  std::string name;  // for messages: "x.npy" or "x.npz:events.npy"
  uint64_t length = 0;
  int item_size = 0;
  std::vector<NpyField> fields;  // one unnamed field for a plain array
  std::string data;              // length * item_size bytes

  bool structured() const { return !fields.empty() && !fields[0].name.empty(); }
  const NpyField* Find(absl::string_view field) const;
  // The field (or, with "", a plain array's values) as int64. Floats are
  // refused: event columns are integers.
  absl::StatusOr<std::vector<int64_t>> Column(absl::string_view field) const;
};

// Largest array (or archive member) read: 4 GiB.
inline constexpr uint64_t kMaxNpyBytes = uint64_t{1} << 32;

absl::StatusOr<NpyArray> ParseNpy(absl::string_view name,
                                  absl::string_view bytes);
absl::StatusOr<NpyArray> ReadNpy(const std::string& path);
// Members by their name without ".npy" ("t", "events").
absl::StatusOr<std::map<std::string, NpyArray>> ReadNpz(
    const std::string& path);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_NPY_H_
