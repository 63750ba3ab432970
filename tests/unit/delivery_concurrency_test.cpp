// delivery_concurrency_test.cpp - the per-destination concurrency window:
// slow start at the initial window, growth by one per delivered cohort up
// to the limit, shrinking on connection failures, and "dead" only when
// failures pile up while no session to the destination works.
#include <gtest/gtest.h>

#include "delivery/concurrency.h"

using sm::delivery::DestinationConcurrency;
using namespace std::chrono_literals;

namespace {

void deliver(DestinationConcurrency& c, int n, std::size_t open_sessions) {
  for (int i = 0; i < n; ++i) c.delivered(open_sessions);
}

}  // namespace

TEST(DestinationConcurrency, StartsAtTheInitialWindowNotAtTheLimit) {
  EXPECT_EQ(DestinationConcurrency(5, 20).window(), 5u);
  EXPECT_EQ(DestinationConcurrency(5, 2).window(), 2u) << "initial is clamped to the limit";
  EXPECT_EQ(DestinationConcurrency(0, 20).window(), 1u) << "at least one connection";
}

TEST(DestinationConcurrency, GrowsByOneAfterAWindowOfDeliveries) {
  DestinationConcurrency c(5, 20);
  deliver(c, 4, 5);
  EXPECT_EQ(c.window(), 5u);
  c.delivered(5);
  EXPECT_EQ(c.window(), 6u) << "a cohort of 5 deliveries raises 5 to 6";
  deliver(c, 5, 6);
  EXPECT_EQ(c.window(), 6u);
  c.delivered(6);
  EXPECT_EQ(c.window(), 7u);
}

TEST(DestinationConcurrency, NeverGrowsPastTheLimit) {
  DestinationConcurrency c(5, 7);
  deliver(c, 1000, 7);
  EXPECT_EQ(c.window(), 7u);
}

TEST(DestinationConcurrency, StaysCloseToTheSessionsReallyOpen) {
  DestinationConcurrency c(5, 20);
  deliver(c, 1000, 1);  // one connection carries everything
  EXPECT_EQ(c.window(), 6u) << "at most `initial` ahead of the open sessions";
}

TEST(DestinationConcurrency, TheFirstFailureLowersTheWindowAtOnceThenOncePerCycle) {
  DestinationConcurrency c(5, 20);
  c.failed(3);
  EXPECT_EQ(c.window(), 4u);
  c.failed(3);
  c.failed(3);
  EXPECT_EQ(c.window(), 4u) << "the rest of the cycle";
  c.failed(3);
  EXPECT_EQ(c.window(), 3u);
  for (int i = 0; i < 100; ++i) c.failed(3);
  EXPECT_EQ(c.window(), 1u) << "never below one while alive";
  EXPECT_FALSE(c.dead());
}

TEST(DestinationConcurrency, AHungDestinationIsDeadAfterAWindowOfFailures) {
  DestinationConcurrency c(5, 20);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(c.failed(0)) << "failure " << i + 1;
  EXPECT_FALSE(c.dead());
  EXPECT_TRUE(c.failed(0)) << "the fifth of five parallel connections failed too";
  EXPECT_TRUE(c.dead());
  EXPECT_EQ(c.window(), 0u);
  EXPECT_FALSE(c.failed(0)) << "declared dead once";
}

TEST(DestinationConcurrency, NeverDeadWhileAnotherSessionDelivers) {
  DestinationConcurrency c(5, 20);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(c.failed(1));
  EXPECT_FALSE(c.dead());
  EXPECT_EQ(c.window(), 1u);
  EXPECT_TRUE(c.failed(0)) << "once no session works, the failures so far count";
}

TEST(DestinationConcurrency, ADeliveryStartsTheFailureCountAgain) {
  DestinationConcurrency c(5, 20);
  for (int i = 0; i < 4; ++i) c.failed(0);
  c.delivered(1);
  EXPECT_FALSE(c.failed(0)) << "without the delivery this fifth failure would kill it";
  EXPECT_FALSE(c.dead());
}

TEST(DestinationConcurrency, ASessionThatOpensBringsADeadDestinationBack) {
  DestinationConcurrency c(5, 20);
  for (int i = 0; i < 5; ++i) c.failed(0);
  ASSERT_TRUE(c.dead());
  c.session_opened(2);
  EXPECT_FALSE(c.dead());
  EXPECT_EQ(c.window(), 2u) << "back at the sessions that are open";
  for (int i = 0; i < 5; ++i) c.failed(0);
  ASSERT_TRUE(c.dead());
  c.revive();
  EXPECT_EQ(c.window(), 5u) << "after the suspension: the initial window";
}

TEST(DestinationConcurrency, ACohortLimitOfZeroNeverDeclaresDeath) {
  DestinationConcurrency c(5, 20, 0);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(c.failed(0));
  EXPECT_EQ(c.window(), 1u);
}

TEST(GreetingTimeout, ShorterOnlyWhileMailBacksUpBehindTheWindow) {
  using sm::delivery::greeting_timeout;
  EXPECT_EQ(greeting_timeout(300s, 1, 5), 300s) << "one message: RFC 5321's five minutes";
  EXPECT_EQ(greeting_timeout(300s, 5, 5), 300s);
  EXPECT_EQ(greeting_timeout(300s, 20, 5), sm::delivery::kBacklogGreetingTimeout);
  EXPECT_EQ(greeting_timeout(10s, 20, 5), 10s) << "never longer than configured";
}
