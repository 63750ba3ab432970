// delivery_recipient_check_test.cpp - RecipientCheck: the callout to an
// SMTP or LMTP internal server on loopback (a scripted server that records
// each session), its cache, what happens when nobody answers, role
// addresses, and the Maildir lookup (folders and accounts).
#include "delivery/recipient_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <asio.hpp>

#include <filesystem>
#include <optional>

#include "smtp_test_server.h"
#include "temp_dir.h"

namespace {

using sm::delivery::NextHop;
using sm::delivery::RecipientCheck;
using ::testing::HasSubstr;

class RecipientCheckTest : public ::testing::Test {
 protected:
  RecipientCheck::Options callout(std::uint16_t port, bool lmtp = false) {
    RecipientCheck::Options o;
    o.internal.kind = lmtp ? NextHop::Kind::lmtp : NextHop::Kind::smtp;
    o.internal.host = "127.0.0.1";
    o.internal.port = port;
    o.client.helo_name = "gw.b.example";
    o.client.starttls = false;
    o.role_addresses = {"postmaster@b.example"};
    return o;
  }
  sm::Result<void> ask(RecipientCheck& check, const std::string& address) {
    std::optional<sm::Result<void>> out;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { out.emplace(co_await check.check(io.get_executor(), address)); },
                   asio::detached);
    io.restart();
    io.run();
    return std::move(*out);
  }
  asio::io_context io;
};

TEST_F(RecipientCheckTest, AsksTheInternalServerOnceAndRemembersBothAnswers) {
  sm::testing::ServerConfig cfg;
  cfg.reject_rcpt = {"nobody@b.example"};
  sm::testing::FakeServer server(cfg);
  RecipientCheck check(callout(server.port()));

  EXPECT_TRUE(ask(check, "bob@b.example"));
  auto refused = ask(check, "nobody@b.example");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, 550);
  EXPECT_EQ(refused.error().enhanced, "5.1.1");
  EXPECT_THAT(refused.error().text, HasSubstr("<nobody@b.example>: Recipient address rejected"));
  EXPECT_THAT(refused.error().text, HasSubstr("User unknown"));  // what the internal server said
  EXPECT_THAT(refused.error().text, HasSubstr("in reply to RCPT TO"));

  auto sessions = server.sessions();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].commands,
            (std::vector<std::string>{"EHLO gw.b.example", "MAIL FROM:<>", "RCPT TO:<bob@b.example>", "RSET", "QUIT"}));
  EXPECT_TRUE(sessions[0].raw_data.empty());  // nothing is ever sent

  // Asked again, in another case: the cache answers, nobody is asked.
  EXPECT_TRUE(ask(check, "BOB@b.example"));
  EXPECT_FALSE(ask(check, "Nobody@B.example"));
  EXPECT_EQ(server.sessions().size(), 2u);
  auto counts = check.counts();
  EXPECT_EQ(counts.callouts, 2u);
  EXPECT_EQ(counts.from_cache, 2u);
  EXPECT_EQ(counts.taken, 2u);
  EXPECT_EQ(counts.refused, 2u);
}

TEST_F(RecipientCheckTest, LmtpServerIsAskedWithLhlo) {
  sm::testing::ServerConfig cfg;
  cfg.lmtp = true;
  cfg.reject_rcpt = {"gone@b.example"};
  sm::testing::FakeServer server(cfg);
  RecipientCheck check(callout(server.port(), true));
  EXPECT_TRUE(ask(check, "bob@b.example"));
  EXPECT_FALSE(ask(check, "gone@b.example"));
  auto sessions = server.sessions();
  ASSERT_FALSE(sessions.empty());
  EXPECT_EQ(sessions[0].commands.front(), "LHLO gw.b.example");
}

// A server that cannot answer: the recipient is taken (the queue holds the
// mail), and nothing is remembered, so the next time it is asked again.
TEST_F(RecipientCheckTest, NoAnswerTakesTheRecipientAndCachesNothing) {
  std::uint16_t port = 0;
  {
    sm::testing::FakeServer gone({});
    port = gone.port();
  }  // nothing listens there now
  RecipientCheck down(callout(port));
  EXPECT_TRUE(ask(down, "bob@b.example"));
  EXPECT_TRUE(ask(down, "bob@b.example"));
  EXPECT_EQ(down.counts().unanswered, 2u);
  EXPECT_EQ(down.counts().from_cache, 0u);

  sm::testing::ServerConfig cfg;
  cfg.tempfail_rcpt = {"later@b.example"};
  sm::testing::FakeServer server(cfg);
  RecipientCheck check(callout(server.port()));
  EXPECT_TRUE(ask(check, "later@b.example"));
  EXPECT_TRUE(ask(check, "later@b.example"));
  EXPECT_EQ(server.sessions().size(), 2u);
  EXPECT_EQ(check.counts().unanswered, 2u);
}

TEST_F(RecipientCheckTest, RoleAddressesAreNeverAsked) {
  sm::testing::ServerConfig cfg;
  cfg.reject_rcpt = {"postmaster@b.example"};
  sm::testing::FakeServer server(cfg);
  RecipientCheck check(callout(server.port()));
  EXPECT_TRUE(ask(check, "PostMaster@b.example"));
  EXPECT_TRUE(server.sessions().empty());
}

TEST_F(RecipientCheckTest, MaildirKnowsFoldersAndAccounts) {
  sm::test_support::TempDir root;
  std::filesystem::create_directories(root.path / "carol" / "new");
  RecipientCheck::Options o;
  o.internal.kind = NextHop::Kind::maildir;
  o.internal.maildir = root.path;
  o.role_addresses = {"abuse@b.example"};
  std::vector<std::string> looked_up;
  o.has_account = [&](const std::string& address) -> sm::Result<bool> {
    looked_up.push_back(address);
    if (address == "broken@b.example") return sm::fail(451, "4.3.0", "database is locked");
    return address == "alice@b.example";
  };
  RecipientCheck check(std::move(o));

  EXPECT_TRUE(ask(check, "Alice@b.example"));  // an account's address, asked lower-case
  EXPECT_TRUE(ask(check, "carol@b.example"));  // a folder that exists
  EXPECT_TRUE(ask(check, "abuse@b.example"));  // a role address
  auto unknown = ask(check, "mallory@b.example");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().reply(), "550 5.1.1 <mallory@b.example>: Recipient address rejected: no such mailbox here");
  auto broken = ask(check, "broken@b.example");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, 451);
  EXPECT_EQ(broken.error().enhanced, "4.3.0");
  EXPECT_THAT(broken.error().text, ::testing::Not(HasSubstr("database")));  // the reason is logged, not told
  auto bad = ask(check, "../x@b.example");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().enhanced, "5.1.1");
  EXPECT_EQ(looked_up, (std::vector<std::string>{"alice@b.example", "mallory@b.example", "broken@b.example"}));
  EXPECT_FALSE(std::filesystem::exists(root.path / "mallory"));  // asking makes no folder
}

}  // namespace
