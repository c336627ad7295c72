// The .npy parser on bytes written the way NumPy writes them (magic,
// version, little-endian header length, a Python dict literal padded to 64
// bytes, then the items). Archives (.npz) written by NumPy itself are read
// in tests/speckctl_dataset_test.
#include "clients/cli/npy.h"

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Npy(const std::string& header, const std::string& data,
                int major = 1) {
  std::string dict = header;
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const size_t n = dict.size();
  out += static_cast<char>(n & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  if (major != 1) out += std::string(2, '\0');
  return out + dict + data;
}

template <typename T>
void Put(std::string* out, T v, bool big_endian = false) {
  char raw[sizeof(T)];
  std::memcpy(raw, &v, sizeof(T));
  if (big_endian) std::reverse(raw, raw + sizeof(T));
  out->append(raw, sizeof(T));
}

TEST(NpyTest, StructuredEventsAsTonicWritesThem) {
  std::string data;
  for (int i = 0; i < 3; ++i) {
    Put<int64_t>(&data, 1000 * i);
    Put<int16_t>(&data, static_cast<int16_t>(i));
    Put<int16_t>(&data, static_cast<int16_t>(127 - i));
    Put<int8_t>(&data, static_cast<int8_t>(i == 1 ? -1 : 1));
  }
  absl::StatusOr<NpyArray> a = ParseNpy(
      "s.npy", Npy("{'descr': [('t', '<i8'), ('x', '<i2'), ('y', '<i2'), ('p', "
                   "'|i1')], 'fortran_order': False, 'shape': (3,), }",
                   data));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->structured());
  EXPECT_EQ(a->item_size, 13);
  EXPECT_THAT(*a->Column("t"), ElementsAre(0, 1000, 2000));
  EXPECT_THAT(*a->Column("y"), ElementsAre(127, 126, 125));
  EXPECT_THAT(*a->Column("p"), ElementsAre(1, -1, 1));
  EXPECT_THAT(a->Column("q").status().message(), HasSubstr("no field 'q'"));
}

TEST(NpyTest, BigEndianUnsignedBoolAndVersion2) {
  std::string data;
  Put<uint32_t>(&data, 0x01020304u, /*big_endian=*/true);
  data += '\x01';
  absl::StatusOr<NpyArray> a =
      ParseNpy("b.npy", Npy("{\"descr\": [(\"t\", \">u4\"), (\"p\", \"|b1\")], "
                            "\"fortran_order\": False, \"shape\": (1,)}",
                            data, /*major=*/2));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(*a->Column("t"), ElementsAre(0x01020304));
  EXPECT_THAT(*a->Column("p"), ElementsAre(1));
}

TEST(NpyTest, PlainArray) {
  std::string data;
  for (int16_t v : {5, -6}) Put<int16_t>(&data, v);
  absl::StatusOr<NpyArray> a = ParseNpy(
      "x.npy",
      Npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", data));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->structured());
  EXPECT_THAT(*a->Column(""), ElementsAre(5, -6));
}

TEST(NpyTest, RefusesWhatItCannotReadWithTheReason) {
  const std::string header =
      "{'descr': [('t', '<f8')], 'fortran_order': False, 'shape': (1,), }";
  absl::StatusOr<NpyArray> floats = ParseNpy("f.npy", Npy(header, "12345678"));
  ASSERT_TRUE(floats.ok());
  EXPECT_THAT(floats->Column("t").status().message(),
              HasSubstr("f.npy: field 't' holds floats"));

  EXPECT_THAT(ParseNpy("c.npy", Npy(header, "1234")).status().message(),
              HasSubstr("c.npy: cut off: 1 items need 8 bytes"));
  EXPECT_THAT(ParseNpy("2d.npy", Npy("{'descr': '<i8', 'fortran_order': False, "
                                     "'shape': (3, 4), }",
                                     std::string(96, '\0')))
                  .status()
                  .message(),
              HasSubstr("2d.npy: not a 1-D array"));
  EXPECT_THAT(
      ParseNpy("h.npy", Npy("{'descr': [('t', '<i8'", "")).status().message(),
      HasSubstr("h.npy: header:"));
  // Version 3 has a 4-byte header length: 10 bytes are not enough.
  EXPECT_THAT(ParseNpy("v3.npy", std::string("\x93NUMPY\x03\x00\x00\x04", 10))
                  .status()
                  .message(),
              HasSubstr("v3.npy: header cut off"));
  EXPECT_THAT(ParseNpy("m.npy", "PK\x03\x04 not numpy").status().message(),
              HasSubstr("not a NumPy .npy file"));
  EXPECT_THAT(ParseNpy("n.npy", Npy("{'descr': [('t', '<i8', (2,))], "
                                    "'fortran_order': False, 'shape': (1,)}",
                                    std::string(16, '\0')))
                  .status()
                  .message(),
              HasSubstr("sub-arrays"));
}

TEST(NpyTest, DeeplyNestedHeaderIsRefusedNotRecursedInto) {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_THAT(
      ParseNpy("d.npy", Npy("{'descr': " + deep + "}", "")).status().message(),
      HasSubstr("nested too deeply"));
}

}  // namespace
}  // namespace speckd::cli
