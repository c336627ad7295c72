#include "proto/codec/json_syntax.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::codec {
namespace {

std::string Problem(absl::string_view text) {
  const absl::Status s = CheckJsonSyntax(text);
  EXPECT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

TEST(JsonSyntaxTest, ValidJsonPasses) {
  for (const char* ok : {
           R"({})",
           R"([])",
           " \n{\"a\": [1, -0.5, 2e10, 3E-2, 0, -0], \"b\": {\"c\": null}}\n",
           R"({"s": "tab\t quote\" slash\/ \u00e9 \\", "t": true, "f": false})",
           "{\"utf8\": \"gr\xC3\xBC\xC3\x9F\"}",
           R"("a bare string")",
           R"(42)",
       }) {
    EXPECT_TRUE(CheckJsonSyntax(ok).ok()) << ok << ": " << CheckJsonSyntax(ok);
  }
}

TEST(JsonSyntaxTest, EachErrorSaysWhereAndWhat) {
  EXPECT_EQ(Problem("{\"cnn_layers\": [{\"threshold_high\": 127 \"x\": 1}]}"),
            "line 1, column 40: expected ',' or '}' after the value of "
            "\"threshold_high\"");
  EXPECT_EQ(
      Problem("{\n  \"a\": 1,\n  \"b\": 2,\n}"),
      "line 4, column 1: a ',' before '}': JSON allows no trailing comma");
  EXPECT_EQ(
      Problem("[1, 2,]"),
      "line 1, column 7: a ',' before ']': JSON allows no trailing comma");
  EXPECT_EQ(Problem("{a: 1}"),
            "line 1, column 2: expected a member name in double quotes");
  EXPECT_EQ(Problem("{\"a\" 1}"),
            "line 1, column 6: expected ':' after the member name \"a\"");
  EXPECT_EQ(Problem("[1 2]"),
            "line 1, column 4: expected ',' or ']' after a list item");
  EXPECT_EQ(Problem("{\"cnn_layers\": [{\"threshold_high\": 127,\n"),
            "line 2, column 1: the file ends early: expected a member name in "
            "double quotes or '}'");
  EXPECT_EQ(Problem("{\"a\": \"no end}"),
            "line 1, column 7: this string is never closed (no ending '\"')");
  EXPECT_EQ(Problem("{\"a\": \"two\nlines\"}"),
            "line 1, column 11: a line break or control character inside a "
            "string (write it as \\n, \\t, ...)");
  EXPECT_EQ(Problem(R"({"a": "\q"})"),
            "line 1, column 8: an unknown escape '\\q' (JSON has \\\" \\\\ \\/ "
            "\\b \\f \\n \\r \\t \\uXXXX)");
  EXPECT_EQ(Problem(R"(["\u12G4"])"),
            "line 1, column 3: \\u must be followed by 4 hexadecimal digits");
  EXPECT_EQ(Problem("{\"a\": tru}"),
            "line 1, column 7: expected a value (an object, array, string, "
            "number, true, false or null)");
  EXPECT_EQ(
      Problem("{} {}"),
      "line 1, column 4: unexpected text after the end of the JSON value");
  EXPECT_EQ(Problem(" \n "),
            "line 2, column 2: the file is empty (expected a "
            "JSON object)");
  for (const char* number : {"01", "1.", "-", "1e", "1.5.2", "-.5", "12abc"}) {
    EXPECT_THAT(Problem(absl::StrCat("[", number, "]")),
                ::testing::EndsWith("a malformed number"))
        << number;
  }
}

TEST(JsonSyntaxTest, DeepNestingIsRefusedNotACrash) {
  const std::string deep(100000, '[');
  EXPECT_THAT(Problem(deep), ::testing::HasSubstr("nested deeper than 200"));
  const std::string fine =
      std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']');
  EXPECT_TRUE(CheckJsonSyntax(fine).ok());
}

}  // namespace
}  // namespace speckd::codec
