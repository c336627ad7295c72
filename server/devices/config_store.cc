#include "server/devices/config_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/config_json.h"

namespace speckd::server {
namespace {

absl::Status MakeDirs(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0750) != 0 && errno != EEXIST) {
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot create ", prefix));
    }
    if (slash == std::string::npos) return absl::OkStatus();
  }
}

absl::Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::ErrnoToStatus(errno, "write");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

ConfigStore::ConfigStore(std::string dir) : dir_(std::move(dir)) {}

std::string ConfigStore::PathOf(const std::string& board_key) const {
  std::string name;
  for (char c : board_key) {
    name.push_back(absl::ascii_isalnum(c) || c == '-' || c == '.' ? c : '_');
  }
  return absl::StrCat(dir_, "/", name, ".json");
}

absl::Status ConfigStore::Save(const std::string& board_key,
                               const chip::SpeckConfig& config) const {
  if (absl::Status s = MakeDirs(dir_); !s.ok()) return s;
  speckd::v1::SpeckConfiguration proto;
  codec::ToProto(config, &proto);
  const std::string path = PathOf(board_key);
  const std::string temp = path + ".tmp";
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0)
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", temp));
  absl::Status written = WriteAll(fd, codec::ConfigurationToJson(proto) + "\n");
  if (written.ok() && ::fsync(fd) != 0)
    written = absl::ErrnoToStatus(errno, "fsync");
  ::close(fd);
  if (written.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    written =
        absl::ErrnoToStatus(errno, absl::StrCat("cannot rename to ", path));
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return absl::Status(written.code(),
                        absl::StrCat(path, ": ", written.message()));
  }
  // The rename itself survives a power cut once the directory is synced.
  if (const int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<chip::SpeckConfig>> ConfigStore::Load(
    const std::string& board_key) const {
  const std::string path = PathOf(board_key);
  if (::access(path.c_str(), F_OK) != 0)
    return std::optional<chip::SpeckConfig>();
  absl::StatusOr<chip::SpeckConfig> config = codec::LoadConfigFile(path);
  if (!config.ok()) return config.status();
  return std::optional<chip::SpeckConfig>(*std::move(config));
}

}  // namespace speckd::server
