// gateway_sealed_failures_test.cpp - the per-client delay and block after
// sealed messages fail to open (issue 11, defect 6: a padding oracle needs
// thousands of tries; they are slowed, then refused for a while).
#include <gtest/gtest.h>

#include "gateway/sealed_failures.h"

namespace sm::gateway {
namespace {

using namespace std::chrono_literals;

TEST(SealedFailures, DelayDoublesPerRecentFailureAndIsCapped) {
  SealedFailures f({1000ms, 100, 600s, 900s});
  auto t = SealedFailures::Clock::now();
  EXPECT_EQ(f.failed("[192.0.2.1]", t), 1000ms);
  EXPECT_EQ(f.failed("[192.0.2.1]", t + 1s), 2000ms);
  EXPECT_EQ(f.failed("[192.0.2.1]", t + 2s), 4000ms);
  EXPECT_EQ(f.failed("[192.0.2.2]", t + 2s), 1000ms);  // another client starts afresh
  for (int i = 0; i < 10; ++i) f.failed("[192.0.2.1]", t + 3s);
  EXPECT_EQ(f.failed("[192.0.2.1]", t + 4s), SealedFailures::kMaxDelay);
  // Failures older than the window no longer count.
  EXPECT_EQ(f.failed("[192.0.2.2]", t + 700s), 1000ms);
}

TEST(SealedFailures, LimitWithinWindowBlocksForTheBlockTime) {
  SealedFailures f({1000ms, 3, 60s, 900s});
  auto t = SealedFailures::Clock::now();
  f.failed("member m", t);
  f.failed("member m", t + 1s);
  EXPECT_FALSE(f.blocked("member m", t + 2s));
  f.failed("member m", t + 2s);
  auto refused = f.blocked("member m", t + 3s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, 450);
  EXPECT_EQ(refused->enhanced, "4.7.1");
  EXPECT_FALSE(f.blocked("member other", t + 3s));
  EXPECT_TRUE(f.blocked("member m", t + 900s));
  EXPECT_FALSE(f.blocked("member m", t + 903s));
}

TEST(SealedFailures, SpreadOutFailuresNeverBlock) {
  SealedFailures f({1000ms, 3, 60s, 900s});
  auto t = SealedFailures::Clock::now();
  for (int i = 0; i < 20; ++i) {
    f.failed("[192.0.2.9]", t + i * 40s);
    EXPECT_FALSE(f.blocked("[192.0.2.9]", t + i * 40s + 1s)) << i;
  }
}

TEST(SealedFailures, ClientTableIsBounded) {
  SealedFailures f({1000ms, 2, 60s, 900s});
  auto t = SealedFailures::Clock::now();
  for (std::size_t i = 0; i < SealedFailures::kMaxClients + 50; ++i) f.failed("[c" + std::to_string(i) + "]", t + std::chrono::milliseconds(i));
  // The newest clients are still known; memory stays bounded (no crash, no growth past the bound).
  EXPECT_EQ(f.failed("[c" + std::to_string(SealedFailures::kMaxClients + 49) + "]", t + 20s), 2000ms);
}

}  // namespace
}  // namespace sm::gateway
