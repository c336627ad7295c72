#include "clients/cli/event_columns.h"

#include <algorithm>

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

template <typename Column>
void Copy(const Column& from, size_t begin, size_t n, Column* to) {
  to->Add(from.begin() + static_cast<ptrdiff_t>(begin),
          from.begin() + static_cast<ptrdiff_t>(begin + n));
}

}  // namespace

size_t EventCount(const v1::WriteEventsRequest& events) {
  return static_cast<size_t>(events.dvs_events().timestamp_us_size() +
                             events.spikes().timestamp_us_size());
}

uint64_t FirstTimestamp(const v1::WriteEventsRequest& events) {
  const auto& dvs = events.dvs_events().timestamp_us();
  const auto& spikes = events.spikes().timestamp_us();
  if (dvs.empty()) return spikes.empty() ? 0 : spikes[0];
  return spikes.empty() ? dvs[0] : std::min(dvs[0], spikes[0]);
}

uint64_t LastTimestamp(const v1::WriteEventsRequest& events) {
  const auto& dvs = events.dvs_events().timestamp_us();
  const auto& spikes = events.spikes().timestamp_us();
  const uint64_t d = dvs.empty() ? 0 : dvs[dvs.size() - 1];
  const uint64_t s = spikes.empty() ? 0 : spikes[spikes.size() - 1];
  return std::max(d, s);
}

void AppendSlice(const v1::WriteEventsRequest& all, size_t begin, size_t n,
                 v1::WriteEventsRequest* out) {
  const v1::DvsEventBatch& dvs = all.dvs_events();
  const size_t nd = static_cast<size_t>(dvs.timestamp_us_size());
  if (begin < nd) {
    const size_t take = std::min(n, nd - begin);
    v1::DvsEventBatch* to = out->mutable_dvs_events();
    Copy(dvs.timestamp_us(), begin, take, to->mutable_timestamp_us());
    Copy(dvs.x(), begin, take, to->mutable_x());
    Copy(dvs.y(), begin, take, to->mutable_y());
    Copy(dvs.p(), begin, take, to->mutable_p());
    begin += take;
    n -= take;
  }
  if (n == 0) return;
  const v1::SpikeBatch& spikes = all.spikes();
  const size_t s = begin - nd;
  n = std::min(n, static_cast<size_t>(spikes.timestamp_us_size()) - s);
  v1::SpikeBatch* to = out->mutable_spikes();
  Copy(spikes.timestamp_us(), s, n, to->mutable_timestamp_us());
  Copy(spikes.layer(), s, n, to->mutable_layer());
  Copy(spikes.feature(), s, n, to->mutable_feature());
  Copy(spikes.x(), s, n, to->mutable_x());
  Copy(spikes.y(), s, n, to->mutable_y());
}

}  // namespace speckd::cli
