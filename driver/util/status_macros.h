// Early-return helpers for absl::Status / absl::StatusOr (Debian's Abseil
// 20220623 has no public ABSL_RETURN_IF_ERROR).
//
//   SPECKD_RETURN_IF_ERROR(device.Write(batch));
//   SPECKD_ASSIGN_OR_RETURN(Config config, ParseConfig(text));
#ifndef SPECKD_DRIVER_UTIL_STATUS_MACROS_H_
#define SPECKD_DRIVER_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SPECKD_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status speckd_status_ = (expr);          \
    if (!speckd_status_.ok()) return speckd_status_; \
  } while (false)

#define SPECKD_STATUS_CONCAT_INNER_(a, b) a##b
#define SPECKD_STATUS_CONCAT_(a, b) SPECKD_STATUS_CONCAT_INNER_(a, b)

#define SPECKD_ASSIGN_OR_RETURN(lhs, rexpr) \
  SPECKD_ASSIGN_OR_RETURN_IMPL_(            \
      SPECKD_STATUS_CONCAT_(speckd_statusor_, __LINE__), lhs, rexpr)

#define SPECKD_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // SPECKD_DRIVER_UTIL_STATUS_MACROS_H_
