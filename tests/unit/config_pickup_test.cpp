// config_pickup_test.cpp - [pickup]: its defaults, a full section and its
// describe() lines, and each bad value named with file, line and key.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;

namespace {

TEST(ConfigPickup, OffByDefault) {
  auto c = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->pickup.enabled());
  EXPECT_EQ(c->pickup.expiry, std::chrono::seconds(14 * 86400));
  EXPECT_FALSE(c->pickup.show_subject);
  EXPECT_EQ(c->pickup.lock_for, std::chrono::seconds(1800));
  EXPECT_EQ(c->pickup.replies, Config::Pickup::Replies::sender);
  EXPECT_EQ(c->pickup.reply_max_size, 10u << 20);
  EXPECT_EQ(c->pickup.pdf_password_to, Config::Pickup::PdfPasswordTo::sender);
  EXPECT_TRUE(c->pickup.accounts);
  EXPECT_EQ(c->pickup.account_idle, std::chrono::seconds(365 * 86400));
}

TEST(ConfigPickup, RecipientAccounts) {
  auto c = load_string("[pickup]\naccounts = false\naccount_idle = \"90d\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->pickup.accounts);
  EXPECT_EQ(c->pickup.account_idle, std::chrono::seconds(90 * 86400));
  std::string shown = describe(*c);
  EXPECT_NE(shown.find("pickup.accounts = false\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("pickup.account_idle = \"90d\"\n"), std::string::npos) << shown;
}

TEST(ConfigPickup, Replies) {
  auto c = load_string("[pickup]\nreplies = \"all\"\nreply_max_size = \"2M\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->pickup.replies, Config::Pickup::Replies::all);
  EXPECT_EQ(c->pickup.reply_max_size, 2u << 20);
  std::string shown = describe(*c);
  EXPECT_NE(shown.find("pickup.replies = \"all\"\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("pickup.reply_max_size = \"2M\"\n"), std::string::npos) << shown;
  c = load_string("[pickup]\nreplies = \"none\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->pickup.replies, Config::Pickup::Replies::none);
  // Not given: never more than the largest message the gateway accepts.
  c = load_string("[limits]\nmax_message_size = \"512K\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->pickup.reply_max_size, 512u << 10);
}

TEST(ConfigPickup, AFullSection) {
  auto c = load_string("[pickup]\nlisten = \"0.0.0.0:8443\"\npublic_url = \"https://pickup.b.example/secure\"\n"
                       "cert = \"pickup.pem\"\nkey = \"pickup.key\"\nexpiry = \"7d\"\nshow_subject = true\n"
                       "lock_for = \"1h\"\npdf_password_to = \"recipient\"\n",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->pickup.enabled());
  EXPECT_EQ(c->pickup.listen.str(), "0.0.0.0:8443");
  EXPECT_EQ(c->pickup.public_url, "https://pickup.b.example/secure/");
  EXPECT_EQ(c->pickup.cert, "/etc/securemail/pickup.pem");
  EXPECT_EQ(c->pickup.key, "/etc/securemail/pickup.key");
  EXPECT_EQ(c->pickup.expiry, std::chrono::seconds(7 * 86400));
  EXPECT_TRUE(c->pickup.show_subject);
  EXPECT_EQ(c->pickup.lock_for, std::chrono::seconds(3600));
  EXPECT_EQ(c->pickup.pdf_password_to, Config::Pickup::PdfPasswordTo::recipient);
  std::string shown = describe(*c);
  EXPECT_NE(shown.find("pickup.public_url = \"https://pickup.b.example/secure/\"\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("pickup.expiry = \"1w\"\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("pickup.pdf_password_to = \"recipient\"\n"), std::string::npos) << shown;
}

TEST(ConfigPickup, BadValuesNameFileLineAndKey) {
  EXPECT_EQ(load_error("[pickup]\nlisten = \"127.0.0.1:8443\"\n"),
            "config.toml:2: pickup.listen: needs pickup.public_url: the address recipients open");
  EXPECT_EQ(load_error("[pickup]\npublic_url = \"https://p.b.example/\"\n"),
            "config.toml:2: pickup.public_url: needs pickup.listen: where the pages are served");
  EXPECT_EQ(load_error("[pickup]\nlisten = \"127.0.0.1:8443\"\npublic_url = \"http://p.b.example/\"\n"),
            "config.toml:3: pickup.public_url: \"http://p.b.example/\" must start with https:// (the pages are "
            "served over TLS only)");
  EXPECT_EQ(load_error("[pickup]\nlisten = \"127.0.0.1:8443\"\npublic_url = \"https://p.b.example/?x=1\"\n"),
            "config.toml:3: pickup.public_url: \"https://p.b.example/?x=1\" must be https://HOST[:PORT]/[PATH/] "
            "without a query, fragment, user or spaces");
  EXPECT_EQ(load_error("[pickup]\nlisten = \"127.0.0.1:8443\"\npublic_url = \"https://p.b.example/\"\ncert = \"c.pem\"\n"),
            "config.toml:4: pickup.cert: pickup.cert and pickup.key must be given together (or both left empty: the "
            "[tls] pair)");
  EXPECT_EQ(load_error("[pickup]\nexpiry = \"30m\"\n"), "config.toml:2: pickup.expiry: must be between 1h and 90d");
  EXPECT_EQ(load_error("[pickup]\nlock_for = \"2d\"\n"), "config.toml:2: pickup.lock_for: must be between 1m and 24h");
  EXPECT_EQ(load_error("[pickup]\n\nreplies = \"everyone\"\n"),
            "config.toml:3: pickup.replies: \"everyone\" must be \"sender\", \"all\" or \"none\"");
  EXPECT_EQ(load_error("[limits]\nmax_message_size = \"5M\"\n[pickup]\nreply_max_size = \"6M\"\n"),
            "config.toml:4: pickup.reply_max_size: must be between 1K and limits.max_message_size (5M)");
  EXPECT_EQ(load_error("[pickup]\nreply_max_size = 10\n"),
            "config.toml:2: pickup.reply_max_size: must be between 1K and limits.max_message_size (50M)");
  EXPECT_EQ(load_error("[pickup]\npdf_password_to = \"both\"\n"),
            "config.toml:2: pickup.pdf_password_to: bad value \"both\" (use \"sender\" or \"recipient\")");
  EXPECT_EQ(load_error("[pickup]\naccount_idle = \"1d\"\n"),
            "config.toml:2: pickup.account_idle: must be between 30d and 3650d");
  EXPECT_EQ(load_error("[pickup]\naccount_idle = \"11y\"\n").rfind("config.toml:2: pickup.account_idle: ", 0), 0u);
  EXPECT_EQ(load_error("[pickup]\naccounts = \"yes\"\n").rfind("config.toml:2: pickup.accounts: ", 0), 0u);
  EXPECT_NE(load_error("[pickup]\nshow_subjects = true\n").find("config.toml:2: pickup.show_subjects: unknown key"),
            std::string::npos);
}

}  // namespace
