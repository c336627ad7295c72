#include "driver/util/suggest.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd {
namespace {

TEST(EditDistanceTest, CountsEditsAndSwaps) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("treshold", "threshold"), 1);  // a letter left out
  EXPECT_EQ(EditDistance("sever", "server"), 1);
  EXPECT_EQ(EditDistance("thershold", "threshold"), 1);  // two swapped
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
}

TEST(SuggestTest, TheClosestNameWhenItIsATypo) {
  const std::vector<std::string> flags = {"server", "device", "timeout",
                                          "output"};
  EXPECT_EQ(Suggest("sever", flags), "server");
  EXPECT_EQ(Suggest("Devcie", flags), "device");
  EXPECT_EQ(Suggest("xyz", flags), "");
  EXPECT_EQ(Suggest("z", {"x", "y"}), "");  // too short to be a typo
  EXPECT_EQ(Suggest("server", flags), "");  // not a typo
  EXPECT_EQ(DidYouMean("treshold_high", {"threshold_high", "threshold_low"}),
            " (did you mean threshold_high?)");
  EXPECT_EQ(DidYouMean("weights_x", {"biases"}), "");
}

}  // namespace
}  // namespace speckd
