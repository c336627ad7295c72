#include "clients/cli/event_csv.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "driver/chip/input_check.h"

namespace speckd::cli {
namespace {

constexpr const char* kDvsColumns[] = {"timestamp_us", "x", "y", "p"};
constexpr const char* kSpikeColumns[] = {"timestamp_us", "layer", "feature",
                                         "x", "y"};

absl::Status RowError(absl::string_view file, size_t line,
                      absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(file, ":", line, ": ", field, ": ", message));
}

bool HeaderIs(const std::vector<absl::string_view>& cells,
              absl::Span<const char* const> columns) {
  if (cells.size() != columns.size()) return false;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (absl::StripAsciiWhitespace(cells[i]) != columns[i]) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<EventFile> ParseEventCsv(absl::string_view name,
                                        absl::string_view text,
                                        const chip::SpeckConfig* config) {
  EventFile file;
  const chip::InputCheck check(config);
  size_t line_number = 0;
  bool have_header = false;
  size_t columns = 0;
  uint64_t previous_t = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<absl::string_view> cells = absl::StrSplit(line, ',');
    if (!have_header) {
      if (HeaderIs(cells, kDvsColumns)) {
        file.format = EventFormat::kDvsEvents;
      } else if (HeaderIs(cells, kSpikeColumns)) {
        file.format = EventFormat::kSpikes;
      } else {
        return RowError(
            name, line_number, "header",
            absl::StrCat("'", line, "' is neither '",
                         absl::StrJoin(kDvsColumns, ","), "' (DvsEvents) nor '",
                         absl::StrJoin(kSpikeColumns, ","), "' (Spikes)"));
      }
      columns = cells.size();
      have_header = true;
      continue;
    }
    if (cells.size() != columns) {
      return RowError(
          name, line_number, "row",
          absl::StrCat(cells.size(), " fields, expected ", columns));
    }
    const auto& names = file.format == EventFormat::kDvsEvents
                            ? absl::Span<const char* const>(kDvsColumns)
                            : absl::Span<const char* const>(kSpikeColumns);
    uint64_t values[5] = {};
    for (size_t i = 0; i < columns; ++i) {
      absl::string_view cell = absl::StripAsciiWhitespace(cells[i]);
      if (!absl::SimpleAtoi(cell, &values[i])) {
        return RowError(
            name, line_number, names[i],
            absl::StrCat("'", cell, "' is not a non-negative integer"));
      }
    }
    const uint64_t t = values[0];
    if (chip::InputProblem order = chip::OrderProblem(t, previous_t);
        !order.ok()) {
      return RowError(
          name, line_number, order.field,
          absl::StrCat(order.message, " (timestamps must not decrease)"));
    }
    previous_t = t;
    if (file.format == EventFormat::kDvsEvents) {
      const uint64_t x = values[1], y = values[2], p = values[3];
      if (!chip::InputCheck::DvsOk(x, y)) {
        const chip::InputProblem bad = chip::InputCheck::DvsProblem(x, y);
        return RowError(name, line_number, bad.field, bad.message);
      }
      if (p > 1) {
        return RowError(name, line_number, "p",
                        absl::StrCat(p, " must be 0 (OFF) or 1 (ON)"));
      }
      speckd::v1::DvsEventBatch* dvs = file.events.mutable_dvs_events();
      dvs->add_timestamp_us(t);
      dvs->add_x(static_cast<uint32_t>(x));
      dvs->add_y(static_cast<uint32_t>(y));
      dvs->add_p(p == 1);
      continue;
    }
    const uint64_t layer = values[1], feature = values[2], x = values[3],
                   y = values[4];
    if (!check.SpikeOk(layer, feature, x, y)) {
      const chip::InputProblem bad = check.SpikeProblem(layer, feature, x, y);
      return RowError(name, line_number, bad.field, bad.message);
    }
    speckd::v1::SpikeBatch* spikes = file.events.mutable_spikes();
    spikes->add_timestamp_us(t);
    spikes->add_layer(static_cast<uint32_t>(layer));
    spikes->add_feature(static_cast<uint32_t>(feature));
    spikes->add_x(static_cast<uint32_t>(x));
    spikes->add_y(static_cast<uint32_t>(y));
  }
  if (!have_header) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": empty; expected a header line '",
                     absl::StrJoin(kDvsColumns, ","), "' or '",
                     absl::StrJoin(kSpikeColumns, ","), "'"));
  }
  return file;
}

absl::StatusOr<EventFile> ReadEventCsv(const std::string& path,
                                       const chip::SpeckConfig* config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseEventCsv(path, text.str(), config);
}

void WriteSpikeCsvHeader(std::FILE* out) {
  std::fputs("timestamp_us,layer,feature,x,y\n", out);
}

void WriteSpikeCsv(const std::vector<chip::Spike>& spikes, std::FILE* out) {
  char line[64];
  for (const chip::Spike& s : spikes) {
    int n = std::snprintf(
        line, sizeof(line), "%llu,%u,%u,%u,%u\n",
        static_cast<unsigned long long>(s.timestamp_us),
        static_cast<unsigned>(s.layer), static_cast<unsigned>(s.feature),
        static_cast<unsigned>(s.x), static_cast<unsigned>(s.y));
    std::fwrite(line, 1, static_cast<size_t>(n), out);
  }
}

}  // namespace speckd::cli
