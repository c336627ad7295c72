// Structured log lines in logfmt, one event per line on stderr (journald and
// grep friendly):
//
//   ts=2026-11-27T06:40:00.123Z level=info event=listening
//   address=127.0.0.1:50051
//
//   log::Info("lease_acquired", {{"device", id}, {"holder", holder}});
#ifndef SPECKD_SERVER_LOG_LOG_H_
#define SPECKD_SERVER_LOG_LOG_H_

#include <initializer_list>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace speckd::log {

enum class Level { kDebug, kInfo, kWarning, kError };

struct Field {
  Field(absl::string_view k, const absl::AlphaNum& v)
      : key(k), value(v.Piece()) {}
  // Exactly bool (not anything convertible to it) prints true/false.
  template <typename T,
            typename = std::enable_if_t<std::is_same<T, bool>::value>>
  Field(absl::string_view k, T v) : key(k), value(v ? "true" : "false") {}

  absl::string_view key;
  std::string value;
};

// Formats one line (without the trailing newline); values with spaces,
// quotes or '=' are quoted.
std::string FormatLine(absl::string_view timestamp, Level level,
                       absl::string_view event,
                       std::initializer_list<Field> fields);

// Writes one line to stderr; thread-safe; lines never interleave.
void Emit(Level level, absl::string_view event,
          std::initializer_list<Field> fields);

// Lines below this level are discarded (default kInfo).
void SetMinLevel(Level level);

inline void Debug(absl::string_view event,
                  std::initializer_list<Field> f = {}) {
  Emit(Level::kDebug, event, f);
}
inline void Info(absl::string_view event, std::initializer_list<Field> f = {}) {
  Emit(Level::kInfo, event, f);
}
inline void Warning(absl::string_view event,
                    std::initializer_list<Field> f = {}) {
  Emit(Level::kWarning, event, f);
}
inline void Error(absl::string_view event,
                  std::initializer_list<Field> f = {}) {
  Emit(Level::kError, event, f);
}

}  // namespace speckd::log

#endif  // SPECKD_SERVER_LOG_LOG_H_
