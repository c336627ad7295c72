// A warning logged now and then every `period` until destroyed (an
// operator's risky choice, such as --insecure_remote, stays visible in
// every day's log).
#ifndef SPECKD_SERVER_SERVICE_REPEATING_WARNING_H_
#define SPECKD_SERVER_SERVICE_REPEATING_WARNING_H_

#include <string>
#include <thread>

#include "absl/time/time.h"
#include "driver/util/mutex.h"

namespace speckd::server {

class RepeatingWarning {
 public:
  RepeatingWarning(std::string event, std::string message,
                   absl::Duration period);
  ~RepeatingWarning();  // stops at once
  RepeatingWarning(const RepeatingWarning&) = delete;
  RepeatingWarning& operator=(const RepeatingWarning&) = delete;

 private:
  const std::string event_;
  const std::string message_;
  const absl::Duration period_;
  // Guards stopping_; a leaf lock.
  Mutex mu_;
  CondVar changed_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_SERVICE_REPEATING_WARNING_H_
