// The last configuration applied to each board, kept on disk so that a
// restarted daemon (the service) puts it back: one JSON file per board,
// named after the board's identity (its key: bus and port path, or serial;
// never its rank), written atomically (a temporary file, fsync, rename).
//
//   ConfigStore store("/var/lib/speckd/configs");
//   store.Save("usb:2-1.3", config);
//   absl::StatusOr<std::optional<chip::SpeckConfig>> saved =
//   store.Load("usb:2-1.3");
#ifndef SPECKD_SERVER_DEVICES_CONFIG_STORE_H_
#define SPECKD_SERVER_DEVICES_CONFIG_STORE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/chip/config.h"

namespace speckd::server {

class ConfigStore {
 public:
  // `dir` is created (with its parents) on the first Save.
  explicit ConfigStore(std::string dir);

  const std::string& dir() const { return dir_; }
  // The file for `board_key`: "usb:2-1.3" -> DIR/usb_2-1.3.json.
  std::string PathOf(const std::string& board_key) const;

  absl::Status Save(const std::string& board_key,
                    const chip::SpeckConfig& config) const;
  // nullopt when nothing was saved for the board; an error naming the file
  // when what is there cannot be read as a configuration.
  absl::StatusOr<std::optional<chip::SpeckConfig>> Load(
      const std::string& board_key) const;

 private:
  const std::string dir_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_CONFIG_STORE_H_
