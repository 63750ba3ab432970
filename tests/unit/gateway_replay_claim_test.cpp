// gateway_replay_claim_test.cpp - checking and claiming a seal id is one
// atomic step (issue 11, defect 4: one captured sealed message on six
// sessions at once was delivered six times).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gateway/replay_cache.h"
#include "temp_dir.h"

namespace sm::gateway {
namespace {

using namespace std::chrono_literals;
const std::string kSeal = "0123456789abcdef0123456789abcdef";
const std::int64_t kNow = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

TEST(ReplayClaim, ConcurrentClaimsOfOneSealGiveOneWinner) {
  test_support::TempDir dir;
  auto cache = ReplayCache::open(dir.path, 3600s);
  ASSERT_TRUE(cache);
  for (int round = 0; round < 20; ++round) {
    std::string seal = kSeal.substr(0, 30) + std::to_string(10 + round);
    std::atomic<int> winners{0}, in_flight{0};
    std::vector<std::thread> sessions;
    std::vector<std::shared_ptr<ReplayClaim>> claims(6);
    for (int i = 0; i < 6; ++i)
      sessions.emplace_back([&, i] {
        auto c = (*cache)->claim(seal, {"bob@b.example"}, kNow);
        if (c.in_flight) ++in_flight;
        if (!c.fresh.empty()) ++winners;
        claims[i] = c.claim;
      });
    for (auto& t : sessions) t.join();
    EXPECT_EQ(winners.load(), 1) << round;
    EXPECT_EQ(in_flight.load(), 5) << round;
  }
}

TEST(ReplayClaim, CommittedPairsAreDuplicatesReleasedOnesCanBeRetried) {
  test_support::TempDir dir;
  auto cache = ReplayCache::open(dir.path, 3600s);
  ASSERT_TRUE(cache);
  {
    auto first = (*cache)->claim(kSeal, {"bob@b.example", "carol@b.example"}, kNow);
    ASSERT_EQ(first.fresh.size(), 2u);
    // The commit failed: the claim is dropped without commit().
  }
  auto retry = (*cache)->claim(kSeal, {"bob@b.example", "carol@b.example"}, kNow);
  ASSERT_EQ(retry.fresh.size(), 2u);
  retry.claim->commit();
  EXPECT_TRUE((*cache)->seen(kSeal, "BOB@b.example"));
  auto again = (*cache)->claim(kSeal, {"Bob@B.example", "dave@b.example"}, kNow);
  EXPECT_FALSE(again.in_flight);
  ASSERT_EQ(again.fresh, std::vector<std::size_t>{1});  // only dave is new
  // The same recipient twice in one claim counts once.
  auto twice = (*cache)->claim(kSeal + "0", {"erin@b.example", "ERIN@b.example"}, kNow);
  EXPECT_EQ(twice.fresh.size(), 1u);
}

}  // namespace
}  // namespace sm::gateway
