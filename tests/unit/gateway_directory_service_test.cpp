// gateway_directory_service_test.cpp - fetching and applying the feed:
// fetch_once against the replica, the service's change notices, refusals
// that keep the last good copy (rollback, another authority, stale) and
// what they do to /healthz and the metrics.
#include "gateway/directory_service.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "gateway_directory_support.h"
#include "util/metrics.h"

using namespace sm;
using namespace sm::gateway;
using sm::gateway::testing::DirectoryWorld;
using sm::gateway::testing::TempDir;

namespace {

// The value of one sample line in /metrics ("name{labels} N"); -1 when absent.
long long metric(const std::string& sample) {
  std::string text = metrics::render();
  auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + sample.size() + 2));
}

// Collects change notices from the service thread.
struct Notices {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<DirectoryChanges> seen;
  void add(const DirectoryChanges& c) {
    std::lock_guard lock(mu);
    seen.push_back(c);
    cv.notify_all();
  }
  bool wait(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return seen.size() >= n; });
  }
};

}  // namespace

TEST(DirectoryFetch, FetchOnceAppliesNewerFeedsAndRefusesRollback) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  auto a = world.member("a.example", "Org A");
  world.publish(2, {a});
  config::Config c = world.gateway_config();

  auto r = fetch_once(c);
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->serial, 2u);
  ASSERT_EQ(r->changes.size(), 1u);
  EXPECT_EQ(r->changes[0].kind, directory::Change::Kind::added);

  r = fetch_once(c);
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_FALSE(r->changed);

  world.publish(1, {});
  r = fetch_once(c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().text.starts_with("rollback: ")) << r.error().text;

  // The copy held survived the refusal.
  auto local = open_local_directory(c);
  ASSERT_TRUE(local) << local.error().text;
  EXPECT_EQ(local->replica->current()->serial(), 2u);
  EXPECT_NE(local->replica->current()->lookup_address("bob@a.example"), nullptr);
}

TEST(DirectoryFetch, UnreachableAndMissingAuthority) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  config::Config c = world.gateway_config();  // nothing published yet
  auto r = fetch_once(c);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().text.starts_with("unreachable: ")) << r.error().text;

  c.directory.authority = tmp.path / "missing.pem";
  auto s = DirectoryService::open(c);
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().text.starts_with("directory.authority: ")) << s.error().text;
}

TEST(DirectoryService, NotifiesChangesAndKeepsTheLastGoodFeed) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  DirectoryWorld other(tmp.path, "Other Authority");
  auto a = world.member("a.example", "Org A");
  world.publish(1, {a});
  auto service = DirectoryService::open(world.gateway_config());
  ASSERT_TRUE(service) << service.error().text;
  Notices notices;
  (*service)->on_changes([&](const DirectoryChanges& c) { notices.add(c); });
  (*service)->start();
  ASSERT_TRUE(notices.wait(1));
  EXPECT_EQ(notices.seen[0].serial, 1u);
  EXPECT_EQ(notices.seen[0].previous_serial, 0u);
  ASSERT_EQ(notices.seen[0].changes.size(), 1u);
  ASSERT_NE(notices.seen[0].member(notices.seen[0].changes[0]), nullptr);
  EXPECT_EQ(notices.seen[0].member(notices.seen[0].changes[0])->organisation, "Org A");
  EXPECT_EQ(metric("securemail_directory_serial"), 1);
  EXPECT_EQ(metric("securemail_directory_members"), 1);
  EXPECT_EQ(metric("securemail_directory_stale"), 0);
  EXPECT_GT(metric("securemail_directory_last_success_timestamp_seconds"), 0);

  // Removed: the notice still describes the member from the old snapshot.
  world.publish(2, {});
  (*service)->refresh_now();
  ASSERT_TRUE(notices.wait(2));
  ASSERT_EQ(notices.seen[1].changes.size(), 1u);
  EXPECT_EQ(notices.seen[1].changes[0].kind, directory::Change::Kind::removed);
  ASSERT_NE(notices.seen[1].member(notices.seen[1].changes[0]), nullptr);

  // A feed signed by another authority is refused; serial 2 stays.
  long long refused = metric("securemail_directory_fetch_total{result=\"wrong-authority\"}");
  other.publish(3, {});
  std::filesystem::copy_file(other.feed_file(), world.feed_file(), std::filesystem::copy_options::overwrite_existing);
  (*service)->refresh_now();
  for (int i = 0; i < 200 && metric("securemail_directory_fetch_total{result=\"wrong-authority\"}") <= std::max(refused, 0LL); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(metric("securemail_directory_fetch_total{result=\"wrong-authority\"}"), std::max(refused, 0LL) + 1);
  EXPECT_EQ((*service)->current()->serial(), 2u);
  EXPECT_EQ(notices.seen.size(), 2u);
  (*service)->stop();
}

TEST(DirectoryService, StaleFeedRaisesTheAlert) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  world.publish(1, {world.member("a.example", "Org A")}, std::time(nullptr) - 7200);
  auto service = DirectoryService::open(world.gateway_config("refresh = \"1m\"\nmax_age = \"1h\"\n"));
  ASSERT_TRUE(service) << service.error().text;
  EXPECT_TRUE((*service)->stale());  // nothing held yet
  EXPECT_EQ((*service)->health(), "directory: no feed yet");
  long long before = std::max(metric("securemail_directory_fetch_total{result=\"stale\"}"), 0LL);
  (*service)->start();
  for (int i = 0; i < 200 && metric("securemail_directory_fetch_total{result=\"stale\"}") <= before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(metric("securemail_directory_fetch_total{result=\"stale\"}"), before + 1);
  EXPECT_EQ(metric("securemail_directory_stale"), 1);
  EXPECT_TRUE((*service)->stale());
  (*service)->stop();
}
