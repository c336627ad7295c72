#include "server/log/log.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace speckd::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

bool NeedsQuotes(absl::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t' ||
        static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void AppendValue(std::string* out, absl::string_view v) {
  if (NeedsQuotes(v)) {
    absl::StrAppend(out, "\"", absl::CHexEscape(v), "\"");
  } else {
    absl::StrAppend(out, v);
  }
}

}  // namespace

std::string FormatLine(absl::string_view timestamp, Level level,
                       absl::string_view event,
                       std::initializer_list<Field> fields) {
  std::string line =
      absl::StrCat("ts=", timestamp, " level=", LevelName(level), " event=");
  AppendValue(&line, event);
  for (const Field& f : fields) {
    absl::StrAppend(&line, " ", f.key, "=");
    AppendValue(&line, f.value);
  }
  return line;
}

void Emit(Level level, absl::string_view event,
          std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) {
    return;
  }
  std::string line =
      FormatLine(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                  absl::UTCTimeZone()),
                 level, event, fields);
  line.push_back('\n');
  // One fwrite per line: stdio locks the stream, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void SetMinLevel(Level level) {
  min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

}  // namespace speckd::log
