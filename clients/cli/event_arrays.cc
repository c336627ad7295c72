#include "clients/cli/event_arrays.h"

#include <array>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/hdf5_columns.h"
#include "clients/cli/npy.h"

namespace speckd::cli {
namespace {

constexpr int kDvsSize = 128;

// Each column's accepted names, the first the canonical one.
const std::array<std::vector<absl::string_view>, 4>& ColumnNames() {
  static const auto* names = new std::array<std::vector<absl::string_view>, 4>{
      {{"t", "timestamp", "timestamp_us", "ts"},
       {"x"},
       {"y"},
       {"p", "polarity"}}};
  return *names;
}

std::array<std::vector<int64_t>*, 4> Slots(EventColumns& c) {
  return {&c.t, &c.x, &c.y, &c.p};
}

absl::Status Missing(absl::string_view name, absl::string_view where) {
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": no event columns t, x, y, p ", where));
}

// Fills `columns` from whatever `get` finds under each column's names.
template <typename Get>
absl::Status FillColumns(Get get, EventColumns* columns) {
  std::array<std::vector<int64_t>*, 4> slots = Slots(*columns);
  for (size_t i = 0; i < slots.size(); ++i) {
    bool found = false;
    for (absl::string_view name : ColumnNames()[i]) {
      absl::StatusOr<std::optional<std::vector<int64_t>>> v = get(name);
      if (!v.ok()) return v.status();
      if (v->has_value()) {
        *slots[i] = **std::move(v);
        found = true;
        break;
      }
    }
    if (!found) return absl::NotFoundError(ColumnNames()[i][0]);
  }
  return absl::OkStatus();
}

absl::StatusOr<EventFile> FromStructured(const NpyArray& array) {
  EventColumns columns;
  absl::Status s = FillColumns(
      [&](absl::string_view field)
          -> absl::StatusOr<std::optional<std::vector<int64_t>>> {
        if (array.Find(field) == nullptr) return std::nullopt;
        return array.Column(field);
      },
      &columns);
  if (absl::IsNotFound(s)) {
    std::vector<std::string> fields;
    for (const NpyField& f : array.fields) fields.push_back(f.name);
    return Missing(
        array.name,
        absl::StrCat("(its fields: ", absl::StrJoin(fields, ", "), ")"));
  }
  if (!s.ok()) return s;
  return DvsEventsFromColumns(array.name, columns);
}

// Members named PREFIX + column ("t" or "inputs_t").
absl::Status FromMembers(const std::map<std::string, NpyArray>& arrays,
                         absl::string_view prefix, EventColumns* columns) {
  return FillColumns(
      [&](absl::string_view field)
          -> absl::StatusOr<std::optional<std::vector<int64_t>>> {
        auto it = arrays.find(absl::StrCat(prefix, field));
        if (it == arrays.end()) return std::nullopt;
        if (it->second.structured()) return std::nullopt;
        return it->second.Column("");
      },
      columns);
}

}  // namespace

absl::StatusOr<EventFile> DvsEventsFromColumns(absl::string_view name,
                                               const EventColumns& c) {
  const size_t n = c.t.size();
  if (c.x.size() != n || c.y.size() != n || c.p.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": columns of different lengths (t ", n, ", x ",
                     c.x.size(), ", y ", c.y.size(), ", p ", c.p.size(), ")"));
  }
  auto bad = [&](size_t i, absl::string_view field, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": event ", i, ": ", field, ": ", what));
  };
  EventFile file;
  file.format = EventFormat::kDvsEvents;
  speckd::v1::DvsEventBatch* dvs = file.events.mutable_dvs_events();
  dvs->mutable_timestamp_us()->Reserve(static_cast<int>(n));
  dvs->mutable_x()->Reserve(static_cast<int>(n));
  dvs->mutable_y()->Reserve(static_cast<int>(n));
  dvs->mutable_p()->Reserve(static_cast<int>(n));
  int64_t previous = 0;
  for (size_t i = 0; i < n; ++i) {
    if (c.t[i] < previous) {
      return bad(
          i, "t",
          absl::StrCat(c.t[i], " goes backwards (after ", previous, ")"));
    }
    if (c.t[i] < 0) return bad(i, "t", absl::StrCat(c.t[i], " is negative"));
    previous = c.t[i];
    for (const auto& [field, v] : {std::pair{"x", c.x[i]}, {"y", c.y[i]}}) {
      if (v < 0 || v >= kDvsSize) {
        return bad(i, field,
                   absl::StrCat(v, " is outside the DVS array (0..127)"));
      }
    }
    if (c.p[i] < -1 || c.p[i] > 1) {
      return bad(i, "p",
                 absl::StrCat(c.p[i],
                              " is not a polarity (1 ON; 0 "
                              "or -1 OFF)"));
    }
    dvs->add_timestamp_us(static_cast<uint64_t>(c.t[i]));
    dvs->add_x(static_cast<uint32_t>(c.x[i]));
    dvs->add_y(static_cast<uint32_t>(c.y[i]));
    dvs->add_p(c.p[i] == 1);
  }
  return file;
}

absl::StatusOr<EventFile> ReadNpyEvents(const std::string& path) {
  absl::StatusOr<NpyArray> array = ReadNpy(path);
  if (!array.ok()) return array.status();
  if (!array->structured()) {
    return Missing(path,
                   "(a plain array: store a structured array, e.g. "
                   "dtype [('t','<i8'),('x','<i2'),('y','<i2'),"
                   "('p','<i1')])");
  }
  return FromStructured(*array);
}

absl::StatusOr<EventFile> ReadNpzEvents(const std::string& path) {
  absl::StatusOr<std::map<std::string, NpyArray>> arrays = ReadNpz(path);
  if (!arrays.ok()) return arrays.status();
  for (absl::string_view prefix : {"", "inputs_"}) {
    EventColumns columns;
    absl::Status s = FromMembers(*arrays, prefix, &columns);
    if (s.ok()) return DvsEventsFromColumns(path, columns);
    if (!absl::IsNotFound(s)) return s;
  }
  for (const auto& [member, array] : *arrays) {
    if (array.structured()) return FromStructured(array);
  }
  std::vector<std::string> names;
  for (const auto& [member, array] : *arrays) names.push_back(member);
  return Missing(
      path, absl::StrCat("(its arrays: ", absl::StrJoin(names, ", "), ")"));
}

absl::StatusOr<EventFile> ReadHdf5Events(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Hdf5File>> file = Hdf5File::Open(path);
  if (!file.ok()) return file.status();
  for (absl::string_view group : {"/", "/events/", "/inputs/"}) {
    EventColumns columns;
    absl::Status s = FillColumns(
        [&](absl::string_view field) {
          return (*file)->ReadColumn(absl::StrCat(group, field));
        },
        &columns);
    if (s.ok()) return DvsEventsFromColumns(path, columns);
    if (!absl::IsNotFound(s)) return s;
  }
  return Missing(path,
                 "(looked for datasets t, x, y, p in /, /events and "
                 "/inputs)");
}

}  // namespace speckd::cli
