#include "tests/reference/reference_case.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;

const Value* Field(const Value& v, const std::string& key) {
  if (v.kind_case() != Value::kStructValue) return nullptr;
  auto it = v.struct_value().fields().find(key);
  return it == v.struct_value().fields().end() ? nullptr : &it->second;
}

int64_t Int(const Value* v, int64_t fallback = 0) {
  return v != nullptr && v->kind_case() == Value::kNumberValue
             ? static_cast<int64_t>(v->number_value())
             : fallback;
}

bool Bool(const Value* v, bool fallback = false) {
  return v != nullptr && v->kind_case() == Value::kBoolValue ? v->bool_value()
                                                             : fallback;
}

// Appends every number of an arbitrarily nested list, depth first (row-major).
void Flatten(const Value& v, std::vector<int64_t>* out) {
  if (v.kind_case() == Value::kNumberValue) {
    out->push_back(static_cast<int64_t>(v.number_value()));
  } else if (v.kind_case() == Value::kListValue) {
    for (const Value& e : v.list_value().values()) Flatten(e, out);
  }
}

std::vector<int32_t> Flat32(const Value* v) {
  std::vector<int64_t> flat;
  if (v != nullptr) Flatten(*v, &flat);
  return std::vector<int32_t>(flat.begin(), flat.end());
}

chip::Vec2 Vec(const Value* v) {
  return {static_cast<uint32_t>(Int(Field(*v, "x"))),
          static_cast<uint32_t>(Int(Field(*v, "y")))};
}

chip::Shape ShapeOf(const Value* v) {
  return {Vec(Field(*v, "size")),
          static_cast<uint32_t>(Int(Field(*v, "feature_count")))};
}

// One cnn_layers_written entry, as samna would hold it after sinabs wrote it.
chip::CnnLayerConfig LayerFrom(const Value& w) {
  chip::CnnLayerConfig layer;
  const Value* dims = Field(w, "dimensions");
  layer.dimensions.input_shape = ShapeOf(Field(*dims, "input_shape"));
  layer.dimensions.output_shape = ShapeOf(Field(*dims, "output_shape"));
  layer.dimensions.padding = Vec(Field(*dims, "padding"));
  layer.dimensions.stride = Vec(Field(*dims, "stride"));
  layer.dimensions.kernel_size =
      static_cast<uint32_t>(Int(Field(*dims, "kernel_size")));
  layer.weights = Flat32(Field(w, "weights"));
  layer.biases = Flat32(Field(w, "biases"));
  layer.neurons_initial_value = Flat32(Field(w, "neurons_initial_value"));
  layer.leak_enable = Bool(Field(w, "leak_enable"));
  layer.return_to_zero = Bool(Field(w, "return_to_zero"));
  layer.threshold_high = static_cast<int32_t>(Int(Field(w, "threshold_high")));
  layer.threshold_low = static_cast<int32_t>(Int(Field(w, "threshold_low")));
  layer.monitor_enable = true;
  if (const Value* dests = Field(w, "destinations")) {
    for (const Value& d : dests->list_value().values()) {
      chip::Destination dest;
      dest.layer = static_cast<uint32_t>(Int(Field(d, "layer")));
      dest.enable = Bool(Field(d, "enable"));
      dest.pooling = static_cast<uint32_t>(Int(Field(d, "pooling"), 1));
      dest.feature_shift = static_cast<int32_t>(Int(Field(d, "feature_shift")));
      layer.destinations.push_back(dest);
    }
  }
  return layer;
}

}  // namespace

bool ReferenceCasesPresent() {
  // The repository rule links the directory's README.md with the cases.
  return std::ifstream(RunfilePath("../speck_reference/README.md")).good();
}

std::vector<std::string> ReferenceCaseNames() {
  return {"tutorial_spike_count", "conv2_stride_pad", "conv_pool_linear",
          "mixed_sign_bias"};
}

absl::StatusOr<std::string> ReadReferenceFile(const std::string& name) {
  // Runfiles of an external repository live under ../<repo>/ of ours.
  std::string path = RunfilePath("../speck_reference/" + name);
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path,
                     ": the sinabs reference cases are read from "
                     "../shared/reference next to this checkout"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<ReferenceCase> LoadReferenceCase(const std::string& name) {
  absl::StatusOr<std::string> text = ReadReferenceFile(name + ".json");
  if (!text.ok()) return text.status();
  Value root;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &root);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ".json: ", parsed.ToString()));
  }
  ReferenceCase c;
  c.name = name;

  const Value* written =
      Field(*Field(root, "chip_config"), "cnn_layers_written");
  bool any_leak = false;
  for (const auto& [core, layer] : written->struct_value().fields()) {
    int index = std::stoi(core);
    c.config.cnn_layers[index] = LayerFrom(layer);
    any_leak |= c.config.cnn_layers[index].leak_enable;
  }

  const Value* expected = Field(root, "expected");
  if (any_leak) {
    // The case bins time at dt_us and adds the bias once per bin: a slow
    // clock of the same period on the chip.
    const Value* binning = Field(*expected, "time_binning");
    c.config.slow_clock.enable = true;
    c.config.slow_clock.rate_hz =
        1e6 / static_cast<double>(Int(Field(*binning, "dt_us")));
  }

  const Value* input = Field(root, "input");
  const Value* target = Field(*input, "target");
  const bool dvs = Field(*target, "kind")->string_value() == "dvs";
  const int core = static_cast<int>(Int(Field(*target, "core")));
  for (const Value& e : Field(*input, "events")->list_value().values()) {
    const auto& f = e.list_value().values();
    const uint64_t t = static_cast<uint64_t>(f[0].number_value());
    const uint8_t x = static_cast<uint8_t>(f[1].number_value());
    const uint8_t y = static_cast<uint8_t>(f[2].number_value());
    const int last = static_cast<int>(f[3].number_value());
    if (dvs) {
      c.inputs.push_back(chip::InputEvent::FromDvs({t, x, y, last != 0}));
    } else {
      c.inputs.push_back(chip::InputEvent::FromSpike(
          {t, static_cast<uint16_t>(last), static_cast<uint8_t>(core), x, y}));
    }
  }

  const Value* event_driven = Field(root, "expected_event_driven");
  for (const Value& s : Field(*event_driven, "spikes")->list_value().values()) {
    const auto& f = s.list_value().values();  // [t_us, core, feature, y, x]
    c.expected_spikes.push_back({static_cast<uint64_t>(f[0].number_value()),
                                 static_cast<uint16_t>(f[2].number_value()),
                                 static_cast<uint8_t>(f[1].number_value()),
                                 static_cast<uint8_t>(f[4].number_value()),
                                 static_cast<uint8_t>(f[3].number_value())});
  }
  for (const auto& [core_id, v] :
       Field(*event_driven, "final_v_mem_fyx")->struct_value().fields()) {
    std::vector<int64_t> flat;
    Flatten(v, &flat);
    c.expected_final_v_mem[std::stoi(core_id)] =
        std::vector<int16_t>(flat.begin(), flat.end());
  }
  c.output_core = static_cast<int>(Int(Field(*event_driven, "output_core")));
  Flatten(*Field(*event_driven, "per_feature_totals"),
          &c.expected_per_feature_totals);

  Flatten(*Field(*expected, "per_feature_totals"),
          &c.sinabs_per_feature_totals);
  // per_neuron_totals_fyx_n: [f, y, x, n] rows -> dense [f][y][x].
  const chip::Shape out =
      c.config.cnn_layers[c.output_core].dimensions.output_shape;
  c.sinabs_per_neuron_totals.assign(
      static_cast<size_t>(out.feature_count) * out.size.y * out.size.x, 0);
  for (const Value& row :
       Field(*expected, "per_neuron_totals_fyx_n")->list_value().values()) {
    const auto& f = row.list_value().values();
    const size_t index =
        (static_cast<size_t>(f[0].number_value()) * out.size.y +
         static_cast<size_t>(f[1].number_value())) *
            out.size.x +
        static_cast<size_t>(f[2].number_value());
    c.sinabs_per_neuron_totals[index] =
        static_cast<int64_t>(f[3].number_value());
  }
  if (const Value* windows = Field(*expected, "per_50ms_window_counts")) {
    for (const Value& row : windows->list_value().values()) {
      std::vector<int64_t> flat;
      Flatten(row, &flat);
      c.sinabs_window_counts.emplace_back(flat.begin() + 1, flat.end());
    }
  }
  return c;
}

}  // namespace speckd::testing
