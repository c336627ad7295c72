#include "proto/recording/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace speckd::recording {
namespace {

// Check values from RFC 3720 (iSCSI), B.4.
TEST(Crc32cTest, MatchesTheStandardCheckValues) {
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Crc32c(ascending), 0x46dd794eu);
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
}

TEST(Crc32cTest, ExtendingEqualsOneCall) {
  const std::string text = "the quick brown fox jumps over the lazy dog";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const uint32_t first = Crc32c(absl::string_view(text).substr(0, cut));
    EXPECT_EQ(Crc32cExtend(first, text.data() + cut, text.size() - cut),
              Crc32c(text))
        << cut;
  }
}

TEST(Crc32cTest, OneFlippedBitChangesIt) {
  std::string data(1000, 'a');
  const uint32_t before = Crc32c(data);
  data[517] ^= 0x10;
  EXPECT_NE(Crc32c(data), before);
}

}  // namespace
}  // namespace speckd::recording
