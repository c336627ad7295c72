#include "driver/samna/bridge_columns.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace speckd::driver::samna {
namespace {

template <typename T>
void Append(std::string* column, T value) {
  column->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T At(const std::string& column, size_t i) {
  T value;
  std::memcpy(&value, column.data() + i * sizeof(T), sizeof(T));
  return value;
}

// How many entries `column` holds if each is sizeof(T), or -1.
template <typename T>
int64_t Count(const std::string& column) {
  return column.size() % sizeof(T) == 0
             ? static_cast<int64_t>(column.size() / sizeof(T))
             : -1;
}

}  // namespace

void ToColumns(absl::Span<const chip::InputEvent> events,
               bridge::WriteEvents* out) {
  std::string *t = out->mutable_timestamp_us(), *kind = out->mutable_kind(),
              *layer = out->mutable_layer(), *feature = out->mutable_feature(),
              *x = out->mutable_x(), *y = out->mutable_y(),
              *p = out->mutable_p();
  t->reserve(events.size() * 8);
  feature->reserve(events.size() * 2);
  for (const chip::InputEvent& e : events) {
    Append<uint64_t>(t, e.timestamp_us);
    kind->push_back(e.kind == chip::InputEvent::Kind::kSpike ? 1 : 0);
    layer->push_back(static_cast<char>(e.layer));
    Append<uint16_t>(feature, e.feature);
    x->push_back(static_cast<char>(e.x));
    y->push_back(static_cast<char>(e.y));
    p->push_back(e.p ? 1 : 0);
  }
}

void ToColumns(absl::Span<const NeuronAddress> neurons, std::string* feature,
               std::string* x, std::string* y) {
  for (const NeuronAddress& n : neurons) {
    Append<uint16_t>(feature, static_cast<uint16_t>(n.feature));
    Append<uint16_t>(x, static_cast<uint16_t>(n.x));
    Append<uint16_t>(y, static_cast<uint16_t>(n.y));
  }
}

absl::Status FromColumns(const bridge::Outputs& o, chip::OutputBatch* events,
                         std::vector<PowerMeasurement>* power) {
  const int64_t spikes = Count<uint64_t>(o.spike_timestamp_us());
  const int64_t readout = Count<uint64_t>(o.readout_timestamp_us());
  const int64_t pins = Count<uint64_t>(o.pin_timestamp_us());
  const int64_t samples = Count<uint64_t>(o.power_timestamp_us());
  const bool consistent =
      spikes >= 0 && static_cast<int64_t>(o.spike_layer().size()) == spikes &&
      Count<uint16_t>(o.spike_feature()) == spikes &&
      static_cast<int64_t>(o.spike_x().size()) == spikes &&
      static_cast<int64_t>(o.spike_y().size()) == spikes && readout >= 0 &&
      Count<uint32_t>(o.readout_value()) == readout && pins >= 0 &&
      Count<uint32_t>(o.pin_index()) == pins && samples >= 0 &&
      static_cast<int64_t>(o.power_channel().size()) == samples &&
      Count<double>(o.power_value_w()) == samples;
  if (!consistent) {
    return absl::InvalidArgumentError(
        absl::StrCat("the samna bridge sent outputs of ", o.board(),
                     " whose columns differ in length"));
  }
  for (int64_t i = 0; i < spikes; ++i) {
    chip::Spike s;
    s.timestamp_us = At<uint64_t>(o.spike_timestamp_us(), i);
    s.layer = static_cast<uint8_t>(o.spike_layer()[i]);
    s.feature = At<uint16_t>(o.spike_feature(), i);
    s.x = static_cast<uint8_t>(o.spike_x()[i]);
    s.y = static_cast<uint8_t>(o.spike_y()[i]);
    events->spikes.push_back(s);
  }
  for (int64_t i = 0; i < readout; ++i) {
    events->readout_values.push_back({At<uint64_t>(o.readout_timestamp_us(), i),
                                      At<uint32_t>(o.readout_value(), i)});
  }
  for (int64_t i = 0; i < pins; ++i) {
    events->readout_pins.push_back({At<uint64_t>(o.pin_timestamp_us(), i),
                                    At<uint32_t>(o.pin_index(), i)});
  }
  for (int64_t i = 0; i < samples; ++i) {
    power->push_back({At<uint64_t>(o.power_timestamp_us(), i),
                      static_cast<uint8_t>(o.power_channel()[i]),
                      At<double>(o.power_value_w(), i)});
  }
  return absl::OkStatus();
}

}  // namespace speckd::driver::samna
