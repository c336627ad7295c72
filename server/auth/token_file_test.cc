#include "server/auth/token_file.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server::auth {
namespace {

using ::testing::HasSubstr;

TEST(TokenFileTest, HashesAreSha256InHex) {
  EXPECT_EQ(HashToken("test"),
            "sha256:"
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

TEST(TokenFileTest, FindsWhoseTokenItIsAndNoOneElse) {
  const std::string text = "# lab tokens\n\nalice operator " +
                           HashToken("a-secret") + "\n dash\tviewer  " +
                           HashToken("b-secret") + "  # the wall screen\n";
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);
  std::optional<Identity> alice = table->Find("a-secret");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->role, Role::kOperator);
  EXPECT_EQ(table->Find("b-secret")->role, Role::kViewer);
  EXPECT_FALSE(table->Find("a-secre").has_value());
  EXPECT_FALSE(table->Find("").has_value());
}

TEST(TokenFileTest, BadLinesNameTheFileLineAndWhat) {
  const std::string good = HashToken("x");
  struct Case {
    std::string text;
    std::string says;
  } cases[] = {
      {"alice operator", "tokens:1: expected NAME ROLE sha256:HASH"},
      {"\nal ice operator " + good, "tokens:2: expected"},
      {"al/ice operator " + good, "'al/ice' is not a name"},
      {"alice root " + good, "'root' is not a role"},
      {"alice admin a-secret", "never the token itself"},
      {"alice admin sha256:abc", "64 hex digits"},
      {"alice admin " + good + "\nbob viewer " + good,
       "tokens:2: the same token as 'alice'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TokenTable> table = TokenTable::Parse(c.text, "tokens");
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument)
        << c.text;
    EXPECT_THAT(table.status().message(), HasSubstr(c.says)) << c.text;
  }
  EXPECT_EQ(TokenTable::Load("/nonexistent/tokens").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(TokenFileTest, NewTokensAreLongRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = NewToken();
    ASSERT_EQ(token.size(), 4u + 43u) << token;
    EXPECT_EQ(token.substr(0, 4), "spk_");
    EXPECT_EQ(
        token.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            4),
        std::string::npos);
    EXPECT_TRUE(seen.insert(token).second);
  }
}

}  // namespace
}  // namespace speckd::server::auth
