// config_log_test.cpp - [log]: defaults, every key, the file resolved
// against the config folder, describe() round trip, and each bad value
// refused with file, line and key.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using namespace std::chrono_literals;

TEST(ConfigLog, Defaults) {
  auto c = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->log.addresses, LogPrivacy::Addresses::plain);
  EXPECT_FALSE(c->log.subjects);
  EXPECT_TRUE(c->log.file.empty());
  EXPECT_EQ(c->log.retention, 30 * 24h);
  EXPECT_EQ(c->log_level, LogLevel::info);  // the root key is unchanged
}

TEST(ConfigLog, EveryKey) {
  auto c = load_string(R"(log_level = "debug"
[log]
addresses = "hashed"
subjects = true
file = "logs/securemail.log"
retention = "7d"
)", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->log_level, LogLevel::debug);
  EXPECT_EQ(c->log.addresses, LogPrivacy::Addresses::hashed);
  EXPECT_TRUE(c->log.subjects);
  EXPECT_EQ(c->log.file, "/etc/securemail/logs/securemail.log");
  EXPECT_EQ(c->log.retention, 7 * 24h);
  auto absolute = load_string("[log]\nfile = \"/var/log/securemail/gw.log\"\nretention = \"1d\"\n", "config.toml",
                              "/etc/securemail");
  ASSERT_TRUE(absolute) << absolute.error();
  EXPECT_EQ(absolute->log.file, "/var/log/securemail/gw.log");
  EXPECT_EQ(absolute->log.retention, 24h);
}

TEST(ConfigLog, DescribeLoadsBack) {
  auto c = load_string("[log]\naddresses = \"hashed\"\nfile = \"gw.log\"\nretention = \"90d\"\n", "config.toml",
                       "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  std::string text = describe(*c);
  EXPECT_NE(text.find("log.addresses = \"hashed\""), std::string::npos) << text;
  EXPECT_NE(text.find("log.file = \"/etc/securemail/gw.log\""), std::string::npos) << text;
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  EXPECT_EQ(again->log.addresses, LogPrivacy::Addresses::hashed);
  EXPECT_FALSE(again->log.subjects);
  EXPECT_EQ(again->log.file, "/etc/securemail/gw.log");
  EXPECT_EQ(again->log.retention, 90 * 24h);
}

TEST(ConfigLog, BadValues) {
  EXPECT_EQ(load_error("[log]\naddresses = \"masked\"\n"),
            "config.toml:2: log.addresses: bad value \"masked\" (use plain or hashed)");
  EXPECT_EQ(load_error("[log]\nretention = \"12h\"\n"),
            "config.toml:2: log.retention: must be at least 1d (log files are kept per day)");
  EXPECT_NE(load_error("[log]\nretention = \"soon\"\n").find("config.toml:2: log.retention:"), std::string::npos);
  EXPECT_NE(load_error("[log]\nsubjects = \"yes\"\n").find("config.toml:2: log.subjects:"), std::string::npos);
  EXPECT_NE(load_error("[log]\nfile = 3\n").find("config.toml:2: log.file:"), std::string::npos);
  EXPECT_EQ(load_error("[log]\nfile = \"logs/..\"\n"), "config.toml:2: log.file: names a folder, not a file: \"logs/..\"");
  EXPECT_NE(load_error("[log]\nbodies = true\n").find("config.toml:2: log.bodies:"), std::string::npos);
}
