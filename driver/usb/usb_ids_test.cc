#include "driver/usb/usb_ids.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::driver::usb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(UsbIdsTest, BuiltInRulesKnowSynSenseAndTheFx3BootLoader) {
  UsbIds ids = UsbIds::Defaults();
  EXPECT_EQ(ids.Classify(0x337d, 0x1234), BoardKind::kSynSenseBoard);
  EXPECT_EQ(ids.Classify(0x04b4, 0x00f3), BoardKind::kFx3Boot);
  EXPECT_EQ(ids.Classify(0x04b4, 0x0001), std::nullopt);  // other Cypress
  EXPECT_EQ(ids.Classify(0x046d, 0xc52b), std::nullopt);  // a mouse
  EXPECT_THAT(ids.Vendors(), ElementsAre(0x04b4, 0x337d));
}

TEST(UsbIdsTest, LaterRulesNameABoardTheBuiltInOnesDoNotKnow) {
  UsbIds ids = UsbIds::Defaults();
  ASSERT_TRUE(
      ids.Add("337d:0001=speck2edevkit, 152a:8400=synsense", "--usb_ids").ok());
  EXPECT_EQ(ids.Classify(0x337d, 0x0001), BoardKind::kSpeck2eDevKit);
  EXPECT_EQ(ids.Classify(0x337d, 0x0002), BoardKind::kSynSenseBoard);
  EXPECT_EQ(ids.Classify(0x152a, 0x8400), BoardKind::kSynSenseBoard);
}

TEST(UsbIdsTest, BadRulesSayWhereAndWhatIsWrong) {
  UsbIds ids = UsbIds::Defaults();
  absl::Status pid = ids.Add("337d:1=speck2edevkit", "--usb_ids");
  EXPECT_EQ(pid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pid.message(), HasSubstr("--usb_ids: '337d:1=speck2edevkit': "
                                       "the product id is not 4 hex digits"));
  absl::Status kind = ids.Add("# boards\n337d:0001=speck3\n", "ids.txt");
  EXPECT_THAT(kind.message(), HasSubstr("ids.txt:2: '337d:0001=speck3': "
                                        "unknown kind 'speck3'"));
}

TEST(UsbIdsTest, ReadsAFileAndNamesAMissingOne) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/ids";
  std::ofstream(path) << "# our devkit\n337d:00aa=speckd2edevkit\n";
  UsbIds ids = UsbIds::Defaults();
  EXPECT_THAT(ids.AddFile(path).message(), HasSubstr(path + ":2:"));
  std::ofstream(path) << "337d:00aa=speck2edevkit  # lab 3\n";
  ASSERT_TRUE(ids.AddFile(path).ok());
  EXPECT_EQ(ids.Classify(0x337d, 0x00aa), BoardKind::kSpeck2eDevKit);
  EXPECT_EQ(ids.AddFile(path + ".missing").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace speckd::driver::usb
