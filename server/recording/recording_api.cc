#include "server/recording/recording_api.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "proto/recording/recording_summary.h"
#include "server/recording/replay.h"

namespace speckd::server {
namespace {

constexpr absl::string_view kSuffix = ".speckrec";

// Creates `path` and its parents (mode 0750).
absl::Status MakeDirs(const std::string& path) {
  std::string at;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    at = at.empty() && path[0] == '/'
             ? absl::StrCat("/", part)
             : absl::StrCat(at, at.empty() ? "" : "/", part);
    if (part.empty()) continue;
    if (mkdir(at.c_str(), 0750) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create the recordings directory ", at, ": ",
                       std::strerror(errno), " (set --data_dir)"));
    }
  }
  return absl::OkStatus();
}

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

std::vector<v1::RecordingStream> StreamsOf(
    const v1::StartRecordingRequest& request) {
  std::vector<v1::RecordingStream> streams;
  for (int s : request.streams()) {
    const auto kind = static_cast<v1::RecordingStream>(s);
    bool seen = false;
    for (v1::RecordingStream k : streams) seen |= k == kind;
    if (!seen) streams.push_back(kind);
  }
  if (streams.empty()) streams = {v1::INPUTS, v1::SPIKES, v1::NOTICES};
  return streams;
}

}  // namespace

std::string DefaultDataDir() {
  if (const char* state = std::getenv("STATE_DIRECTORY");
      state != nullptr && *state != '\0') {
    // systemd lists several directories separated by ':' when asked for
    // several; speckd asks for one.
    const std::string dirs = state;
    return dirs.substr(0, dirs.find(':'));
  }
  if (const char* xdg = std::getenv("XDG_STATE_HOME");
      xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/speckd");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "/tmp", "/.local/state/speckd");
}

RecordingApi::RecordingApi(DeviceManager* devices, api::EventApi* events,
                           driver::Clock* clock,
                           const RecordingOptions& options)
    : devices_(devices),
      events_(events),
      clock_(clock),
      options_(options),
      dir_(absl::StrCat(options.data_dir, "/recordings")) {}

RecordingApi::~RecordingApi() {
  StopAll(absl::UnavailableError("speckd is shutting down"));
  std::vector<std::thread> replays;
  {
    MutexLock lock(&replay_mu_);
    replays.swap(replays_);
  }
  for (std::thread& t : replays) t.join();
}

void RecordingApi::ReplayRecording(const v1::ReplayRecordingRequest& request,
                                   v1::ReplayRecordingResponse* out,
                                   std::function<void(absl::Status)> done) {
  if (absl::Status s = CheckExists(request.name()); !s.ok()) return done(s);
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return done(device.status());
  MutexLock lock(&replay_mu_);
  if (running_replays_ >= kMaxReplays) {
    return done(absl::ResourceExhaustedError(absl::StrCat(
        kMaxReplays, " replays are running already; wait for one to end")));
  }
  ++running_replays_;
  replays_.emplace_back([this, request, out, done = std::move(done),
                         path = PathOf(request.name()), d = *device] {
    absl::StatusOr<v1::ReplayRecordingResponse> replayed =
        ReplayInputs(path, d, events_, request);
    if (replayed.ok()) *out = *std::move(replayed);
    {
      MutexLock lock(&replay_mu_);
      --running_replays_;
    }
    done(replayed.status());
  });
}

void RecordingApi::StopAll(const absl::Status& why) {
  std::map<std::string, std::unique_ptr<Recorder>> recorders;
  {
    MutexLock lock(&mu_);
    recorders.swap(recorders_);
  }
  for (auto& [name, recorder] : recorders) recorder->Stop(why);
}

std::string RecordingApi::PathOf(const std::string& name) const {
  return absl::StrCat(dir_, "/", name, kSuffix);
}

uint64_t RecordingApi::TotalBytes() const {
  uint64_t total = 0;
  DIR* dir = opendir(dir_.c_str());
  if (dir == nullptr) return 0;
  while (dirent* entry = readdir(dir)) {
    if (!absl::EndsWith(entry->d_name, kSuffix)) continue;
    struct stat st {};
    if (stat(absl::StrCat(dir_, "/", entry->d_name).c_str(), &st) == 0) {
      total += st.st_size;
    }
  }
  closedir(dir);
  return total;
}

absl::StatusOr<std::string> RecordingApi::NameFor(
    const std::string& asked) const {
  if (!asked.empty()) {
    if (!ValidName(asked)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "name: '", asked,
          "' must be 1 to 100 letters, digits, '-', '_' or '.', not "
          "starting with '.'"));
    }
    if (access(PathOf(asked).c_str(), F_OK) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("name: a recording named '", asked, "' exists"));
    }
    return asked;
  }
  const std::string base = absl::StrCat(
      "rec-",
      absl::FormatTime("%Y%m%d-%H%M%S", clock_->Now(), absl::UTCTimeZone()));
  std::string name = base;
  for (int n = 2; access(PathOf(name).c_str(), F_OK) == 0; ++n) {
    name = absl::StrCat(base, "-", n);
  }
  return name;
}

absl::Status RecordingApi::StartRecording(
    const v1::StartRecordingRequest& request, v1::Recording* out) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  if (absl::Status made = MakeDirs(dir_); !made.ok()) return made;
  MutexLock lock(&mu_);
  ReapEndedLocked();
  absl::StatusOr<std::string> name = NameFor(request.name());
  if (!name.ok()) return name.status();
  if (TotalBytes() >= options_.quota_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the recordings in ", dir_, " already take ", TotalBytes(),
        " bytes, the quota (--recordings_quota_bytes); delete some first"));
  }
  RecorderParams params;
  params.name = *name;
  params.path = PathOf(*name);
  params.device = *device;
  params.streams = StreamsOf(request);
  params.spike_filter = request.spike_filter();
  params.writer.max_bytes = options_.max_recording_bytes;
  params.speckd_version = options_.speckd_version;
  params.slow_disk = options_.slow_disk;
  params.room = [this](uint64_t) -> absl::Status {
    if (TotalBytes() < options_.quota_bytes) return absl::OkStatus();
    return absl::ResourceExhaustedError(
        absl::StrCat("the recordings reached their quota of ",
                     options_.quota_bytes, " bytes"));
  };
  absl::StatusOr<std::unique_ptr<Recorder>> recorder =
      Recorder::Start(std::move(params), events_, clock_);
  if (!recorder.ok()) {
    // A file it made and could not go on with; never someone else's.
    if (recorder.status().code() != absl::StatusCode::kAlreadyExists) {
      std::remove(PathOf(*name).c_str());
    }
    return recorder.status();
  }
  *out = (*recorder)->Describe();
  recorders_[*name] = *std::move(recorder);
  return absl::OkStatus();
}

absl::Status RecordingApi::StopRecording(
    const v1::StopRecordingRequest& request, v1::Recording* out) {
  // Listed while it finishes, so that it cannot be deleted meanwhile.
  MutexLock lock(&mu_);
  auto it = recorders_.find(request.name());
  if (it == recorders_.end()) {
    if (absl::Status s = CheckExists(request.name()); !s.ok()) return s;
    return absl::FailedPreconditionError(
        absl::StrCat("recording '", request.name(), "' is not recording"));
  }
  it->second->Stop();
  *out = it->second->Describe();
  recorders_.erase(it);
  return absl::OkStatus();
}

absl::Status RecordingApi::CheckExists(const std::string& name) const {
  if (ValidName(name) && access(PathOf(name).c_str(), F_OK) == 0) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("name: no recording named '", name, "' in ", dir_,
                   " (speckctl record list shows them)"));
}

absl::Status RecordingApi::ListRecordings(const v1::ListRecordingsRequest&,
                                          v1::ListRecordingsResponse* out) {
  out->set_data_dir(options_.data_dir);
  out->set_quota_bytes(options_.quota_bytes);
  std::vector<std::string> names;
  if (DIR* dir = opendir(dir_.c_str())) {
    while (dirent* entry = readdir(dir)) {
      absl::string_view file = entry->d_name;
      if (absl::ConsumeSuffix(&file, kSuffix)) names.emplace_back(file);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    v1::GetRecordingRequest get;
    get.set_name(name);
    v1::Recording recording;
    if (!GetRecording(get, &recording).ok()) continue;  // not a recording
    recording.clear_configuration();
    out->set_total_bytes(out->total_bytes() + recording.size_bytes());
    *out->add_recordings() = std::move(recording);
  }
  return absl::OkStatus();
}

absl::Status RecordingApi::GetRecording(const v1::GetRecordingRequest& request,
                                        v1::Recording* out) {
  {
    MutexLock lock(&mu_);
    if (auto it = recorders_.find(request.name()); it != recorders_.end()) {
      *out = it->second->Describe();
      return absl::OkStatus();
    }
  }
  if (absl::Status s = CheckExists(request.name()); !s.ok()) return s;
  absl::StatusOr<v1::Recording> summary =
      recording::SummarizeRecording(PathOf(request.name()));
  if (!summary.ok()) return summary.status();
  *out = *std::move(summary);
  return absl::OkStatus();
}

void RecordingApi::ReapEndedLocked() {
  for (auto it = recorders_.begin(); it != recorders_.end();) {
    if (it->second->active()) {
      ++it;
      continue;
    }
    it->second->Stop();  // lets go of its subscriptions
    it = recorders_.erase(it);
  }
}

absl::Status RecordingApi::DeleteRecording(
    const v1::DeleteRecordingRequest& request,
    v1::DeleteRecordingResponse* out) {
  MutexLock lock(&mu_);
  ReapEndedLocked();
  if (recorders_.count(request.name()) > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "recording '", request.name(),
        "' is still recording: stop it first (speckctl record stop)"));
  }
  if (absl::Status s = CheckExists(request.name()); !s.ok()) return s;
  struct stat st {};
  stat(PathOf(request.name()).c_str(), &st);
  if (std::remove(PathOf(request.name()).c_str()) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot delete ", PathOf(request.name()), ": ", std::strerror(errno)));
  }
  out->set_freed_bytes(st.st_size);
  return absl::OkStatus();
}

absl::StatusOr<std::string> RecordingApi::ReadChunk(const std::string& name,
                                                    uint64_t offset,
                                                    uint64_t* total) {
  if (absl::Status s = CheckExists(name); !s.ok()) return s;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen(PathOf(name).c_str(), "rbe"), &std::fclose);
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open ", PathOf(name)));
  }
  struct stat st {};
  fstat(fileno(file.get()), &st);
  *total = st.st_size;
  if (offset >= *total) return std::string();
  std::string chunk(std::min<uint64_t>(kChunkBytes, *total - offset), '\0');
  if (std::fseek(file.get(), static_cast<long>(offset), SEEK_SET) != 0 ||
      std::fread(chunk.data(), 1, chunk.size(), file.get()) != chunk.size()) {
    return absl::InternalError(
        absl::StrCat("reading ", PathOf(name), " failed"));
  }
  return chunk;
}

}  // namespace speckd::server
