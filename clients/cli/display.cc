#include "clients/cli/display.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/cli/command.h"

namespace speckd::cli {
namespace {

constexpr absl::Duration kTerminalRedraw = absl::Milliseconds(100);
constexpr absl::Duration kLogRedraw = absl::Seconds(1);

double Rate(uint64_t done, absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(done) / seconds : 0;
}

std::string Eta(uint64_t done, uint64_t total, absl::Duration elapsed,
                std::optional<absl::Duration> eta) {
  if (done >= total) return "done";
  if (eta.has_value()) {
    return absl::StrCat("ETA ",
                        HumanDuration(std::max(absl::ZeroDuration(), *eta)));
  }
  const double rate = Rate(done, elapsed);
  if (rate <= 0) return "ETA ?";
  return absl::StrCat(
      "ETA ",
      HumanDuration(absl::Seconds(static_cast<double>(total - done) / rate)));
}

int Percent(uint64_t done, uint64_t total) {
  if (total == 0) return 100;
  return static_cast<int>(100.0 * static_cast<double>(done) /
                          static_cast<double>(total));
}

}  // namespace

std::string HumanCount(double value) {
  if (value < 1000) return absl::StrFormat("%.0f", value);
  if (value < 1e6) return absl::StrFormat("%.3gk", value / 1e3);
  if (value < 1e9) return absl::StrFormat("%.3gM", value / 1e6);
  return absl::StrFormat("%.3gG", value / 1e9);
}

std::string HumanDuration(absl::Duration d) {
  const double s = absl::ToDoubleSeconds(d);
  if (s < 10) return absl::StrFormat("%.1f s", s);
  if (s < 60) return absl::StrFormat("%.0f s", s);
  const int64_t whole = static_cast<int64_t>(s);
  return absl::StrFormat("%d min %02d s", whole / 60, whole % 60);
}

const ProgressUnit ProgressUnit::kEvents = {"events", "ev/s", "write"};
const ProgressUnit ProgressUnit::kSamples = {"samples", "samples/s",
                                             "simulate"};

std::string ProgressBar(uint64_t done, uint64_t total, absl::Duration elapsed,
                        int width, std::optional<absl::Duration> eta,
                        const ProgressUnit& unit) {
  const int filled =
      total == 0 ? width
                 : static_cast<int>(static_cast<double>(width) *
                                    static_cast<double>(std::min(done, total)) /
                                    static_cast<double>(total));
  return absl::StrCat("[", std::string(filled, '#'),
                      std::string(width - filled, '-'), "] ", done, "/", total,
                      " ", unit.noun, "  ", Percent(done, total), "%  ",
                      HumanCount(Rate(done, elapsed)), " ", unit.rate, "  ",
                      Eta(done, total, elapsed, eta));
}

std::string ProgressText(uint64_t done, uint64_t total, absl::Duration elapsed,
                         std::optional<absl::Duration> eta,
                         const ProgressUnit& unit) {
  return absl::StrCat(done, "/", total, " ", unit.noun, " (",
                      Percent(done, total), "%), ",
                      HumanCount(Rate(done, elapsed)), " ", unit.rate, ", ",
                      Eta(done, total, elapsed, eta));
}

Progress::Progress(std::FILE* out, bool tty, uint64_t total, Clock now)
    : out_(out),
      tty_(tty),
      total_(total),
      now_(std::move(now)),
      start_(now_()),
      last_draw_(start_) {}

void Progress::Update(uint64_t done, std::optional<absl::Duration> eta) {
  const absl::Time now = now_();
  if (now - last_draw_ < (tty_ ? kTerminalRedraw : kLogRedraw)) return;
  last_draw_ = now;
  Draw(done, eta);
}

void Progress::Finish(uint64_t done) {
  Draw(done, std::nullopt);
  if (tty_) std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::Draw(uint64_t done, std::optional<absl::Duration> eta) {
  ++redraws_;
  if (tty_) {
    // \r back to the line start; \x1b[K clears what a longer line left.
    std::fprintf(out_, "\r%s\x1b[K",
                 ProgressBar(done, total_, elapsed(), 30, eta, *unit_).c_str());
  } else {
    std::fprintf(out_, "speckctl: %s: %s\n", unit_->what,
                 ProgressText(done, total_, elapsed(), eta, *unit_).c_str());
  }
  std::fflush(out_);
}

std::string BarChart::Label(size_t feature) const {
  if (feature < labels_.size()) return labels_[feature];
  return absl::StrCat("feature ", feature);
}

std::vector<std::string> BarChart::Render(uint64_t window_start_us,
                                          uint64_t window_end_us,
                                          const std::vector<uint32_t>& counts) {
  for (uint32_t c : counts) max_seen_ = std::max(max_seen_, c);
  size_t label_width = 0;
  for (size_t f = 0; f < counts.size(); ++f) {
    label_width = std::max(label_width, Label(f).size());
  }
  std::vector<std::string> lines;
  lines.push_back(
      absl::StrFormat("window %.3f s .. %.3f s   (bars scaled to %u)",
                      static_cast<double>(window_start_us) / 1e6,
                      static_cast<double>(window_end_us) / 1e6, max_seen_));
  for (size_t f = 0; f < counts.size(); ++f) {
    const int length =
        max_seen_ == 0
            ? 0
            : static_cast<int>(std::lround(static_cast<double>(bar_width_) *
                                           counts[f] / max_seen_));
    lines.push_back(
        absl::StrFormat("%-*s %s%s %u", static_cast<int>(label_width), Label(f),
                        std::string(length, '#'),
                        std::string(bar_width_ - length, ' '), counts[f]));
  }
  return lines;
}

std::string BarChart::Redraw(uint64_t window_start_us, uint64_t window_end_us,
                             const std::vector<uint32_t>& counts) {
  std::string out;
  // Cursor up over the previous chart; each line is cleared as it is drawn.
  if (lines_drawn_ > 0) absl::StrAppend(&out, "\x1b[", lines_drawn_, "A");
  const std::vector<std::string> lines =
      Render(window_start_us, window_end_us, counts);
  for (const std::string& line : lines) {
    absl::StrAppend(&out, "\r", line, "\x1b[K\n");
  }
  lines_drawn_ = lines.size();
  return out;
}

std::string BarChart::Erase() {
  if (lines_drawn_ == 0) return "";
  // Up to the chart's first line, then clear to the end of the screen.
  std::string out = absl::StrCat("\x1b[", lines_drawn_, "A\r\x1b[J");
  lines_drawn_ = 0;
  return out;
}

CountsView::CountsView(std::vector<std::string> labels, size_t features,
                       Format format, bool tty, std::FILE* out)
    : format_(format),
      live_(tty && format == Format::kTable),
      out_(out),
      chart_(std::move(labels)),
      rows_(Columns(chart_, features), format, out) {}

std::vector<Column> CountsView::Columns(const BarChart& chart,
                                        size_t features) {
  std::vector<Column> columns = {
      {"window_start_us", "window_start_us", /*numeric=*/true, 15}};
  for (size_t f = 0; f < features; ++f) {
    // Labels name the columns when given; "count<N>" otherwise.
    std::string name = chart.Label(f);
    if (name == absl::StrCat("feature ", f)) name = absl::StrCat("count", f);
    columns.push_back({name, name, /*numeric=*/true,
                       std::max(8, static_cast<int>(name.size()))});
  }
  return columns;
}

void CountsView::Begin() {
  if (!live_) rows_.Header();
}

void CountsView::Window(uint64_t window_start_us, uint64_t window_end_us,
                        const std::vector<uint32_t>& counts) {
  if (live_) {
    std::fputs(chart_.Redraw(window_start_us, window_end_us, counts).c_str(),
               out_);
    std::fflush(out_);
    return;
  }
  if (format_ == Format::kJson) {
    JsonObject object;
    object.AddUint("window_start_us", window_start_us)
        .AddUint("window_end_us", window_end_us)
        .AddUintArray("counts", counts);
    std::fprintf(out_, "%s\n", object.str().c_str());
    return;
  }
  std::vector<std::string> cells = {absl::StrCat(window_start_us)};
  for (uint32_t c : counts) cells.push_back(absl::StrCat(c));
  rows_.Row(cells);
}

void CountsView::Notice(absl::string_view text, bool restart) {
  if (restart) chart_.Rescale();
  if (!live_) {
    std::fflush(out_);
    Note(text);
    return;
  }
  std::fprintf(out_, "%sspeckctl: %.*s\n", chart_.Erase().c_str(),
               static_cast<int>(text.size()), text.data());
  std::fflush(out_);
}

void CountsView::EmptyWindows(uint64_t first_start_us, uint64_t interval_us,
                              uint64_t n) {
  if (live_) return;  // the next window redraws the chart
  if (format_ == Format::kTable) {
    std::fprintf(
        out_, "  ... %llu empty windows (%llu..%llu us)\n",
        static_cast<unsigned long long>(n),
        static_cast<unsigned long long>(first_start_us),
        static_cast<unsigned long long>(first_start_us + n * interval_us));
    return;
  }
  const std::vector<uint32_t> zeros(rows_.columns() - 1, 0);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t start = first_start_us + i * interval_us;
    Window(start, start + interval_us, zeros);
  }
}

}  // namespace speckd::cli
