// config_directory_test.cpp - the [directory] section: defaults, every key,
// the feed URL syntax, describe() round trip, and one test per kind of bad
// value (each error names the file, the line and the key).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using namespace std::chrono_literals;

namespace {


FeedSource feed(std::string_view text) {
  auto f = parse_feed_source(text, "/etc/securemail");
  EXPECT_TRUE(f) << text << ": " << (f ? "" : f.error());
  return f ? *f : FeedSource{};
}

}  // namespace

TEST(ConfigDirectory, Defaults) {
  auto c = load_string("domain = \"b.example\"\ndata_dir = \"/var/lib/sm\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  const auto& d = c->directory;
  EXPECT_FALSE(d.feed.enabled());
  EXPECT_EQ(d.authority, "/var/lib/sm/pki/authority.pem");
  EXPECT_EQ(d.refresh, 5min);
  EXPECT_EQ(d.max_age, 72h);
  EXPECT_EQ(d.admin_contact, "securemailadmin@b.example");
  EXPECT_TRUE(d.notify_admin);
}

TEST(ConfigDirectory, EveryKey) {
  auto c = load_string(R"(
[directory]
feed = "https://Directory.Example:8443/v1/feed.cms?x=1"
authority = "pki/auth.pem"
refresh = "30s"
max_age = "2d"
admin_contact = "ops@b.example"
notify_admin = false
)", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  const auto& d = c->directory;
  EXPECT_EQ(d.feed.kind, FeedSource::Kind::https);
  EXPECT_EQ(d.feed.host, "directory.example");
  EXPECT_EQ(d.feed.port, 8443);
  EXPECT_EQ(d.feed.path, "/v1/feed.cms?x=1");
  EXPECT_EQ(d.authority, "/etc/securemail/pki/auth.pem");
  EXPECT_EQ(d.refresh, 30s);
  EXPECT_EQ(d.max_age, 48h);
  EXPECT_EQ(d.admin_contact, "ops@b.example");
  EXPECT_FALSE(d.notify_admin);
}

TEST(ConfigDirectory, FeedSyntax) {
  FeedSource f = feed("http://127.0.0.1:8080/feed.cms");
  EXPECT_EQ(f.kind, FeedSource::Kind::http);
  EXPECT_EQ(f.host, "127.0.0.1");
  EXPECT_EQ(f.port, 8080);
  EXPECT_EQ(f.str(), "http://127.0.0.1:8080/feed.cms");
  f = feed("https://dir.example");
  EXPECT_EQ(f.port, 443);
  EXPECT_EQ(f.path, "/");
  EXPECT_EQ(f.str(), "https://dir.example/");
  f = feed("HTTP://[::1]:9000/x");
  EXPECT_EQ(f.host, "::1");
  EXPECT_EQ(f.str(), "http://[::1]:9000/x");
  f = feed("https://[2001:db8::1]/feed");
  EXPECT_EQ(f.port, 443);
  EXPECT_EQ(f.host, "2001:db8::1");
  f = feed("file:feeds/feed.cms");
  EXPECT_EQ(f.kind, FeedSource::Kind::file);
  EXPECT_EQ(f.file, "/etc/securemail/feeds/feed.cms");
  EXPECT_EQ(f.str(), "file:/etc/securemail/feeds/feed.cms");
  EXPECT_EQ(feed("file:///srv/feed.cms").file, "/srv/feed.cms");
  EXPECT_FALSE(feed("").enabled());

  for (const char* bad : {"ftp://x/feed", "dir.example/feed", "https://", "https:///feed", "file:",
                          "https://user@dir.example/", "https://dir.example/a#frag", "https://dir.example:0/",
                          "https://dir.example:99999/", "https://bad_host!/", "http://dir.example/a b",
                          "https://::1/feed"})
    EXPECT_FALSE(parse_feed_source(bad, "/")) << bad;
}

TEST(ConfigDirectory, DescribeListsEveryKeyAndLoadsBack) {
  auto c = load_string(R"(
domain = "b.example"
[directory]
feed = "http://127.0.0.1:8080/feed.cms"
refresh = 90
notify_admin = false
)", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  std::string text = describe(*c);
  for (const char* line : {"\ndirectory.feed = \"http://127.0.0.1:8080/feed.cms\"\n",
                           "\ndirectory.authority = \"/etc/securemail/securemail-data/pki/authority.pem\"\n",
                           "\ndirectory.refresh = \"90s\"\n", "\ndirectory.max_age = \"3d\"\n",
                           "\ndirectory.admin_contact = \"securemailadmin@b.example\"\n",
                           "\ndirectory.notify_admin = false\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  EXPECT_EQ(again->directory.feed, c->directory.feed);
  EXPECT_EQ(again->directory.authority, c->directory.authority);
  EXPECT_EQ(again->directory.refresh, 90s);
  EXPECT_FALSE(again->directory.notify_admin);

  std::string disabled = describe(embedded_default());
  EXPECT_NE(disabled.find("\ndirectory.feed = \"\"  # disabled\n"), std::string::npos) << disabled;
}

TEST(ConfigDirectory, BadValuesNameFileLineAndKey) {
  EXPECT_EQ(load_error("[directory]\nfeed = \"ftp://x/feed\"\n"),
            "config.toml:2: directory.feed: bad feed \"ftp://x/feed\" (use \"https://HOST/PATH\", "
            "\"http://HOST:PORT/PATH\" or \"file:PATH\", or \"\" for none)");
  EXPECT_EQ(load_error("[directory]\n\nadmin_contact = \"nobody\"\n"),
            "config.toml:3: directory.admin_contact: bad address \"nobody\" (use local@domain)");
  EXPECT_EQ(load_error("[directory]\nnotify_admin = \"yes\"\n"),
            "config.toml:2: directory.notify_admin: expected true or false, got a string");
  EXPECT_EQ(load_error("[directory]\nrefesh = \"1m\"\n"),
            "config.toml:2: directory.refesh: unknown key (did you mean \"refresh\"?)");
  EXPECT_EQ(load_error("[directory]\nmax_age = \"0s\"\n"), "config.toml:2: directory.max_age: must be at least 1s");
  EXPECT_EQ(load_error("[directory]\nrefresh = \"2h\"\nmax_age = \"1h\"\n"),
            "config.toml:2: directory.refresh: directory.refresh (2h) is longer than directory.max_age (1h): "
            "every feed would go stale between fetches");
  EXPECT_EQ(load_error("[directory]\nfeed = 42\n"), "config.toml:2: directory.feed: expected a string, got an integer");
  EXPECT_EQ(load_error("directory = \"x\"\n"), "config.toml:1: directory: expected a table, got a string");
  EXPECT_NE(load_error("[directory]\nfeed = \"https://u@dir.example/\"\n").find("config.toml:2: directory.feed: no user@"),
            std::string::npos);
}
