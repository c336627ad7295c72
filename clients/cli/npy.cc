#include "clients/cli/npy.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "clients/cli/zip_reader.h"

namespace speckd::cli {
namespace {

absl::Status Bad(absl::string_view name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", what));
}

// The subset of Python literals an .npy header holds: dicts, tuples, lists,
// strings, integers, True/False.
struct PyValue {
  enum class Kind { kString, kInt, kBool, kSequence, kDict };
  Kind kind = Kind::kInt;
  std::string text;
  int64_t number = 0;
  std::vector<PyValue> items;                         // kSequence
  std::vector<std::pair<std::string, PyValue>> keys;  // kDict
};

class LiteralParser {
 public:
  explicit LiteralParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<PyValue> Parse() {
    absl::StatusOr<PyValue> v = Value(0);
    if (!v.ok()) return v;
    Skip();
    if (pos_ != text_.size()) return Error("unexpected text after the header");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 8;

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("header: ", what, " at character ", pos_));
  }
  void Skip() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  absl::StatusOr<PyValue> Value(int depth) {
    if (depth > kMaxDepth) return Error("nested too deeply");
    Skip();
    if (pos_ >= text_.size()) return Error("unexpected end");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') return String();
    if (c == '(') return Sequence(')', depth);
    if (c == '[') return Sequence(']', depth);
    if (c == '{') return Dict(depth);
    return Word();
  }

  absl::StatusOr<PyValue> String() {
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == absl::string_view::npos) return Error("unterminated string");
    PyValue v;
    v.kind = PyValue::Kind::kString;
    v.text = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return v;
  }

  absl::StatusOr<PyValue> Word() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(text_[pos_]) || text_[pos_] == '-')) {
      ++pos_;
    }
    const absl::string_view word = text_.substr(start, pos_ - start);
    PyValue v;
    v.kind = PyValue::Kind::kBool;
    if (word == "True" || word == "False") {
      v.number = word == "True";
      return v;
    }
    v.kind = PyValue::Kind::kInt;
    // Python 2 headers may write long integers as 123L.
    if (absl::SimpleAtoi(absl::StripSuffix(word, "L"), &v.number)) return v;
    return Error(absl::StrCat("cannot read '", word, "'"));
  }

  absl::StatusOr<PyValue> Sequence(char close, int depth) {
    ++pos_;
    PyValue v;
    v.kind = PyValue::Kind::kSequence;
    while (!Eat(close)) {
      absl::StatusOr<PyValue> item = Value(depth + 1);
      if (!item.ok()) return item;
      v.items.push_back(*std::move(item));
      if (Eat(close)) break;
      if (!Eat(',')) return Error("expected ',' in a sequence");
    }
    return v;
  }

  absl::StatusOr<PyValue> Dict(int depth) {
    ++pos_;
    PyValue v;
    v.kind = PyValue::Kind::kDict;
    while (!Eat('}')) {
      absl::StatusOr<PyValue> key = Value(depth + 1);
      if (!key.ok()) return key;
      if (key->kind != PyValue::Kind::kString || !Eat(':')) {
        return Error("expected 'key': value");
      }
      absl::StatusOr<PyValue> value = Value(depth + 1);
      if (!value.ok()) return value;
      v.keys.emplace_back(key->text, *std::move(value));
      if (Eat('}')) break;
      if (!Eat(',')) return Error("expected ',' in a dict");
    }
    return v;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

const PyValue* Key(const PyValue& dict, absl::string_view key) {
  for (const auto& [k, v] : dict.keys) {
    if (k == key) return &v;
  }
  return nullptr;
}

// "<i8", "|u1", ">f4", "|b1", "|V4" (padding).
absl::StatusOr<NpyField> ParseTypeString(absl::string_view type) {
  NpyField field;
  if (type.size() < 3) return absl::InvalidArgumentError("");
  field.big_endian = type[0] == '>';
  field.kind = type[1];
  int size = 0;
  if (!absl::SimpleAtoi(type.substr(2), &size) || size <= 0 || size > 1024) {
    return absl::InvalidArgumentError("");
  }
  field.size = size;
  return field;
}

absl::Status ParseDescr(absl::string_view name, const PyValue& descr,
                        NpyArray* array) {
  auto bad_type = [&](absl::string_view type) {
    return Bad(name, absl::StrCat("unsupported dtype '", type, "'"));
  };
  if (descr.kind == PyValue::Kind::kString) {
    absl::StatusOr<NpyField> f = ParseTypeString(descr.text);
    if (!f.ok()) return bad_type(descr.text);
    array->fields.push_back(*f);
    array->item_size = f->size;
    return absl::OkStatus();
  }
  if (descr.kind != PyValue::Kind::kSequence) return Bad(name, "bad 'descr'");
  int offset = 0;
  for (const PyValue& item : descr.items) {
    if (item.kind != PyValue::Kind::kSequence || item.items.size() != 2 ||
        item.items[0].kind != PyValue::Kind::kString ||
        item.items[1].kind != PyValue::Kind::kString) {
      return Bad(name,
                 "a structured dtype with nested fields, sub-arrays or "
                 "titles (only flat fields of numbers are read)");
    }
    absl::StatusOr<NpyField> f = ParseTypeString(item.items[1].text);
    if (!f.ok()) return bad_type(item.items[1].text);
    f->name = item.items[0].text;
    f->offset = offset;
    offset += f->size;
    array->fields.push_back(*f);
  }
  if (array->fields.empty()) return Bad(name, "a dtype without fields");
  array->item_size = offset;
  return absl::OkStatus();
}

absl::Status ParseShape(absl::string_view name, const PyValue& shape,
                        NpyArray* array) {
  if (shape.kind != PyValue::Kind::kSequence || shape.items.size() != 1 ||
      shape.items[0].kind != PyValue::Kind::kInt || shape.items[0].number < 0) {
    return Bad(name,
               "not a 1-D array (store events as a structured array with "
               "fields t, x, y, p, or as separate 1-D arrays in an .npz)");
  }
  array->length = static_cast<uint64_t>(shape.items[0].number);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<uint64_t>(size) > kMaxNpyBytes) {
    return Bad(path, "larger than 4 GiB");
  }
  in.seekg(0);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), size)) return Bad(path, "cannot read the file");
  return bytes;
}

uint64_t LittleEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

const NpyField* NpyArray::Find(absl::string_view field) const {
  for (const NpyField& f : fields) {
    if (f.name == field) return &f;
  }
  return nullptr;
}

absl::StatusOr<std::vector<int64_t>> NpyArray::Column(
    absl::string_view field) const {
  const NpyField* f = Find(field);
  const std::string label = field.empty() ? "" : absl::StrCat(" '", field, "'");
  if (f == nullptr) return Bad(name, absl::StrCat("no field", label));
  if (f->kind != 'i' && f->kind != 'u' && f->kind != 'b') {
    return Bad(name, absl::StrCat("field", label, " holds ",
                                  f->kind == 'f' ? "floats" : "non-numbers",
                                  "; event columns must be integers "
                                  "(timestamps in microseconds)"));
  }
  if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
    return Bad(
        name, absl::StrCat("field", label, " has ", f->size, "-byte integers"));
  }
  std::vector<int64_t> values(length);
  for (uint64_t i = 0; i < length; ++i) {
    char raw[8];
    std::memcpy(raw, data.data() + i * item_size + f->offset, f->size);
    if (f->big_endian) std::reverse(raw, raw + f->size);
    uint64_t u = LittleEndian(raw, f->size);
    if (f->kind == 'b') {
      values[i] = u != 0;
    } else if (f->kind == 'i') {
      const int shift = 64 - 8 * f->size;  // sign-extend
      values[i] = static_cast<int64_t>(u << shift) >> shift;
    } else if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Bad(name, absl::StrCat("item ", i, ": value too large"));
    } else {
      values[i] = static_cast<int64_t>(u);
    }
  }
  return values;
}

absl::StatusOr<NpyArray> ParseNpy(absl::string_view name,
                                  absl::string_view bytes) {
  constexpr absl::string_view kMagic("\x93NUMPY", 6);
  if (bytes.size() < 10 || bytes.substr(0, 6) != kMagic) {
    return Bad(name, "not a NumPy .npy file (no \\x93NUMPY magic)");
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  if (major < 1 || major > 3) {
    return Bad(name, absl::StrCat(".npy format version ", major,
                                  " (1 to 3 are read)"));
  }
  const int length_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + static_cast<size_t>(length_bytes)) {
    return Bad(name, "header cut off");
  }
  const uint64_t header_len = LittleEndian(bytes.data() + 8, length_bytes);
  const uint64_t data_start = 8 + length_bytes + header_len;
  if (data_start > bytes.size()) return Bad(name, "header cut off");
  absl::StatusOr<PyValue> header =
      LiteralParser(bytes.substr(8 + length_bytes, header_len)).Parse();
  if (!header.ok()) return Bad(name, header.status().message());
  if (header->kind != PyValue::Kind::kDict) return Bad(name, "bad header");
  const PyValue* descr = Key(*header, "descr");
  const PyValue* shape = Key(*header, "shape");
  if (descr == nullptr || shape == nullptr) {
    return Bad(name, "header without 'descr' or 'shape'");
  }
  NpyArray array;
  array.name = std::string(name);
  if (absl::Status s = ParseDescr(name, *descr, &array); !s.ok()) return s;
  if (absl::Status s = ParseShape(name, *shape, &array); !s.ok()) return s;
  const uint64_t need = array.length * static_cast<uint64_t>(array.item_size);
  if (array.item_size > 0 && array.length > kMaxNpyBytes / array.item_size) {
    return Bad(name, "larger than 4 GiB");
  }
  if (bytes.size() - data_start < need) {
    return Bad(
        name, absl::StrCat("cut off: ", array.length, " items need ", need,
                           " bytes, the file has ", bytes.size() - data_start));
  }
  array.data = std::string(bytes.substr(data_start, need));
  return array;
}

absl::StatusOr<NpyArray> ReadNpy(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseNpy(path, *bytes);
}

absl::StatusOr<std::map<std::string, NpyArray>> ReadNpz(
    const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::vector<ZipMember>> members =
      ReadZipMembers(path, *bytes, kMaxNpyBytes);
  if (!members.ok()) return members.status();
  std::map<std::string, NpyArray> arrays;
  for (const ZipMember& m : *members) {
    if (!absl::EndsWith(m.name, ".npy")) continue;
    absl::StatusOr<NpyArray> a =
        ParseNpy(absl::StrCat(path, ":", m.name), m.data);
    if (!a.ok()) return a.status();
    arrays.emplace(std::string(absl::StripSuffix(m.name, ".npy")),
                   *std::move(a));
  }
  return arrays;
}

}  // namespace speckd::cli
