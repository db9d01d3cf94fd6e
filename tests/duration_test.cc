// Tests of duration parsing and printing.
#include "compiler/duration.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(Duration, ParsesUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("30s"), Duration(seconds(30)));
  EXPECT_EQ(parse_duration("5m"), Duration(minutes(5)));
  EXPECT_EQ(parse_duration("1h30m"), Duration(minutes(90)));
  EXPECT_EQ(parse_duration("250ms"), Duration(milliseconds(250)));
  EXPECT_EQ(parse_duration("1.5h"), Duration(minutes(90)));
  EXPECT_EQ(parse_duration("2d"), Duration(hours(48)));
  EXPECT_EQ(parse_duration("0"), Duration(0));
  EXPECT_EQ(parse_duration("0s"), Duration(0));
  EXPECT_EQ(parse_duration("1m0.5s"), Duration(milliseconds(60500)));
}

TEST(Duration, RejectsBadText) {
  std::string error;
  EXPECT_FALSE(parse_duration("", &error));
  EXPECT_NE(error.find("empty"), std::string::npos);
  EXPECT_FALSE(parse_duration("30", &error));
  EXPECT_NE(error.find("unit is missing"), std::string::npos);
  EXPECT_FALSE(parse_duration("5 minutes", &error));
  EXPECT_FALSE(parse_duration("5x", &error));
  EXPECT_NE(error.find("unknown unit \"x\""), std::string::npos);
  EXPECT_FALSE(parse_duration("-5s", &error));
  EXPECT_FALSE(parse_duration("s", &error));
  EXPECT_FALSE(parse_duration("99999999999999999h", &error));
}

TEST(Duration, FormatsCanonically) {
  EXPECT_EQ(format_duration(Duration(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(seconds(30)), "30s");
  EXPECT_EQ(format_duration(seconds(90)), "1m30s");
  EXPECT_EQ(format_duration(minutes(5)), "5m");
  EXPECT_EQ(format_duration(hours(1)), "1h");
  EXPECT_EQ(format_duration(minutes(90)), "1h30m");
  EXPECT_EQ(format_duration(seconds(3605)), "1h0m5s");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1.5s");
  for (const char* s : {"30s", "5m", "1h30m", "250ms", "1h0m5s", "1.5s"}) {
    EXPECT_EQ(format_duration(*parse_duration(s)), s);
  }
}

}  // namespace
}  // namespace orch
