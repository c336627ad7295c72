#include "clients/cli/display.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class Captured {
 public:
  Captured() : file_(open_memstream(&data_, &size_)) {}
  ~Captured() {
    std::fclose(file_);
    std::free(data_);
  }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

// A clock the test moves by hand.
struct FakeClock {
  absl::Time now = absl::UnixEpoch();
  Progress::Clock clock() {
    return [this] { return now; };
  }
};

TEST(HumanTest, CountsAndDurations) {
  EXPECT_EQ(HumanCount(950), "950");
  EXPECT_EQ(HumanCount(12345), "12.3k");
  EXPECT_EQ(HumanCount(4560000), "4.56M");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(2500)), "2.5 s");
  EXPECT_EQ(HumanDuration(absl::Seconds(42)), "42 s");
  EXPECT_EQ(HumanDuration(absl::Seconds(185)), "3 min 05 s");
}

TEST(ProgressTest, BarShowsCountRateAndEta) {
  EXPECT_EQ(ProgressBar(5000, 25001, absl::Seconds(1), 10),
            "[#---------] 5000/25001 events  19%  5k ev/s  ETA 4.0 s");
  EXPECT_EQ(ProgressBar(25001, 25001, absl::Seconds(5), 10),
            "[##########] 25001/25001 events  100%  5k ev/s  done");
  EXPECT_EQ(ProgressText(0, 10, absl::ZeroDuration()),
            "0/10 events (0%), 0 ev/s, ETA ?");
  // A device playing in real time knows better than the rate so far.
  EXPECT_EQ(ProgressText(5000, 25001, absl::Seconds(1), absl::Seconds(30)),
            "5000/25001 events (19%), 5k ev/s, ETA 30 s");
}

TEST(ProgressTest, TerminalRedrawsInPlaceAtMostTenTimesASecond) {
  Captured out;
  FakeClock clock;
  Progress progress(out.file(), /*tty=*/true, 1000, clock.clock());
  // 100 updates over one second: 10 ms apart.
  for (int i = 1; i <= 100; ++i) {
    clock.now += absl::Milliseconds(10);
    progress.Update(static_cast<uint64_t>(i) * 10);
  }
  EXPECT_EQ(progress.redraws(), 10);
  progress.Finish(1000);
  const std::string text = out.text();
  EXPECT_THAT(text, StartsWith("\r["));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 11);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_THAT(text, HasSubstr("1000/1000 events  100%"));
}

TEST(ProgressTest, LogsGetPlainLinesAtMostOnceASecond) {
  Captured out;
  FakeClock clock;
  Progress progress(out.file(), /*tty=*/false, 3000, clock.clock());
  for (int i = 1; i <= 30; ++i) {
    clock.now += absl::Milliseconds(100);
    progress.Update(static_cast<uint64_t>(i) * 100);
  }
  progress.Finish(3000);
  std::vector<std::string> lines =
      absl::StrSplit(out.text(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);  // at 1 s, 2 s, 3 s, and the final one
  EXPECT_EQ(lines[0],
            "speckctl: write: 1000/3000 events (33%), 1k ev/s, ETA 2.0 s");
  EXPECT_EQ(lines[3],
            "speckctl: write: 3000/3000 events (100%), 1k ev/s, done");
  EXPECT_FALSE(absl::StrContains(out.text(), "\r"));
}

TEST(BarChartTest, ScalesToTheLargestCountSeen) {
  BarChart chart({"top", "bottom"}, /*bar_width=*/10);
  EXPECT_THAT(chart.Render(0, 50000, {225, 0}),
              ElementsAre("window 0.000 s .. 0.050 s   (bars scaled to 225)",
                          "top    ########## 225", "bottom            0"));
  // 26 of the 250 seen so far: one bar in ten.
  chart.Render(50000, 100000, {250, 0});
  EXPECT_THAT(chart.Render(5000000, 5050000, {0, 26}),
              ElementsAre("window 5.000 s .. 5.050 s   (bars scaled to 250)",
                          "top               0", "bottom #          26"));
  EXPECT_EQ(chart.Label(5), "feature 5");
}

TEST(BarChartTest, RedrawMovesUpOverThePreviousChart) {
  BarChart chart({"a"}, 4);
  const std::string first = chart.Redraw(0, 10, {1});
  EXPECT_FALSE(absl::StrContains(first, "\x1b[2A"));
  const std::string second = chart.Redraw(10, 20, {2});
  EXPECT_THAT(second, StartsWith("\x1b[2A\r"));
  EXPECT_THAT(second, HasSubstr("\ra #### 2\x1b[K\n"));
}

TEST(CountsViewTest, RowsWhenNotATerminal) {
  Captured csv;
  CountsView view({"top", "bottom"}, 2, Format::kCsv, /*tty=*/false,
                  csv.file());
  view.Begin();
  view.Window(0, 50000, {225, 0});
  EXPECT_EQ(csv.text(), "window_start_us,top,bottom\n0,225,0\n");

  Captured unnamed;
  CountsView plain({}, 3, Format::kCsv, /*tty=*/true, unnamed.file());
  plain.Begin();
  plain.Window(50000, 100000, {1, 2, 3});
  EXPECT_EQ(unnamed.text(),
            "window_start_us,count0,count1,count2\n50000,1,2,3\n");

  Captured json;
  CountsView lines({}, 2, Format::kJson, /*tty=*/false, json.file());
  lines.Begin();
  lines.Window(0, 50000, {225, 0});
  EXPECT_EQ(json.text(),
            "{\"window_start_us\":0,\"window_end_us\":50000,\"counts\":[225,0]"
            "}\n");
}

TEST(CountsViewTest, ChartOnATerminalTable) {
  Captured out;
  CountsView view({"top", "bottom"}, 2, Format::kTable, /*tty=*/true,
                  out.file());
  view.Begin();
  view.Window(0, 50000, {225, 0});
  EXPECT_THAT(out.text(), HasSubstr("window 0.000 s .. 0.050 s"));
  EXPECT_THAT(out.text(), HasSubstr("top    ####"));
}

// A reset mid-watch: the notice replaces the stale chart, and the chart
// starts over below it, rescaled.
TEST(CountsViewTest, ANoticeOnTheLiveChartTakesItsPlaceAndStartsItOver) {
  Captured out;
  CountsView view({"top"}, 1, Format::kTable, /*tty=*/true, out.file());
  view.Window(0, 50000, {200});
  view.Notice("notice: stop_watch_reset: epoch 1", /*restart=*/true);
  view.Window(0, 50000, {10});
  const std::string text = out.text();
  // Up over the two chart lines, cleared, then the notice.
  EXPECT_THAT(text, HasSubstr("\x1b[2A\r\x1b[Jspeckctl: notice: "
                              "stop_watch_reset: epoch 1\n"));
  // The new chart is drawn fresh (no cursor-up), scaled to its own count.
  const std::string after = text.substr(text.find("epoch 1\n") + 8);
  EXPECT_FALSE(absl::StrContains(after, "\x1b[2A"));
  EXPECT_THAT(after, HasSubstr("(bars scaled to 10)"));
}

}  // namespace
}  // namespace speckd::cli
