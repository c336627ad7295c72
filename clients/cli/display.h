// Live views on a terminal: the progress bar of `write` and the per-class
// bar chart of `watch counts` / `demo`. Text only; the caller decides where
// it goes (and whether the output is a terminal).
#ifndef SPECKD_CLIENTS_CLI_DISPLAY_H_
#define SPECKD_CLIENTS_CLI_DISPLAY_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli/output.h"

namespace speckd::cli {

// 950 -> "950", 12345 -> "12.3k", 4560000 -> "4.56M".
std::string HumanCount(double value);
// "0.4 s", "12 s", "3 min 05 s".
std::string HumanDuration(absl::Duration d);

// What a progress bar counts, and the name its log lines go under.
struct ProgressUnit {
  const char* noun;  // "events"
  const char* rate;  // "ev/s"
  const char* what;  // "write": "speckctl: write: ..." in logs
  static const ProgressUnit kEvents;
  static const ProgressUnit kSamples;
};

// "[##########----------] 12000/25001 events  48%  5.12k ev/s  ETA 2.5 s";
// the ETA from the rate so far unless `eta` says better.
std::string ProgressBar(uint64_t done, uint64_t total, absl::Duration elapsed,
                        int width = 30,
                        std::optional<absl::Duration> eta = std::nullopt,
                        const ProgressUnit& unit = ProgressUnit::kEvents);
// "12000/25001 events (48%), 5.12k ev/s, ETA 2.5 s"
std::string ProgressText(uint64_t done, uint64_t total, absl::Duration elapsed,
                         std::optional<absl::Duration> eta = std::nullopt,
                         const ProgressUnit& unit = ProgressUnit::kEvents);

// Progress of a long operation on `out`: on a terminal a bar redrawn in
// place with '\r' at most 10 times per second; otherwise plain lines at most
// once per second, so logs stay readable.
class Progress {
 public:
  using Clock = std::function<absl::Time()>;
  Progress(
      std::FILE* out, bool tty, uint64_t total,
      Clock now = [] { return absl::Now(); });
  // Redraws if the last redraw is old enough. `eta`: what is left, when the
  // caller knows better than the rate so far (a device playing in real
  // time).
  void Update(uint64_t done, std::optional<absl::Duration> eta = std::nullopt);
  // Draws the final state (a terminal gets its newline).
  void Finish(uint64_t done);
  void set_unit(const ProgressUnit& unit) { unit_ = &unit; }
  int redraws() const { return redraws_; }
  absl::Duration elapsed() const { return now_() - start_; }

 private:
  void Draw(uint64_t done, std::optional<absl::Duration> eta);

  std::FILE* out_;
  bool tty_;
  uint64_t total_;
  const ProgressUnit* unit_ = &ProgressUnit::kEvents;
  Clock now_;
  absl::Time start_;
  // The first draw comes one period in: short writes only show Finish().
  absl::Time last_draw_;
  int redraws_ = 0;
};

// One horizontal bar per feature, scaled to the largest count seen so far
// (so bars are comparable across windows), headed by the window's time:
//
//   window 1.250 s .. 1.300 s   (bars scaled to 250)
//   top      ######################################## 250
//   bottom                                              0
class BarChart {
 public:
  explicit BarChart(std::vector<std::string> labels, int bar_width = 40)
      : labels_(std::move(labels)), bar_width_(bar_width) {}

  std::vector<std::string> Render(uint64_t window_start_us,
                                  uint64_t window_end_us,
                                  const std::vector<uint32_t>& counts);
  // Render() with the terminal codes that draw it over the previous chart.
  std::string Redraw(uint64_t window_start_us, uint64_t window_end_us,
                     const std::vector<uint32_t>& counts);
  // "top" or, without labels, "feature 3".
  std::string Label(size_t feature) const;
  // The terminal codes that wipe the chart drawn last (the next Redraw
  // starts a new one where it stood).
  std::string Erase();
  // Scale the bars afresh (after a stop-watch reset: a new run).
  void Rescale() { max_seen_ = 0; }

 private:
  std::vector<std::string> labels_;
  int bar_width_;
  uint32_t max_seen_ = 0;
  size_t lines_drawn_ = 0;
};

// How `watch counts` and `demo` show spike-count windows: the bar chart
// redrawn in place when the output is a terminal and the format a table;
// otherwise one row per window ("window_start_us,<label or countN>...") in
// table or csv form, or one JSON object per line.
class CountsView {
 public:
  CountsView(std::vector<std::string> labels, size_t features, Format format,
             bool tty, std::FILE* out);
  // The header (tables and csv); call once the stream is attached.
  void Begin();
  void Window(uint64_t window_start_us, uint64_t window_end_us,
              const std::vector<uint32_t>& counts);
  // `n` empty windows of `interval_us` from `first_start_us`, which the
  // daemon sends as one (SpikeCount.empty_windows_before): csv and json get
  // a row each; a table one line saying how many.
  void EmptyWindows(uint64_t first_start_us, uint64_t interval_us, uint64_t n);
  // A notice ("stop watch reset: …"): on the live chart, printed where the
  // chart was, which then starts over below it (rescaled with `restart`);
  // otherwise a "speckctl: " line on stderr.
  void Notice(absl::string_view text, bool restart);
  void Flush() { std::fflush(out_); }
  const BarChart& chart() const { return chart_; }

 private:
  static std::vector<Column> Columns(const BarChart& chart, size_t features);

  Format format_;
  bool live_;
  std::FILE* out_;
  BarChart chart_;
  RowPrinter rows_;
};

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_DISPLAY_H_
