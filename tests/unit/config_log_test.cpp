// config_log_test.cpp - [log] and [alerts]: defaults, every key, the file resolved
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
  EXPECT_EQ(load_error("[log]\nsyslog = \"dev/log\"\n"),
            "config.toml:2: log.syslog: must be the absolute path of a socket, like \"/dev/log\"");
  EXPECT_EQ(load_error("[log]\nsyslog_facility = \"kern\"\n"),
            "config.toml:2: log.syslog_facility: bad value \"kern\" (use mail, daemon, user or local0..local7)");
}

TEST(ConfigLog, SyslogKeys) {
  auto c = load_string("[log]\nsyslog = \"/dev/log\"\nsyslog_facility = \"local3\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->log.syslog, "/dev/log");
  EXPECT_EQ(c->log.syslog_facility, "local3");
  auto again = load_string(describe(*c), "described.toml", "/");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->log.syslog, "/dev/log");
  EXPECT_EQ(again->log.syslog_facility, "local3");
  auto off = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->log.syslog, "");
  EXPECT_EQ(off->log.syslog_facility, "mail");
}

TEST(ConfigAlerts, DefaultsEveryKeyAndBadValues) {
  auto d = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->alerts.certificate_days, 30);
  EXPECT_EQ(d->alerts.peer_unreachable, 1h);
  EXPECT_EQ(d->alerts.spool_disk_percent, 80);
  auto c = load_string("[alerts]\ncertificate_days = 45\npeer_unreachable = \"20m\"\nspool_disk_percent = 90\n",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->alerts.certificate_days, 45);
  EXPECT_EQ(c->alerts.peer_unreachable, 20min);
  EXPECT_EQ(c->alerts.spool_disk_percent, 90);
  auto again = load_string(describe(*c), "described.toml", "/");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->alerts.peer_unreachable, 20min);
  EXPECT_EQ(again->alerts.spool_disk_percent, 90);
  EXPECT_EQ(load_error("[alerts]\nspool_disk_percent = 100\n"), "config.toml:2: alerts.spool_disk_percent: must be at most 99");
  EXPECT_EQ(load_error("[alerts]\npeer_unreachable = \"10s\"\n"), "config.toml:2: alerts.peer_unreachable: must be at least 1m");
  EXPECT_NE(load_error("[alerts]\ncertificate_days = 0\n").find("config.toml:2: alerts.certificate_days: must be at least 1"),
            std::string::npos);
  EXPECT_NE(load_error("[alerts]\nwatch = true\n").find("config.toml:2: alerts.watch:"), std::string::npos);
}

namespace sm::config {
namespace {

TEST(ConfigSelfTest, DefaultsEveryKeyAndBadValues) {
  using namespace std::chrono_literals;
  auto d = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(d->selftest.enabled);
  EXPECT_EQ(d->selftest.interval, 24h);
  EXPECT_EQ(d->selftest.first_after, 10min);
  EXPECT_EQ(d->selftest.sample, 3u);
  EXPECT_EQ(d->selftest.timeout, 15min);
  EXPECT_EQ(d->selftest.ping_limit, 20u);
  auto c = load_string("[selftest]\nenabled = false\ninterval = \"6h\"\nfirst_after = \"30s\"\nsample = 0\n"
                       "timeout = \"2m\"\nping_limit = 5\n",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->selftest.enabled);
  EXPECT_EQ(c->selftest.interval, 6h);
  EXPECT_EQ(c->selftest.first_after, 30s);
  EXPECT_EQ(c->selftest.sample, 0u);
  EXPECT_EQ(c->selftest.timeout, 2min);
  EXPECT_EQ(c->selftest.ping_limit, 5u);
  auto again = load_string(describe(*c), "described.toml", "/");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->selftest.interval, 6h);
  EXPECT_FALSE(again->selftest.enabled);
  EXPECT_EQ(load_error("[selftest]\ninterval = \"30s\"\n"), "config.toml:2: selftest.interval: must be at least 1m");
  EXPECT_EQ(load_error("[selftest]\ninterval = \"10m\"\ntimeout = \"10m\"\n"),
            "config.toml:3: selftest.timeout: must be shorter than selftest.interval");
  EXPECT_EQ(load_error("[selftest]\nsample = 51\n"), "config.toml:2: selftest.sample: must be at most 50");
  EXPECT_NE(load_error("[selftest]\nping_limit = 0\n").find("config.toml:2: selftest.ping_limit: must be at least 1"),
            std::string::npos);
  EXPECT_NE(load_error("[selftest]\nevery = \"1h\"\n").find("config.toml:2: selftest.every:"), std::string::npos);
}

TEST(ConfigFacility, DefaultsEveryKeyAndBadValues) {
  using namespace std::chrono_literals;
  auto d = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->facility.delay, 120s);
  EXPECT_EQ(d->facility.tempfail_for, 1min);
  EXPECT_FALSE(d->facility.strip.enabled());
  EXPECT_FALSE(d->facility.badtls.enabled());
  auto c = load_string("[facility]\ndelay = \"10s\"\ntempfail_for = \"5s\"\nstrip = \"127.0.0.1:2603\"\n"
                       "badtls = \"127.0.0.1:0\"\n",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->facility.delay, 10s);
  EXPECT_EQ(c->facility.tempfail_for, 5s);
  EXPECT_EQ(c->facility.strip.str(), "127.0.0.1:2603");
  EXPECT_EQ(c->facility.badtls.port, 0);
  auto again = load_string(describe(*c), "described.toml", "/");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->facility.strip, c->facility.strip);
  EXPECT_EQ(again->facility.delay, 10s);
  EXPECT_EQ(load_error("[facility]\ndelay = \"10m\"\n"),
            "config.toml:2: facility.delay: must be between 1s and 9m (RFC 5321 allows a client 10m)");
  EXPECT_EQ(load_error("[facility]\ntempfail_for = \"25h\"\n"),
            "config.toml:2: facility.tempfail_for: must be between 1s and 24h");
  EXPECT_EQ(load_error("[facility]\ntempfail_for = \"0s\"\n"), "config.toml:2: facility.tempfail_for: must be at least 1s");
  EXPECT_NE(load_error("[facility]\nstrip = \"nowhere\"\n").find("config.toml:2: facility.strip:"), std::string::npos);
  EXPECT_NE(load_error("[facility]\nechoes = 1\n").find("config.toml:2: facility.echoes:"), std::string::npos);
}

}  // namespace
}  // namespace sm::config
