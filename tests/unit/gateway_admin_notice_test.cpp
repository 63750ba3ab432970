// gateway_admin_notice_test.cpp - the administrator's email about
// directory changes: its text, and that it lands in the spool as a
// committed message from the null sender to [directory] admin_contact.
#include "gateway/admin_notice.h"

#include <gtest/gtest.h>

#include <future>

#include "gateway_directory_support.h"

using namespace sm;
using namespace sm::gateway;
using sm::gateway::testing::DirectoryWorld;
using sm::gateway::testing::TempDir;

namespace {

DirectoryChanges changes(DirectoryWorld& world) {
  directory::Feed before, after;
  before.serial = 1;
  before.members = {world.member("c.example", "Org C")};
  after.serial = 2;
  after.issued = 1700000000;
  after.members = {world.member("a.example", "Org A \xc3\xa9")};
  return {2, 1, after.issued, directory::diff(before, after), directory::Directory::build(before),
          directory::Directory::build(after)};
}

}  // namespace

TEST(AdminNotice, Text) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  std::string m = compose_admin_notice(changes(world), {"gw.b.example", "ops@b.example", "https://dir.example/feed.cms", 1700000000});
  EXPECT_NE(m.find("From: \"SecureMail gateway\" <MAILER-DAEMON@gw.b.example>\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("To: <ops@b.example>\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: SecureMail directory: 2 changes (serial 2)\r\n"), std::string::npos);
  EXPECT_NE(m.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(m.find("  added       a (Org A \xc3\xa9)\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("  removed     c (Org C)\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("domains: c.example"), std::string::npos) << m;  // removed: described from the old feed
  EXPECT_NE(m.find("serial 2 (was 1), issued 2023-11-14T22:13:20Z"), std::string::npos) << m;
  EXPECT_EQ(m.find("\n\n"), std::string::npos);  // CRLF only
}

TEST(AdminNotice, QueuedInTheSpool) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  config::Config c = world.gateway_config("admin_contact = \"ops@b.example\"\n");
  auto spool = queue::Spool::open(tmp.path / "queue");
  ASSERT_TRUE(spool) << spool.error().text;
  std::promise<std::string> queued;
  AdminNotifier notifier(c, **spool, [&](const std::string& id) { queued.set_value(id); });
  notifier.notify(changes(world));
  auto f = queued.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto m = (*spool)->load(f.get());
  ASSERT_TRUE(m) << m.error().text;
  EXPECT_EQ(m->envelope.sender, "");
  ASSERT_EQ(m->envelope.recipients.size(), 1u);
  EXPECT_EQ(m->envelope.recipients[0].address, "ops@b.example");
  EXPECT_TRUE(m->envelope.body_8bit);
}
