#include "server/metrics/exposition.h"

#include <cmath>

#include "gtest/gtest.h"

namespace speckd::server::metrics {
namespace {

TEST(ExpositionTest, FamiliesAndSamplesInTheTextFormat) {
  Exposition e;
  e.Family("speckd_x_total", "counter", "Things\\counted\nper device.");
  e.Sample("speckd_x_total", {{"device", "a\"b\\c\nd"}, {"kind", "core0"}}, 3);
  e.Sample("speckd_x_total", {}, 0.25);
  EXPECT_EQ(e.Take(),
            "# HELP speckd_x_total Things\\\\counted\\nper device.\n"
            "# TYPE speckd_x_total counter\n"
            "speckd_x_total{device=\"a\\\"b\\\\c\\nd\",kind=\"core0\"} 3\n"
            "speckd_x_total 0.25\n");
}

TEST(ExpositionTest, ValuesPrintAsTheFormatSpellsThem) {
  EXPECT_EQ(FormatValue(25001), "25001");
  EXPECT_EQ(FormatValue(1e20), "1e+20");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
  EXPECT_EQ(FormatValue(-3), "-3");
}

}  // namespace
}  // namespace speckd::server::metrics
