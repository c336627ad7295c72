#include "driver/sim/sim_bus.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace speckd::driver::sim {

SimBus::SimBus(const SimBusOptions& options) : options_(options) {
  for (int rank = 0; rank < options_.count; ++rank) {
    faults_.push_back(std::make_shared<SimFaults>(options_.device.clock));
  }
  MutexLock lock(&life_->mu);
  life_->bus = this;
}

SimBus::~SimBus() {
  MutexLock lock(&life_->mu);
  life_->bus = nullptr;
}

void SimBus::Restart(int rank) {
  MutexLock lock(&mu_);
  if (listener_ == nullptr || unplugged_.count(rank) > 0) return;
  listener_->OnBoardArrived(MakeBoard(rank));
}

Board SimBus::MakeBoard(int rank) const {
  SimDeviceOptions device_options = options_.device;
  device_options.rank = rank;
  device_options.faults = faults_[rank];
  Board board;
  board.key = absl::StrCat("sim:", rank);
  board.id_prefix = kSimIdPrefix;
  board.device = NewSimDevice(device_options);
  board.descriptor = board.device->descriptor();
  board.restart = [life = life_, rank] {
    MutexLock lock(&life->mu);
    if (life->bus != nullptr) life->bus->Restart(rank);
  };
  return board;
}

absl::StatusOr<int> SimBus::RankOf(const std::string& key) const {
  int rank = -1;
  if (!absl::StartsWith(key, "sim:") ||
      !absl::SimpleAtoi(key.substr(4), &rank) || rank < 0 ||
      rank >= options_.count) {
    return absl::NotFoundError(
        absl::StrCat("'", key, "' is not a simulated board"));
  }
  return rank;
}

void SimBus::Start(BoardListener* listener) {
  MutexLock lock(&mu_);
  listener_ = listener;
  for (int rank = 0; rank < options_.count; ++rank) {
    listener_->OnBoardArrived(MakeBoard(rank));
  }
}

absl::Status SimBus::Unplug(const std::string& key) {
  absl::StatusOr<int> rank = RankOf(key);
  if (!rank.ok()) return rank.status();
  MutexLock lock(&mu_);
  if (listener_ == nullptr || !unplugged_.insert(*rank).second) {
    return absl::FailedPreconditionError(
        absl::StrCat("simulated board ", key, " is already unplugged"));
  }
  listener_->OnBoardLeft(key, "unplugged (simulated fault)");
  return absl::OkStatus();
}

absl::Status SimBus::Inject(const std::string& key, Misbehaviour what,
                            absl::Duration duration) {
  absl::StatusOr<int> rank = RankOf(key);
  if (!rank.ok()) return rank.status();
  MutexLock lock(&mu_);
  if (unplugged_.count(*rank) > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("simulated board ", key, " is unplugged"));
  }
  SimFaults& faults = *faults_[*rank];
  switch (what) {
    case Misbehaviour::kStallOutput:
      faults.StallOutput(duration);
      break;
    case Misbehaviour::kFillInputQueue:
      faults.FillInputQueue(duration);
      break;
    case Misbehaviour::kJumpClock:
      faults.JumpClock(duration);
      break;
    case Misbehaviour::kBurstOutput:
      faults.BurstOutput(duration);
      break;
    case Misbehaviour::kWedgeThread:
      faults.WedgeThread(duration);
      break;
  }
  return absl::OkStatus();
}

absl::Status SimBus::Replug(const std::string& key) {
  absl::StatusOr<int> rank = RankOf(key);
  if (!rank.ok()) return rank.status();
  MutexLock lock(&mu_);
  if (listener_ == nullptr || unplugged_.erase(*rank) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("simulated board ", key, " is plugged in"));
  }
  listener_->OnBoardArrived(MakeBoard(*rank));
  return absl::OkStatus();
}

}  // namespace speckd::driver::sim
