#include "server/web/grpc_web.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server::web {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(GrpcWebTest, ContentTypes) {
  EXPECT_EQ(ParseContentType("application/grpc-web"), WireFormat::kBinary);
  EXPECT_EQ(ParseContentType("application/grpc-web+proto"),
            WireFormat::kBinary);
  EXPECT_EQ(ParseContentType("application/grpc-web-text"), WireFormat::kText);
  EXPECT_EQ(ParseContentType("Application/GRPC-Web-Text+proto; charset=utf-8"),
            WireFormat::kText);
  EXPECT_EQ(ParseContentType("application/json"), std::nullopt);
  EXPECT_EQ(ParseContentType("application/grpc"), std::nullopt);
}

TEST(GrpcWebTest, DataFramesRoundTripInBothFormats) {
  for (WireFormat format : {WireFormat::kBinary, WireFormat::kText}) {
    const std::string body = EncodeDataFrame("abc", format) +
                             EncodeDataFrame("", format) +
                             EncodeDataFrame(std::string(70000, 'x'), format);
    absl::StatusOr<std::vector<std::string>> messages =
        DecodeRequestBody(body, format);
    ASSERT_TRUE(messages.ok()) << messages.status();
    ASSERT_EQ(messages->size(), 3u);
    EXPECT_EQ((*messages)[0], "abc");
    EXPECT_EQ((*messages)[1], "");
    EXPECT_EQ((*messages)[2].size(), 70000u);
  }
}

TEST(GrpcWebTest, BinaryFrameLayout) {
  EXPECT_EQ(EncodeDataFrame("hi", WireFormat::kBinary),
            std::string("\x00\x00\x00\x00\x02hi", 7));
}

TEST(GrpcWebTest, TrailersFrameCarriesStatusAndEncodedMessage) {
  const std::string frame =
      EncodeTrailers(3, "spikes[1].x: 16 is 100% wrong\n", WireFormat::kBinary);
  ASSERT_GE(frame.size(), 5u);
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0x80);
  const std::string block = frame.substr(5);
  EXPECT_EQ(
      block,
      "grpc-status:3\r\ngrpc-message:spikes[1].x: 16 is 100%25 wrong%0A\r\n");
  EXPECT_EQ(static_cast<size_t>(static_cast<uint8_t>(frame[4])), block.size());

  std::string decoded;
  ASSERT_TRUE(
      absl::Base64Unescape(EncodeTrailers(0, "", WireFormat::kText), &decoded));
  EXPECT_EQ(decoded.substr(5), "grpc-status:0\r\n");
}

TEST(GrpcWebTest, MalformedBodiesAreClearErrors) {
  auto error = [](absl::string_view body, WireFormat format) {
    absl::StatusOr<std::vector<std::string>> m =
        DecodeRequestBody(body, format);
    EXPECT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(m.status().message());
  };
  EXPECT_THAT(error(std::string("\x00\x00\x00", 3), WireFormat::kBinary),
              HasSubstr("cut short"));
  EXPECT_THAT(
      error(std::string("\x00\x00\x00\x00\x09hi", 7), WireFormat::kBinary),
      HasSubstr("announces 9 bytes but 2 follow"));
  EXPECT_THAT(
      error(std::string("\x80\x00\x00\x00\x00", 5), WireFormat::kBinary),
      HasSubstr("flag 0x80"));
  EXPECT_THAT(error("not*base64!", WireFormat::kText), HasSubstr("base64"));
}

TEST(GrpcWebTest, TextBodiesMayBeSeveralPaddedSegments) {
  const std::string a =
      absl::Base64Escape(std::string("\x00\x00\x00\x00\x01"
                                     "a",
                                     6));
  const std::string b =
      absl::Base64Escape(std::string("\x00\x00\x00\x00\x02"
                                     "bc",
                                     7));
  absl::StatusOr<std::vector<std::string>> m =
      DecodeRequestBody(a + b, WireFormat::kText);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(*m, ElementsAre("a", "bc"));
}

TEST(GrpcWebTest, GrpcTimeoutUnits) {
  EXPECT_EQ(ParseGrpcTimeout("10S"), absl::Seconds(10));
  EXPECT_EQ(ParseGrpcTimeout("500m"), absl::Milliseconds(500));
  EXPECT_EQ(ParseGrpcTimeout("2M"), absl::Minutes(2));
  EXPECT_EQ(ParseGrpcTimeout("7u"), absl::Microseconds(7));
  EXPECT_EQ(ParseGrpcTimeout("1H"), absl::Hours(1));
  EXPECT_EQ(ParseGrpcTimeout("10"), std::nullopt);
  EXPECT_EQ(ParseGrpcTimeout("xS"), std::nullopt);
}

}  // namespace
}  // namespace speckd::server::web
