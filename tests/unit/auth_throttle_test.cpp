// auth_throttle_test.cpp - Throttle: replies slowed after delay_after
// failures (doubling, capped), the account locked at account_lock and
// unlocked after lock_time, a client address blocked at client_lock, a
// success clearing the account's count, and one account's failures never
// blocking another account or another client.
#include <gtest/gtest.h>

#include "auth/throttle.h"
#include "auth/throttle_config.h"

using namespace sm::auth;
using namespace std::chrono_literals;

namespace {

Throttle::Clock::time_point t0 = Throttle::Clock::time_point{} + 1000h;

}  // namespace

TEST(AuthThrottle, DelaysDoubleAfterThreeFailuresUpToTheCap) {
  Throttle t(ThrottleLimits{});
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(t.failed("alice", "192.0.2.1", t0 + std::chrono::seconds(i)).delay);
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{0ms, 0ms, 0ms, 1s, 2s, 4s, 8s, 15s, 15s}));
  EXPECT_FALSE(t.before("alice", "192.0.2.1", t0 + 10s).blocked);
}

TEST(AuthThrottle, AccountLocksAtTheLimitAndUnlocksAfterLockTime) {
  Throttle t(ThrottleLimits{});
  Throttle::Verdict v;
  for (int i = 0; i < 10; ++i) v = t.failed("alice", "192.0.2." + std::to_string(i), t0 + std::chrono::seconds(i));
  EXPECT_TRUE(v.blocked);
  EXPECT_TRUE(t.before("alice", "198.51.100.1", t0 + 20s).blocked);  // from anywhere
  EXPECT_FALSE(t.before("bob", "192.0.2.1", t0 + 20s).blocked);      // others sign in as usual
  EXPECT_TRUE(t.before("alice", "198.51.100.1", t0 + 9s + 899s).blocked);
  EXPECT_FALSE(t.before("alice", "198.51.100.1", t0 + 9s + 900s).blocked);
  // Counting starts afresh after the lock.
  EXPECT_FALSE(t.failed("alice", "192.0.2.1", t0 + 2000s).blocked);
}

TEST(AuthThrottle, FailuresOutsideTheWindowAreForgotten) {
  Throttle t(ThrottleLimits{});
  for (int i = 0; i < 9; ++i) t.failed("alice", "192.0.2.1", t0);
  auto v = t.failed("alice", "192.0.2.1", t0 + 901s);
  EXPECT_FALSE(v.blocked);
  EXPECT_EQ(v.delay, 0ms);
}

TEST(AuthThrottle, ClientBlockedAcrossAccounts) {
  ThrottleLimits limits;
  limits.client_lock = 5;
  Throttle t(limits);
  Throttle::Verdict v;
  for (int i = 0; i < 5; ++i) v = t.failed("user" + std::to_string(i), "203.0.113.9", t0);
  EXPECT_TRUE(v.blocked);
  EXPECT_TRUE(t.before("someone", "203.0.113.9", t0 + 1s).blocked);
  EXPECT_FALSE(t.before("someone", "203.0.113.10", t0 + 1s).blocked);
  EXPECT_FALSE(t.before("user0", "192.0.2.1", t0 + 1s).blocked);  // the accounts themselves are not locked
  EXPECT_FALSE(t.before("someone", "203.0.113.9", t0 + 901s).blocked);
}

TEST(AuthThrottle, SuccessClearsTheAccountCount) {
  Throttle t(ThrottleLimits{});
  for (int i = 0; i < 5; ++i) t.failed("alice", "192.0.2.1", t0);
  t.succeeded("alice");
  EXPECT_EQ(t.failed("alice", "192.0.2.1", t0).delay, 0ms);
}

TEST(AuthThrottle, ManyNamesDoNotGrowWithoutBound) {
  ThrottleLimits limits;
  limits.client_lock = 1'000'000;
  Throttle t(limits);
  for (int i = 0; i < 30000; ++i) t.failed("guess" + std::to_string(i), "203.0.113.9", t0 + std::chrono::seconds(i));
  // Still answers, and an old name's count is gone: no delay for it.
  EXPECT_EQ(t.failed("guess0", "192.0.2.1", t0 + 30001s).delay, 0ms);
}

TEST(AuthThrottle, LimitsFromTheAuthSection) {
  sm::config::Config::Auth a;
  a.delay_after = 1;
  a.account_lock = 2;
  a.client_lock = 7;
  a.window = 60s;
  a.lock_time = 120s;
  ThrottleLimits l = throttle_limits(a);
  EXPECT_EQ(l.account_delay_after, 1u);
  EXPECT_EQ(l.account_lock, 2u);
  EXPECT_EQ(l.client_lock, 7u);
  EXPECT_EQ(l.window, 60s);
  EXPECT_EQ(l.lock_time, 120s);
  Throttle t(l);
  t.failed("alice", "192.0.2.1", t0);
  EXPECT_TRUE(t.failed("alice", "192.0.2.1", t0).blocked);  // locked at the second failure
}
