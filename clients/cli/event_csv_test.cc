#include "clients/cli/event_csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::cli {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(absl::string_view text,
                    const chip::SpeckConfig* config = nullptr) {
  absl::StatusOr<EventFile> file = ParseEventCsv("ev.csv", text, config);
  EXPECT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(file.status().message());
}

TEST(EventCsvTest, ReadsDvsEvents) {
  absl::StatusOr<EventFile> file = ParseEventCsv(
      "ev.csv", "timestamp_us,x,y,p\r\n0,1,2,1\r\n\n5,127,0,0\n", nullptr);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->format, EventFormat::kDvsEvents);
  const speckd::v1::DvsEventBatch& dvs = file->events.dvs_events();
  ASSERT_EQ(dvs.timestamp_us_size(), 2);
  EXPECT_FALSE(file->events.has_spikes());
  EXPECT_TRUE(dvs.p(0));
  EXPECT_EQ(dvs.x(1), 127u);
  EXPECT_EQ(dvs.timestamp_us(1), 5u);
}

TEST(EventCsvTest, ReadsSpikesIntoCores) {
  absl::StatusOr<EventFile> file = ParseEventCsv(
      "ev.csv", "timestamp_us, layer, feature, x, y\n10, 3, 700, 4, 5\n",
      nullptr);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->format, EventFormat::kSpikes);
  const speckd::v1::SpikeBatch& spikes = file->events.spikes();
  ASSERT_EQ(spikes.timestamp_us_size(), 1);
  EXPECT_EQ(spikes.timestamp_us(0), 10u);
  EXPECT_EQ(spikes.layer(0), 3u);
  EXPECT_EQ(spikes.feature(0), 700u);
  EXPECT_EQ(spikes.x(0), 4u);
  EXPECT_EQ(spikes.y(0), 5u);
}

TEST(EventCsvTest, ErrorsNameFileLineAndField) {
  EXPECT_EQ(ErrorOf("t,x,y\n"),
            "ev.csv:1: header: 't,x,y' is neither 'timestamp_us,x,y,p' "
            "(DvsEvents) nor 'timestamp_us,layer,feature,x,y' (Spikes)");
  EXPECT_EQ(ErrorOf("timestamp_us,x,y,p\n0,1,2,1\n1,130,2,1\n"),
            "ev.csv:3: x: 130 is outside the DVS array (0..127)");
  EXPECT_EQ(ErrorOf("timestamp_us,x,y,p\n0,1,200,1\n"),
            "ev.csv:2: y: 200 is outside the DVS array (0..127)");
  EXPECT_EQ(ErrorOf("timestamp_us,x,y,p\n0,1,2,2\n"),
            "ev.csv:2: p: 2 must be 0 (OFF) or 1 (ON)");
  EXPECT_EQ(ErrorOf("timestamp_us,x,y,p\n0,1,-2,1\n"),
            "ev.csv:2: y: '-2' is not a non-negative integer");
  EXPECT_EQ(ErrorOf("timestamp_us,x,y,p\n9,1,2,1\n8,1,2,1\n"),
            "ev.csv:3: timestamp_us: 8 goes back from 9 (timestamps must not "
            "decrease)");
  EXPECT_EQ(ErrorOf("timestamp_us,x,y,p\n9,1,2\n"),
            "ev.csv:2: row: 3 fields, expected 4");
  EXPECT_EQ(ErrorOf("timestamp_us,layer,feature,x,y\n0,9,0,0,0\n"),
            "ev.csv:2: layer: 9 is not a core (0..8)");
  EXPECT_THAT(ErrorOf(""), HasSubstr("ev.csv: empty"));
}

TEST(EventCsvTest, SpikesAreCheckedAgainstTheConfiguration) {
  chip::SpeckConfig config;
  config.cnn_layers[0].dimensions.input_shape = {{16, 8}, 2};
  config.cnn_layers[0].dimensions.output_shape = {{1, 1}, 1};
  const std::string header = "timestamp_us,layer,feature,x,y\n";
  EXPECT_EQ(ErrorOf(header + "0,1,0,0,0\n", &config),
            "ev.csv:2: layer: core 1 is not in use in the configuration");
  EXPECT_EQ(ErrorOf(header + "0,0,2,0,0\n", &config),
            "ev.csv:2: feature: 2 is outside core 0's input features (0..1)");
  EXPECT_EQ(ErrorOf(header + "0,0,1,16,0\n", &config),
            "ev.csv:2: x: 16 is outside core 0's input width (0..15)");
  EXPECT_EQ(ErrorOf(header + "0,0,1,15,8\n", &config),
            "ev.csv:2: y: 8 is outside core 0's input height (0..7)");
  EXPECT_TRUE(ParseEventCsv("ev.csv", header + "0,0,1,15,7\n", &config).ok());
}

TEST(EventCsvTest, WritesSpikesAsCsv) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  WriteSpikeCsvHeader(out);
  WriteSpikeCsv({{5000, 1, 0, 0, 0}, {5200, 700, 13, 127, 3}}, out);
  std::fclose(out);
  EXPECT_EQ(
      std::string(buffer, size),
      "timestamp_us,layer,feature,x,y\n5000,0,1,0,0\n5200,13,700,127,3\n");
  free(buffer);
}

}  // namespace
}  // namespace speckd::cli
