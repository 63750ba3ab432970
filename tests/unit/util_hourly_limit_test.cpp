// util_hourly_limit_test.cpp - HourlyLimit: N per key per clock hour, keys
// apart, a new hour starts again, refused events are not counted.
#include "util/hourly_limit.h"

#include <gtest/gtest.h>

namespace sm {
namespace {

TEST(HourlyLimit, CountsPerKeyPerClockHour) {
  HourlyLimit limit;
  const std::int64_t hour = 1700000000 / 3600 * 3600;
  EXPECT_TRUE(limit.allow("a-example", hour, 2));
  EXPECT_TRUE(limit.allow("a-example", hour + 10, 2));
  EXPECT_FALSE(limit.allow("a-example", hour + 20, 2));
  EXPECT_FALSE(limit.allow("a-example", hour + 3599, 2));
  EXPECT_TRUE(limit.allow("b-example", hour + 30, 2)) << "another member has its own count";
  EXPECT_TRUE(limit.allow("a-example", hour + 3600, 2)) << "the next hour starts again";
  EXPECT_TRUE(limit.allow("a-example", hour + 3601, 2));
  EXPECT_FALSE(limit.allow("a-example", hour + 3602, 2));
  EXPECT_FALSE(limit.allow("c-example", hour, 0));
}

}  // namespace
}  // namespace sm
