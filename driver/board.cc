#include "driver/board.h"

namespace speckd::driver {

const char* BoardProblemName(BoardProblem::Kind kind) {
  switch (kind) {
    case BoardProblem::Kind::kNone:
      return "none";
    case BoardProblem::Kind::kPermissionDenied:
      return "permission_denied";
    case BoardProblem::Kind::kNeedsFirmware:
      return "needs_firmware";
    case BoardProblem::Kind::kNoProtocolDriver:
      return "no_protocol_driver";
    case BoardProblem::Kind::kUnknownBoard:
      return "unknown_board";
    case BoardProblem::Kind::kBusy:
      return "busy";
    case BoardProblem::Kind::kOpenFailed:
      return "open_failed";
  }
  return "unknown";
}

}  // namespace speckd::driver
