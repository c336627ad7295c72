// The samna double's chip: speckd's chip model behind a pipe, so that the
// Python double (tests/samna_double/samna) computes what the chip computes.
// Frames on stdin and stdout: u32 little-endian length, a command byte, its
// payload. Replies are "O" + payload or "E" + message.
//
//   C json        load a configuration (speckd's JSON)
//   V json        validate one (speckd's validator; the first error)
//   R t inputs    process inputs (15-byte records <QBBHBBB: t, kind, layer,
//                 feature, x, y, p), then advance to t; reply the spikes
//                 (<QBHBB), readout values and pins (<QI), each list after
//                 its u32 count
//   T t           set model time (a stop-watch reset)
//   K on rate     slow clock (<Bd)
//   N l f x y     read one neuron (<BHHH), reply <h
//   W l f x y v   write one (<BHHHh)
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "driver/chip/model.h"
#include "driver/chip/validate.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/config_json.h"

namespace speckd::testing {
namespace {

template <typename T>
T Load(const std::string& s, size_t at) {
  T v{};
  if (at + sizeof(T) <= s.size()) std::memcpy(&v, s.data() + at, sizeof(T));
  return v;
}

template <typename T>
void Put(std::string* s, T v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

absl::StatusOr<chip::SpeckConfig> ParseValid(const std::string& json) {
  absl::StatusOr<speckd::v1::SpeckConfiguration> proto =
      codec::ParseConfigurationJson(json);
  if (!proto.ok()) return proto.status();
  chip::SpeckConfig config = codec::FromProto(*proto);
  for (const chip::ConfigProblem& p : chip::Validate(config).problems) {
    if (p.severity == chip::ConfigProblem::Severity::kError) {
      return absl::InvalidArgumentError(p.ToString());
    }
  }
  return config;
}

class Board {
 public:
  std::string Handle(const std::string& frame) {
    const char command = frame.empty() ? '?' : frame[0];
    const std::string payload = frame.substr(1);
    switch (command) {
      case 'C':
        return Configure(payload);
      case 'V': {
        absl::StatusOr<chip::SpeckConfig> config = ParseValid(payload);
        return config.ok() ? "O" : Error(config.status());
      }
      case 'R':
        return Run(payload);
      case 'T':
        if (model_) model_->SetTime(Load<uint64_t>(payload, 0));
        return "O";
      case 'K':
        slow_on_ = Load<uint8_t>(payload, 0) != 0;
        slow_rate_ = Load<double>(payload, 1);
        if (model_) model_->SetSlowClock(slow_on_, slow_rate_);
        return "O";
      case 'N':
      case 'W':
        return Neuron(command, payload);
      default:
        return "Eunknown command";
    }
  }

 private:
  static std::string Error(const absl::Status& s) {
    return "E" + std::string(s.message());
  }

  std::string Configure(const std::string& json) {
    absl::StatusOr<chip::SpeckConfig> config = ParseValid(json);
    if (!config.ok()) return Error(config.status());
    absl::StatusOr<std::unique_ptr<chip::ChipModel>> model =
        chip::ChipModel::Create(*config);
    if (!model.ok()) return Error(model.status());
    model_ = std::move(*model);
    model_->SetSlowClock(slow_on_, slow_rate_);
    return "O";
  }

  std::string Run(const std::string& payload) {
    constexpr size_t kRecord = 15;
    out_.clear();
    if (!model_) return "Eno configuration applied";
    for (size_t at = 8; at + kRecord <= payload.size(); at += kRecord) {
      chip::InputEvent e;
      e.timestamp_us = Load<uint64_t>(payload, at);
      e.kind = Load<uint8_t>(payload, at + 8) != 0
                   ? chip::InputEvent::Kind::kSpike
                   : chip::InputEvent::Kind::kDvsEvent;
      e.layer = Load<uint8_t>(payload, at + 9);
      e.feature = Load<uint16_t>(payload, at + 10);
      e.x = Load<uint8_t>(payload, at + 12);
      e.y = Load<uint8_t>(payload, at + 13);
      e.p = Load<uint8_t>(payload, at + 14) != 0;
      model_->Process(e, &out_);
    }
    model_->AdvanceTo(Load<uint64_t>(payload, 0), &out_);
    std::string reply = "O";
    Put<uint32_t>(&reply, out_.spikes.size());
    for (const chip::Spike& s : out_.spikes) {
      Put<uint64_t>(&reply, s.timestamp_us);
      Put<uint8_t>(&reply, s.layer);
      Put<uint16_t>(&reply, s.feature);
      Put<uint8_t>(&reply, s.x);
      Put<uint8_t>(&reply, s.y);
    }
    Put<uint32_t>(&reply, out_.readout_values.size());
    for (const chip::ReadoutValue& v : out_.readout_values) {
      Put<uint64_t>(&reply, v.timestamp_us);
      Put<uint32_t>(&reply, v.value);
    }
    Put<uint32_t>(&reply, out_.readout_pins.size());
    for (const chip::ReadoutPinValue& v : out_.readout_pins) {
      Put<uint64_t>(&reply, v.timestamp_us);
      Put<uint32_t>(&reply, v.index);
    }
    return reply;
  }

  std::string Neuron(char command, const std::string& p) {
    if (!model_) return "Eno configuration applied";
    const int layer = Load<uint8_t>(p, 0);
    const int f = Load<uint16_t>(p, 1), x = Load<uint16_t>(p, 3),
              y = Load<uint16_t>(p, 5);
    if (command == 'W') {
      absl::Status s = model_->WriteNeuron(layer, f, x, y, Load<int16_t>(p, 7));
      return s.ok() ? "O" : Error(s);
    }
    absl::StatusOr<int16_t> v = model_->ReadNeuron(layer, f, x, y);
    if (!v.ok()) return Error(v.status());
    std::string reply = "O";
    Put<int16_t>(&reply, *v);
    return reply;
  }

  std::unique_ptr<chip::ChipModel> model_;
  chip::OutputBatch out_;
  bool slow_on_ = false;
  double slow_rate_ = 0;
};

bool ReadFrame(std::string* frame) {
  uint32_t size = 0;
  if (std::fread(&size, sizeof(size), 1, stdin) != 1) return false;
  frame->resize(size);
  return size == 0 || std::fread(frame->data(), size, 1, stdin) == 1;
}

void WriteFrame(const std::string& frame) {
  const uint32_t size = frame.size();
  std::fwrite(&size, sizeof(size), 1, stdout);
  std::fwrite(frame.data(), frame.size(), 1, stdout);
  std::fflush(stdout);
}

}  // namespace
}  // namespace speckd::testing

int main() {
  speckd::testing::Board board;
  std::string frame;
  while (speckd::testing::ReadFrame(&frame)) {
    speckd::testing::WriteFrame(board.Handle(frame));
  }
  return 0;
}
