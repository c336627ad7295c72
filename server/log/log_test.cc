#include "server/log/log.h"

#include "gtest/gtest.h"

namespace speckd::log {
namespace {

TEST(FormatLineTest, PlainValuesStayBare) {
  EXPECT_EQ(FormatLine("T", Level::kInfo, "listening",
                       {{"address", "127.0.0.1:50051"}, {"devices", 1}}),
            "ts=T level=info event=listening address=127.0.0.1:50051 "
            "devices=1");
}

TEST(FormatLineTest, ValuesWithSpacesQuotesOrEqualsAreQuotedAndEscaped) {
  EXPECT_EQ(FormatLine("T", Level::kWarning, "lease_refused",
                       {{"holder", "alice at lab"},
                        {"detail", "a=\"b\""},
                        {"empty", ""},
                        {"ok", false}}),
            "ts=T level=warning event=lease_refused holder=\"alice at lab\" "
            "detail=\"a=\\\"b\\\"\" empty=\"\" ok=false");
}

TEST(FormatLineTest, NewlinesCannotBreakTheLine) {
  std::string line = FormatLine("T", Level::kError, "bad", {{"msg", "a\nb"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace speckd::log
