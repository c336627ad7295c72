#include "proto/codec/events_codec.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "driver/chip/input_check.h"

namespace speckd::codec {
namespace {

namespace v1 = ::speckd::v1;

absl::Status ColumnError(absl::string_view batch, absl::string_view field,
                         int size, int n) {
  return absl::InvalidArgumentError(absl::StrCat(
      batch, ".", field, ": ", size, " values, but timestamp_us has ", n,
      " (every column of a batch has one value per event)"));
}

absl::Status Bad(absl::string_view column, int index,
                 const chip::InputProblem& problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      column, "[", index, "].", problem.field, ": ", problem.message));
}

// The columns of one message's events, from protobuf's repeated fields or
// from raw little-endian bytes; the checks, the conversion and the merge
// below read events through these (one pass, no copy of either form).
class ProtoDvs {
 public:
  explicit ProtoDvs(const v1::DvsEventBatch& b) : b_(b) {}
  absl::Status CheckLengths() const {
    const int n = b_.timestamp_us_size();
    for (auto [field, size] : {std::pair<const char*, int>{"x", b_.x_size()},
                               {"y", b_.y_size()},
                               {"p", b_.p_size()}}) {
      if (size != n) return ColumnError("dvs_events", field, size, n);
    }
    return absl::OkStatus();
  }
  size_t size() const { return static_cast<size_t>(b_.timestamp_us_size()); }
  uint64_t t(size_t i) const { return b_.timestamp_us(static_cast<int>(i)); }
  uint32_t x(size_t i) const { return b_.x(static_cast<int>(i)); }
  uint32_t y(size_t i) const { return b_.y(static_cast<int>(i)); }
  bool p(size_t i) const { return b_.p(static_cast<int>(i)); }

 private:
  const v1::DvsEventBatch& b_;
};

class ProtoSpikes {
 public:
  explicit ProtoSpikes(const v1::SpikeBatch& b) : b_(b) {}
  absl::Status CheckLengths() const {
    const int n = b_.timestamp_us_size();
    for (auto [field, size] :
         {std::pair<const char*, int>{"layer", b_.layer_size()},
          {"feature", b_.feature_size()},
          {"x", b_.x_size()},
          {"y", b_.y_size()}}) {
      if (size != n) return ColumnError("spikes", field, size, n);
    }
    return absl::OkStatus();
  }
  size_t size() const { return static_cast<size_t>(b_.timestamp_us_size()); }
  uint64_t t(size_t i) const { return b_.timestamp_us().data()[i]; }
  uint32_t layer(size_t i) const { return b_.layer().data()[i]; }
  uint32_t feature(size_t i) const { return b_.feature().data()[i]; }
  uint32_t x(size_t i) const { return b_.x().data()[i]; }
  uint32_t y(size_t i) const { return b_.y().data()[i]; }

 private:
  const v1::SpikeBatch& b_;
};

// Element `i` of a raw little-endian column of T.
template <typename T>
T At(const std::string& column, size_t i) {
  T value;
  std::memcpy(&value, column.data() + i * sizeof(T), sizeof(T));
  return value;
}

// INVALID_ARGUMENT unless every column holds `n` values of its width.
absl::Status CheckColumns(
    absl::string_view message,
    std::initializer_list<
        std::pair<absl::string_view, std::pair<size_t, size_t>>>
        columns) {
  const size_t n =
      columns.begin()->second.first / columns.begin()->second.second;
  for (const auto& [name, size] : columns) {
    if (size.first % size.second != 0 || size.first / size.second != n) {
      return absl::InvalidArgumentError(
          absl::StrCat(message, ".", name, ": ", size.first, " bytes, but ", n,
                       " values of ", size.second,
                       " bytes each were expected (the "
                       "columns must hold the same number of values)"));
    }
  }
  return absl::OkStatus();
}

class RawDvs {
 public:
  explicit RawDvs(const v1::DvsEventColumns& c) : c_(c) {}
  absl::Status CheckLengths() const {
    return CheckColumns("dvs_columns",
                        {{"timestamp_us", {c_.timestamp_us().size(), 8}},
                         {"x", {c_.x().size(), 1}},
                         {"y", {c_.y().size(), 1}},
                         {"p", {c_.p().size(), 1}}});
  }
  size_t size() const { return c_.x().size(); }
  uint64_t t(size_t i) const { return At<uint64_t>(c_.timestamp_us(), i); }
  uint32_t x(size_t i) const { return At<uint8_t>(c_.x(), i); }
  uint32_t y(size_t i) const { return At<uint8_t>(c_.y(), i); }
  bool p(size_t i) const { return At<uint8_t>(c_.p(), i) != 0; }

 private:
  const v1::DvsEventColumns& c_;
};

class RawSpikes {
 public:
  explicit RawSpikes(const v1::SpikeColumns& c) : c_(c) {}
  absl::Status CheckLengths() const {
    return CheckColumns("spike_columns",
                        {{"timestamp_us", {c_.timestamp_us().size(), 8}},
                         {"layer", {c_.layer().size(), 1}},
                         {"feature", {c_.feature().size(), 2}},
                         {"x", {c_.x().size(), 1}},
                         {"y", {c_.y().size(), 1}}});
  }
  size_t size() const { return c_.layer().size(); }
  uint64_t t(size_t i) const { return At<uint64_t>(c_.timestamp_us(), i); }
  uint32_t layer(size_t i) const { return At<uint8_t>(c_.layer(), i); }
  uint32_t feature(size_t i) const { return At<uint16_t>(c_.feature(), i); }
  uint32_t x(size_t i) const { return At<uint8_t>(c_.x(), i); }
  uint32_t y(size_t i) const { return At<uint8_t>(c_.y(), i); }

 private:
  const v1::SpikeColumns& c_;
};

// Time order and pixel range of every DVS event (named dvs_events[i]).
template <typename Dvs>
absl::Status CheckDvs(const Dvs& dvs) {
  uint64_t previous = 0;
  for (size_t i = 0; i < dvs.size(); ++i) {
    const uint64_t t = dvs.t(i);
    if (t < previous) {
      return Bad("dvs_events", static_cast<int>(i),
                 chip::OrderProblem(t, previous));
    }
    if (!chip::InputCheck::DvsOk(dvs.x(i), dvs.y(i))) {
      return Bad("dvs_events", static_cast<int>(i),
                 chip::InputCheck::DvsProblem(dvs.x(i), dvs.y(i)));
    }
    previous = t;
  }
  return absl::OkStatus();
}

// Checks every spike and appends it to `out` as an input (one pass over the
// columns: this is the ingest hot path).
template <typename Spikes>
absl::Status ConvertSpikes(const Spikes& spikes,
                           const chip::SpeckConfig& config,
                           std::vector<chip::InputEvent>* out) {
  const size_t n = spikes.size();
  const chip::InputCheck check(&config);
  const size_t first = out->size();
  out->resize(first + n);
  chip::InputEvent* e = out->data() + first;
  uint64_t previous = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t t = spikes.t(i);
    const uint32_t layer = spikes.layer(i);
    const uint32_t feature = spikes.feature(i);
    const uint32_t x = spikes.x(i);
    const uint32_t y = spikes.y(i);
    if (t < previous || !check.SpikeOk(layer, feature, x, y)) {
      out->resize(first);
      chip::InputProblem problem = chip::OrderProblem(t, previous);
      if (problem.ok()) problem = check.SpikeProblem(layer, feature, x, y);
      return Bad("spikes", static_cast<int>(i), problem);
    }
    previous = t;
    e[i].timestamp_us = t;
    e[i].feature = static_cast<uint16_t>(feature);
    e[i].layer = static_cast<uint8_t>(layer);
    e[i].x = static_cast<uint8_t>(x);
    e[i].y = static_cast<uint8_t>(y);
    e[i].p = false;
    e[i].kind = chip::InputEvent::Kind::kSpike;
  }
  return absl::OkStatus();
}

// Converts the spikes (checking them) and merges them with the DVS events
// (checked already) by timestamp, DVS events first on ties.
template <typename Dvs, typename Spikes>
absl::StatusOr<std::vector<chip::InputEvent>> Merge(
    const Dvs& dvs, const Spikes& spikes, const chip::SpeckConfig& config) {
  std::vector<chip::InputEvent> out;
  const size_t nd = dvs.size();
  if (nd == 0) {
    // Spikes only: converted in place, already in order.
    if (absl::Status s = ConvertSpikes(spikes, config, &out); !s.ok()) return s;
    return out;
  }
  std::vector<chip::InputEvent> converted;
  if (absl::Status s = ConvertSpikes(spikes, config, &converted); !s.ok()) {
    return s;
  }
  out.reserve(nd + converted.size());
  size_t s = 0;
  for (size_t d = 0; d < nd; ++d) {
    const uint64_t t = dvs.t(d);
    while (s < converted.size() && converted[s].timestamp_us < t) {
      out.push_back(converted[s++]);
    }
    out.push_back(
        chip::InputEvent::FromDvs({t, static_cast<uint8_t>(dvs.x(d)),
                                   static_cast<uint8_t>(dvs.y(d)), dvs.p(d)}));
  }
  out.insert(out.end(), converted.begin() + static_cast<ptrdiff_t>(s),
             converted.end());
  return out;
}

}  // namespace

void AppendEvents(const chip::InputEvent* events, size_t count,
                  v1::WriteEventsRequest* request) {
  for (size_t i = 0; i < count; ++i) {
    const chip::InputEvent& e = events[i];
    if (e.kind == chip::InputEvent::Kind::kDvsEvent) {
      v1::DvsEventBatch* b = request->mutable_dvs_events();
      b->add_timestamp_us(e.timestamp_us);
      b->add_x(e.x);
      b->add_y(e.y);
      b->add_p(e.p);
    } else {
      v1::SpikeBatch* b = request->mutable_spikes();
      b->add_timestamp_us(e.timestamp_us);
      b->add_layer(e.layer);
      b->add_feature(e.feature);
      b->add_x(e.x);
      b->add_y(e.y);
    }
  }
}

namespace {

// Appends `n` values of type T to `column`, little-endian (as x86 holds
// them), from `value(i)` for the events of one kind.
template <typename T, typename Value>
void PutColumn(size_t n, Value value, std::string* column) {
  const size_t at = column->size();
  column->resize(at + n * sizeof(T));
  char* p = column->data() + at;
  for (size_t i = 0; i < n; ++i, p += sizeof(T)) {
    const T v = static_cast<T>(value(i));
    std::memcpy(p, &v, sizeof(T));
  }
}

}  // namespace

void AppendColumns(absl::Span<const chip::InputEvent> events,
                   v1::DvsEventColumns* dvs, v1::SpikeColumns* spikes) {
  std::vector<const chip::InputEvent*> d, s;
  for (const chip::InputEvent& e : events) {
    (e.kind == chip::InputEvent::Kind::kDvsEvent ? d : s).push_back(&e);
  }
  PutColumn<uint64_t>(
      d.size(), [&](size_t i) { return d[i]->timestamp_us; },
      dvs->mutable_timestamp_us());
  PutColumn<uint8_t>(
      d.size(), [&](size_t i) { return d[i]->x; }, dvs->mutable_x());
  PutColumn<uint8_t>(
      d.size(), [&](size_t i) { return d[i]->y; }, dvs->mutable_y());
  PutColumn<uint8_t>(
      d.size(), [&](size_t i) { return d[i]->p ? 1 : 0; }, dvs->mutable_p());
  PutColumn<uint64_t>(
      s.size(), [&](size_t i) { return s[i]->timestamp_us; },
      spikes->mutable_timestamp_us());
  PutColumn<uint8_t>(
      s.size(), [&](size_t i) { return s[i]->layer; }, spikes->mutable_layer());
  PutColumn<uint16_t>(
      s.size(), [&](size_t i) { return s[i]->feature; },
      spikes->mutable_feature());
  PutColumn<uint8_t>(
      s.size(), [&](size_t i) { return s[i]->x; }, spikes->mutable_x());
  PutColumn<uint8_t>(
      s.size(), [&](size_t i) { return s[i]->y; }, spikes->mutable_y());
}

absl::StatusOr<std::vector<chip::InputEvent>> InputsFromProto(
    const v1::WriteEventsRequest& request, const chip::SpeckConfig& config) {
  if (!request.has_dvs_columns() && !request.has_spike_columns()) {
    const ProtoDvs dvs(request.dvs_events());
    if (absl::Status s = dvs.CheckLengths(); !s.ok()) return s;
    const ProtoSpikes spikes(request.spikes());
    // The spikes' lengths after the DVS events' content, as before.
    if (absl::Status s = CheckDvs(dvs); !s.ok()) return s;
    if (absl::Status s = spikes.CheckLengths(); !s.ok()) return s;
    return Merge(dvs, spikes, config);
  }
  if (request.dvs_events().timestamp_us_size() > 0 ||
      request.spikes().timestamp_us_size() > 0) {
    return absl::InvalidArgumentError(
        "a message carries events as batches (dvs_events, spikes) or as "
        "columns (dvs_columns, spike_columns), not both");
  }
  const RawDvs dvs(request.dvs_columns());
  const RawSpikes spikes(request.spike_columns());
  if (absl::Status s = dvs.CheckLengths(); !s.ok()) return s;
  if (absl::Status s = spikes.CheckLengths(); !s.ok()) return s;
  if (absl::Status s = CheckDvs(dvs); !s.ok()) return s;
  return Merge(dvs, spikes, config);
}

// Columns reserved once: this is the output hot path.
void AppendSpikes(absl::Span<const chip::Spike> spikes, v1::SpikeBatch* batch) {
  const int n = batch->timestamp_us_size() + static_cast<int>(spikes.size());
  batch->mutable_timestamp_us()->Reserve(n);
  batch->mutable_layer()->Reserve(n);
  batch->mutable_feature()->Reserve(n);
  batch->mutable_x()->Reserve(n);
  batch->mutable_y()->Reserve(n);
  for (const chip::Spike& s : spikes) {
    batch->mutable_timestamp_us()->AddAlreadyReserved(s.timestamp_us);
    batch->mutable_layer()->AddAlreadyReserved(s.layer);
    batch->mutable_feature()->AddAlreadyReserved(s.feature);
    batch->mutable_x()->AddAlreadyReserved(s.x);
    batch->mutable_y()->AddAlreadyReserved(s.y);
  }
}

}  // namespace speckd::codec
