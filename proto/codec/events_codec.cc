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

absl::Status CheckDvs(const v1::DvsEventBatch& dvs) {
  const int n = dvs.timestamp_us_size();
  for (auto [field, size] : {std::pair<const char*, int>{"x", dvs.x_size()},
                             {"y", dvs.y_size()},
                             {"p", dvs.p_size()}}) {
    if (size != n) return ColumnError("dvs_events", field, size, n);
  }
  uint64_t previous = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t t = dvs.timestamp_us(i);
    if (t < previous) {
      return Bad("dvs_events", i, chip::OrderProblem(t, previous));
    }
    if (!chip::InputCheck::DvsOk(dvs.x(i), dvs.y(i))) {
      return Bad("dvs_events", i,
                 chip::InputCheck::DvsProblem(dvs.x(i), dvs.y(i)));
    }
    previous = t;
  }
  return absl::OkStatus();
}

// Checks every spike and appends it to `out` as an input (one pass over the
// raw columns: this is the ingest hot path).
absl::Status ConvertSpikes(const v1::SpikeBatch& spikes,
                           const chip::SpeckConfig& config,
                           std::vector<chip::InputEvent>* out) {
  const int n = spikes.timestamp_us_size();
  for (auto [field, size] :
       {std::pair<const char*, int>{"layer", spikes.layer_size()},
        {"feature", spikes.feature_size()},
        {"x", spikes.x_size()},
        {"y", spikes.y_size()}}) {
    if (size != n) return ColumnError("spikes", field, size, n);
  }
  const chip::InputCheck check(&config);
  const uint64_t* t = spikes.timestamp_us().data();
  const uint32_t* layer = spikes.layer().data();
  const uint32_t* feature = spikes.feature().data();
  const uint32_t* x = spikes.x().data();
  const uint32_t* y = spikes.y().data();
  const size_t first = out->size();
  out->resize(first + static_cast<size_t>(n));
  chip::InputEvent* e = out->data() + first;
  uint64_t previous = 0;
  for (int i = 0; i < n; ++i) {
    if (t[i] < previous || !check.SpikeOk(layer[i], feature[i], x[i], y[i])) {
      out->resize(first);
      chip::InputProblem problem = chip::OrderProblem(t[i], previous);
      if (problem.ok()) {
        problem = check.SpikeProblem(layer[i], feature[i], x[i], y[i]);
      }
      return Bad("spikes", i, problem);
    }
    previous = t[i];
    e[i].timestamp_us = t[i];
    e[i].feature = static_cast<uint16_t>(feature[i]);
    e[i].layer = static_cast<uint8_t>(layer[i]);
    e[i].x = static_cast<uint8_t>(x[i]);
    e[i].y = static_cast<uint8_t>(y[i]);
    e[i].p = false;
    e[i].kind = chip::InputEvent::Kind::kSpike;
  }
  return absl::OkStatus();
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

// The values of a raw little-endian column of T.
template <typename T>
std::vector<T> Column(const std::string& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty())
    std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
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

absl::StatusOr<v1::DvsEventBatch> DvsFromColumns(const v1::DvsEventColumns& c) {
  if (absl::Status s = CheckColumns(
          "dvs_columns", {{"timestamp_us", {c.timestamp_us().size(), 8}},
                          {"x", {c.x().size(), 1}},
                          {"y", {c.y().size(), 1}},
                          {"p", {c.p().size(), 1}}});
      !s.ok()) {
    return s;
  }
  v1::DvsEventBatch batch;
  const std::vector<uint64_t> t = Column<uint64_t>(c.timestamp_us());
  batch.mutable_timestamp_us()->Add(t.begin(), t.end());
  for (unsigned char v : c.x()) batch.add_x(v);
  for (unsigned char v : c.y()) batch.add_y(v);
  for (unsigned char v : c.p()) batch.add_p(v != 0);
  return batch;
}

absl::StatusOr<v1::SpikeBatch> SpikesFromColumns(const v1::SpikeColumns& c) {
  if (absl::Status s = CheckColumns(
          "spike_columns", {{"timestamp_us", {c.timestamp_us().size(), 8}},
                            {"layer", {c.layer().size(), 1}},
                            {"feature", {c.feature().size(), 2}},
                            {"x", {c.x().size(), 1}},
                            {"y", {c.y().size(), 1}}});
      !s.ok()) {
    return s;
  }
  v1::SpikeBatch batch;
  const std::vector<uint64_t> t = Column<uint64_t>(c.timestamp_us());
  const std::vector<uint16_t> f = Column<uint16_t>(c.feature());
  batch.mutable_timestamp_us()->Add(t.begin(), t.end());
  batch.mutable_feature()->Add(f.begin(), f.end());
  for (unsigned char v : c.layer()) batch.add_layer(v);
  for (unsigned char v : c.x()) batch.add_x(v);
  for (unsigned char v : c.y()) batch.add_y(v);
  return batch;
}

}  // namespace

absl::StatusOr<std::vector<chip::InputEvent>> InputsFromProto(
    const v1::WriteEventsRequest& request, const chip::SpeckConfig& config) {
  if (request.has_dvs_columns() || request.has_spike_columns()) {
    if (request.dvs_events().timestamp_us_size() > 0 ||
        request.spikes().timestamp_us_size() > 0) {
      return absl::InvalidArgumentError(
          "a message carries events as batches (dvs_events, spikes) or as "
          "columns (dvs_columns, spike_columns), not both");
    }
    v1::WriteEventsRequest copy;
    absl::StatusOr<v1::DvsEventBatch> dvs =
        DvsFromColumns(request.dvs_columns());
    if (!dvs.ok()) return dvs.status();
    absl::StatusOr<v1::SpikeBatch> spikes =
        SpikesFromColumns(request.spike_columns());
    if (!spikes.ok()) return spikes.status();
    *copy.mutable_dvs_events() = *std::move(dvs);
    *copy.mutable_spikes() = *std::move(spikes);
    return InputsFromProto(copy, config);
  }
  const v1::DvsEventBatch& dvs = request.dvs_events();
  const v1::SpikeBatch& spikes = request.spikes();
  if (absl::Status s = CheckDvs(dvs); !s.ok()) return s;
  std::vector<chip::InputEvent> out;
  const int nd = dvs.timestamp_us_size();
  if (nd == 0) {
    // Spikes only: converted in place, already in order.
    if (absl::Status s = ConvertSpikes(spikes, config, &out); !s.ok()) return s;
    return out;
  }
  std::vector<chip::InputEvent> converted;
  if (absl::Status s = ConvertSpikes(spikes, config, &converted); !s.ok()) {
    return s;
  }
  out.reserve(static_cast<size_t>(nd) + converted.size());
  size_t s = 0;
  for (int d = 0; d < nd; ++d) {
    // Merge by timestamp; DVS events first on ties.
    while (s < converted.size() &&
           converted[s].timestamp_us < dvs.timestamp_us(d)) {
      out.push_back(converted[s++]);
    }
    out.push_back(chip::InputEvent::FromDvs(
        {dvs.timestamp_us(d), static_cast<uint8_t>(dvs.x(d)),
         static_cast<uint8_t>(dvs.y(d)), dvs.p(d)}));
  }
  out.insert(out.end(), converted.begin() + static_cast<ptrdiff_t>(s),
             converted.end());
  return out;
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
