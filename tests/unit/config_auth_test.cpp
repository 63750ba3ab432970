// config_auth_test.cpp - [auth], [mailboxes] and the [listen] keys
// submissions and web: defaults, every key, describe() round trip, and one
// test per kind of bad value (each error names the file, line and key).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using namespace std::chrono_literals;

TEST(ConfigAuth, Defaults) {
  auto c = load_string("domain = \"mail.example\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->auth.delay_after, 3u);
  EXPECT_EQ(c->auth.account_lock, 10u);
  EXPECT_EQ(c->auth.client_lock, 20u);
  EXPECT_EQ(c->auth.window, 15min);
  EXPECT_EQ(c->auth.lock_time, 15min);
  EXPECT_EQ(c->auth.issuer, "mail.example");  // the domain
  EXPECT_EQ(c->mailboxes.hold_time, 72h);
  EXPECT_FALSE(c->listen.submissions.enabled());
  EXPECT_FALSE(c->listen.web.enabled());
}

TEST(ConfigAuth, EveryKeyAndDescribeRoundTrip) {
  auto c = load_string(R"(domain = "mail.example"
[listen]
submissions = "127.0.0.1:10465"
web = "127.0.0.1:10443"
[auth]
delay_after = 2
account_lock = 5
client_lock = 50
window = "1h"
lock_time = "30m"
issuer = "Example Mail"
[mailboxes]
hold_time = "7d"
)",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->listen.submissions.str(), "127.0.0.1:10465");
  EXPECT_EQ(c->listen.web.port, 10443);
  EXPECT_EQ(c->auth.delay_after, 2u);
  EXPECT_EQ(c->auth.account_lock, 5u);
  EXPECT_EQ(c->auth.client_lock, 50u);
  EXPECT_EQ(c->auth.window, 1h);
  EXPECT_EQ(c->auth.lock_time, 30min);
  EXPECT_EQ(c->auth.issuer, "Example Mail");
  EXPECT_EQ(c->mailboxes.hold_time, 7 * 24h);

  std::string text = describe(*c);
  EXPECT_NE(text.find("auth.issuer = \"Example Mail\""), std::string::npos) << text;
  auto again = load_string(text, "again.toml", "/etc/securemail");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  EXPECT_EQ(again->auth.account_lock, 5u);
  EXPECT_EQ(again->auth.window, 1h);
  EXPECT_EQ(again->mailboxes.hold_time, 7 * 24h);
  EXPECT_EQ(again->listen.web.str(), "127.0.0.1:10443");
}

TEST(ConfigAuth, UnknownKeys) {
  EXPECT_NE(load_error("[auth]\nlockout = 3\n").find("config.toml:2: auth.lockout: unknown key"), std::string::npos);
  EXPECT_NE(load_error("[mailboxes]\nhold = \"1d\"\n").find("config.toml:2: mailboxes.hold"), std::string::npos);
  EXPECT_NE(load_error("[listen]\nwebs = \"127.0.0.1:1\"\n").find("config.toml:2: listen.webs"), std::string::npos);
}

TEST(ConfigAuth, BadValues) {
  EXPECT_NE(load_error("[auth]\naccount_lock = 0\n").find("config.toml:2: auth.account_lock: must be at least 1"),
            std::string::npos);
  EXPECT_NE(load_error("[auth]\nclient_lock = \"many\"\n").find("auth.client_lock: expected an integer"),
            std::string::npos);
  EXPECT_NE(load_error("[auth]\nwindow = \"soon\"\n").find("config.toml:2: auth.window:"), std::string::npos);
  EXPECT_NE(load_error("[auth]\nlock_time = 0\n").find("auth.lock_time: must be at least 1s"), std::string::npos);
  EXPECT_NE(load_error("[mailboxes]\nhold_time = \"-\"\n").find("mailboxes.hold_time:"), std::string::npos);
  EXPECT_NE(load_error("[listen]\nweb = \"nowhere\"\n").find("config.toml:2: listen.web:"), std::string::npos);
}

TEST(ConfigAuth, DelayMustComeBeforeTheLock) {
  std::string e = load_error("[auth]\ndelay_after = 10\naccount_lock = 10\n");
  EXPECT_NE(e.find("config.toml:2: auth.delay_after: must be less than auth.account_lock (10)"), std::string::npos) << e;
}

TEST(ConfigAuth, BadIssuer) {
  EXPECT_NE(load_error("[auth]\nissuer = \"a:b\"\n").find("config.toml:2: auth.issuer: bad issuer \"a:b\""),
            std::string::npos);
  EXPECT_NE(load_error("[auth]\nissuer = \"\"\n").find("auth.issuer: bad issuer"), std::string::npos);
  EXPECT_NE(load_error("[auth]\nissuer = \"tab\\there\"\n").find("auth.issuer: bad issuer \"tab\\\\there\""),
            std::string::npos);
}

TEST(ConfigAuth, ListenersMustNotShareAPort) {
  std::string e = load_error("[listen]\nadmin = \"127.0.0.1:9000\"\nweb = \"127.0.0.1:9000\"\n");
  EXPECT_NE(e.find("config.toml:3: listen.web: \"127.0.0.1:9000\" is also listen.admin"), std::string::npos) << e;
  e = load_error("[listen]\nsubmissions = \"127.0.0.1:9001\"\nweb = \"127.0.0.1:9001\"\n");
  EXPECT_NE(e.find("listen.web: \"127.0.0.1:9001\" is also listen.submissions"), std::string::npos) << e;
  // Port 0 (chosen by the OS) never clashes.
  EXPECT_TRUE(load_string("[listen]\nsubmissions = \"127.0.0.1:0\"\nweb = \"127.0.0.1:0\"\n", "c.toml", "/"));
}
