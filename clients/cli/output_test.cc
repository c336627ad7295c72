#include "clients/cli/output.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/device_service.pb.h"

namespace speckd::cli {
namespace {

using ::testing::HasSubstr;

Table Devices() {
  Table table({{"id", "ID"},
               {"holder", "LEASE"},
               {"events_in", "EVENTS IN", /*numeric=*/true}});
  table.AddRow({"speck2edevkit:0", "-", "25001"});
  table.AddRow({"speck2edevkit:1", "alice, \"lab\"", "7"});
  return table;
}

// What a RowPrinter wrote, via an in-memory FILE.
class Captured {
 public:
  Captured() : file_(open_memstream(&data_, &size_)) {}
  ~Captured() {
    if (file_ != nullptr) std::fclose(file_);
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

TEST(FormatTest, ParsesTheThreeFormats) {
  EXPECT_EQ(*ParseFormat(""), Format::kTable);
  EXPECT_EQ(*ParseFormat("table"), Format::kTable);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_EQ(*ParseFormat("csv"), Format::kCsv);
  absl::StatusOr<Format> file = ParseFormat("/tmp/out.csv");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(file.status().message(), HasSubstr("table, json or csv"));
}

TEST(QuotingTest, JsonAndCsv) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(TableTest, AlignsColumnsNumbersRight) {
  EXPECT_EQ(Devices().Render(Format::kTable),
            "ID               LEASE         EVENTS IN\n"
            "speck2edevkit:0  -                 25001\n"
            "speck2edevkit:1  alice, \"lab\"          7\n");
}

TEST(TableTest, CsvHasKeysThenQuotedRows) {
  EXPECT_EQ(Devices().Render(Format::kCsv),
            "id,holder,events_in\n"
            "speck2edevkit:0,-,25001\n"
            "speck2edevkit:1,\"alice, \"\"lab\"\"\",7\n");
}

TEST(TableTest, JsonIsAnArrayThatParses) {
  const std::string json = Devices().Render(Format::kJson);
  EXPECT_EQ(
      json,
      "[{\"id\":\"speck2edevkit:0\",\"holder\":\"-\",\"events_in\":25001},"
      "{\"id\":\"speck2edevkit:1\",\"holder\":\"alice, \\\"lab\\\"\","
      "\"events_in\":7}]\n");
  google::protobuf::Value value;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &value).ok());
  ASSERT_EQ(value.list_value().values_size(), 2);
  EXPECT_EQ(value.list_value()
                .values(1)
                .struct_value()
                .fields()
                .at("events_in")
                .number_value(),
            7);
}

TEST(JsonObjectTest, BuildsOneObject) {
  JsonObject o;
  o.AddString("kind", "value")
      .AddUint("t", 5)
      .AddInt("d", -2)
      .AddBool("ok", true)
      .AddUintArray("counts", {225, 0})
      .AddStringArray("labels", {"top", "bottom"})
      .AddDouble("w", 0.5)
      .AddRaw("raw", "{}");
  EXPECT_EQ(o.str(),
            "{\"kind\":\"value\",\"t\":5,\"d\":-2,\"ok\":true,\"counts\":[225,"
            "0],\"labels\":[\"top\",\"bottom\"],\"w\":0.5,\"raw\":{}}");
}

TEST(ProtoJsonTest, KeepsProtoNamesAndZeroValues) {
  speckd::v1::Device device;
  device.set_id("speck2edevkit:0");
  device.set_backend(speckd::v1::SIM);
  const std::string json = ProtoJson(device);
  EXPECT_THAT(json, HasSubstr("\"type_name\":\"\""));
  EXPECT_THAT(json, HasSubstr("\"events_in\":\"0\""));
  EXPECT_THAT(json, HasSubstr("\"backend\":\"SIM\""));
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

TEST(RowPrinterTest, TableCsvAndJsonLines) {
  std::vector<Column> columns = {{"timestamp_us", "t_us", true, 8},
                                 {"layer", "layer", true, 5}};
  Captured table;
  RowPrinter t(columns, Format::kTable, table.file());
  t.Header();
  t.Row({"100", "0"});
  EXPECT_EQ(table.text(), "    t_us  layer\n     100      0\n");

  Captured csv;
  RowPrinter c(columns, Format::kCsv, csv.file());
  c.Header();
  c.Row({"100", "0"});
  EXPECT_EQ(csv.text(), "timestamp_us,layer\n100,0\n");

  Captured json;
  RowPrinter j(columns, Format::kJson, json.file());
  j.Header();
  j.Row({"100", "0"});
  EXPECT_EQ(json.text(), "{\"timestamp_us\":100,\"layer\":0}\n");
}

}  // namespace
}  // namespace speckd::cli
