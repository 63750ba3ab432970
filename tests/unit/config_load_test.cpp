// config_load_test.cpp - the embedded default, a full file, relative paths,
// describe() round trips, [run], and one test per kind of bad config: each
// error must name the file, the line and the key.
#include "config/config.h"
#include "config_test_support.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

using namespace sm::config;
using sm::config::testing::load_error;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(ConfigDefault, EveryKeyHasItsDocumentedDefault) {
  Config c = embedded_default();
  EXPECT_EQ(c.source, "<embedded default>");
  EXPECT_EQ(c.domain, "localhost");
  EXPECT_EQ(c.domains, std::vector<std::string>{"localhost"});
  EXPECT_FALSE(c.hostname.empty());
  EXPECT_EQ(c.data_dir, (fs::current_path() / "securemail-data").lexically_normal());
  EXPECT_EQ(c.log_level, LogLevel::info);
  EXPECT_EQ(c.listen.relay.str(), "127.0.0.1:10025");
  EXPECT_EQ(c.listen.inbound.str(), "127.0.0.1:10026");
  EXPECT_EQ(c.listen.admin.str(), "127.0.0.1:10080");
  EXPECT_FALSE(c.listen.submission.enabled());
  EXPECT_TRUE(c.tls.development());
  EXPECT_EQ(c.deliver.internal.kind, Target::Kind::maildir);
  EXPECT_EQ(c.deliver.internal.path, c.data_dir / "maildir");
  EXPECT_FALSE(c.deliver.verify_recipients);  // every local part taken
  EXPECT_EQ(c.routes.fallback.kind, Target::Kind::mx);
  EXPECT_TRUE(c.routes.by_domain.empty());
  EXPECT_EQ(c.queue.lifetime, 5 * 24h);
  EXPECT_EQ(c.queue.min_backoff, 5min);
  EXPECT_EQ(c.queue.max_backoff, 1h);
  EXPECT_EQ(c.queue.scan_interval, 1min);
  EXPECT_EQ(c.queue.sync, SyncMode::syncfs);
  EXPECT_EQ(c.limits.max_message_size, 50u * 1024 * 1024);
  EXPECT_EQ(c.limits.max_recipients, 1000u);
  EXPECT_EQ(c.limits.max_line_length, 1000u);
  EXPECT_EQ(c.limits.max_connections, 200u);
  EXPECT_EQ(c.limits.max_connections_per_ip, 50u);
  EXPECT_EQ(c.limits.max_errors, 10u);
  EXPECT_EQ(c.limits.command_timeout, 5min);
  EXPECT_EQ(c.limits.session_timeout, 30min);
  EXPECT_EQ(c.delivery.max_connections, 50u);
  EXPECT_EQ(c.delivery.max_per_destination, 20u);
  EXPECT_EQ(c.delivery.messages_per_connection, 100u);
  EXPECT_EQ(c.delivery.connect_timeout, 30s);
  EXPECT_EQ(c.delivery.command_timeout, 5min);
  EXPECT_EQ(c.delivery.data_timeout, 10min);
  EXPECT_TRUE(c.dns.nameservers.empty());
  EXPECT_EQ(c.limits.member_connections, 50u);
  EXPECT_EQ(c.delivery.priority_connections, 10u);
  EXPECT_EQ(c.policy.forgery, Config::Policy::Forgery::reject);
  EXPECT_TRUE(c.relay_clients.empty());
}

TEST(ConfigLoad, FullFile) {
  auto c = load_string(R"(
domain = "A.Example"
domains = ["b.example", "a.example", "C.example."]
hostname = "gw.a.example"
data_dir = "/var/lib/securemail"
log_level = "debug"

[listen]
relay = "0.0.0.0:25"
inbound = "[::]:2525"
admin = ""
submission = "127.0.0.1:0"

[tls]
cert = "tls/cert.pem"
key = "/etc/ssl/private/gw.key"

[deliver]
internal = "lmtp://[::1]:24"
recipients = "verify"

[routes]
default = "smtp://smarthost.example:587"
"B.example" = "mx"
"partner.example" = "smtp://10.0.0.5:25"

[queue]
lifetime = "2w"
min_backoff = 60
max_backoff = "2h"
scan_interval = "30s"
sync = "fsync"

[limits]
max_message_size = "512K"
max_recipients = 50
max_line_length = 512
max_connections = 10
max_connections_per_ip = 2
max_errors = 3
command_timeout = "1m"
session_timeout = "1h"

[delivery]
max_connections = 5
max_per_destination = 2
messages_per_connection = 7
connect_timeout = "10s"
command_timeout = "2m"
data_timeout = "20m"

[dns]
nameservers = ["192.0.2.53", "192.0.2.54:5353", "2001:db8::53", "[2001:db8::54]:53"]
)",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->domain, "a.example");
  EXPECT_EQ(c->domains, (std::vector<std::string>{"a.example", "b.example", "c.example"}));
  EXPECT_TRUE(c->receives_for("C.EXAMPLE"));
  EXPECT_FALSE(c->receives_for("d.example"));
  EXPECT_EQ(c->hostname, "gw.a.example");
  EXPECT_EQ(c->data_dir, "/var/lib/securemail");
  EXPECT_EQ(c->log_level, LogLevel::debug);
  EXPECT_EQ(c->listen.relay, (Endpoint{"0.0.0.0", 25}));
  EXPECT_EQ(c->listen.inbound, (Endpoint{"::", 2525}));
  EXPECT_EQ(c->listen.inbound.str(), "[::]:2525");
  EXPECT_FALSE(c->listen.admin.enabled());
  EXPECT_EQ(c->listen.submission, (Endpoint{"127.0.0.1", 0}));
  EXPECT_EQ(c->tls.cert, "/etc/securemail/tls/cert.pem");
  EXPECT_EQ(c->tls.key, "/etc/ssl/private/gw.key");
  EXPECT_EQ(c->deliver.internal.str(), "lmtp://[::1]:24");
  EXPECT_TRUE(c->deliver.verify_recipients);
  EXPECT_EQ(c->routes.fallback.str(), "smtp://smarthost.example:587");
  EXPECT_EQ(c->routes.for_domain("B.EXAMPLE").kind, Target::Kind::mx);
  EXPECT_EQ(c->routes.for_domain("partner.example").str(), "smtp://10.0.0.5:25");
  EXPECT_EQ(c->routes.for_domain("other.example").str(), "smtp://smarthost.example:587");
  EXPECT_EQ(c->queue.lifetime, 14 * 24h);
  EXPECT_EQ(c->queue.min_backoff, 1min);
  EXPECT_EQ(c->queue.max_backoff, 2h);
  EXPECT_EQ(c->queue.scan_interval, 30s);
  EXPECT_EQ(c->queue.sync, SyncMode::fsync);
  EXPECT_EQ(c->limits.max_message_size, 512u * 1024);
  EXPECT_EQ(c->limits.max_recipients, 50u);
  EXPECT_EQ(c->limits.max_line_length, 512u);
  EXPECT_EQ(c->limits.max_connections, 10u);
  EXPECT_EQ(c->limits.max_connections_per_ip, 2u);
  EXPECT_EQ(c->limits.max_errors, 3u);
  EXPECT_EQ(c->limits.command_timeout, 1min);
  EXPECT_EQ(c->limits.session_timeout, 1h);
  EXPECT_EQ(c->delivery.max_connections, 5u);
  EXPECT_EQ(c->delivery.max_per_destination, 2u);
  EXPECT_EQ(c->delivery.messages_per_connection, 7u);
  EXPECT_EQ(c->delivery.connect_timeout, 10s);
  EXPECT_EQ(c->delivery.command_timeout, 2min);
  EXPECT_EQ(c->delivery.data_timeout, 20min);
  ASSERT_EQ(c->dns.nameservers.size(), 4u);
  EXPECT_EQ(c->dns.nameservers[0], (Endpoint{"192.0.2.53", 53}));
  EXPECT_EQ(c->dns.nameservers[1], (Endpoint{"192.0.2.54", 5353}));
  EXPECT_EQ(c->dns.nameservers[2], (Endpoint{"2001:db8::53", 53}));
  EXPECT_EQ(c->dns.nameservers[3], (Endpoint{"2001:db8::54", 53}));

  // describe() prints every setting and loads back to the same values.
  std::string text = describe(*c);
  EXPECT_NE(text.find("queue.lifetime = \"2w\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("limits.max_message_size = \"512K\""), std::string::npos) << text;
  EXPECT_NE(text.find("routes.\"partner.example\" = \"smtp://10.0.0.5:25\""), std::string::npos);
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  std::string text2 = describe(*again);
  EXPECT_EQ(text2.substr(text2.find('\n')), text.substr(text.find('\n')));
}

TEST(ConfigLoad, DescribeOfDefaultListsEveryKeyAndLoadsBack) {
  Config c = embedded_default();
  std::string text = describe(c);
  for (const char* k : {"domain =", "domains =", "hostname =", "data_dir =", "log_level =",
                        "listen.relay =", "listen.inbound =", "listen.admin =", "listen.submission =",
                        "tls.cert =", "tls.key =", "deliver.internal =", "deliver.recipients =", "routes.default =",
                        "queue.lifetime =", "queue.min_backoff =", "queue.max_backoff =",
                        "queue.scan_interval =", "queue.sync =", "limits.max_message_size =",
                        "limits.max_recipients =", "limits.max_line_length =",
                        "limits.max_connections =", "limits.max_connections_per_ip =",
                        "limits.max_errors =", "limits.command_timeout =", "limits.session_timeout =",
                        "delivery.max_connections =", "delivery.max_per_destination =", "delivery.initial_per_destination =",
                        "delivery.messages_per_connection =", "delivery.connect_timeout =",
                        "delivery.command_timeout =", "delivery.data_timeout =", "dns.nameservers =",
                        "limits.member_connections =", "delivery.priority_connections =",
                        "policy.forgery =", "policy.forgery_subject_tag =", "policy.replay_window ="})
    EXPECT_NE(text.find(std::string("\n") + k), std::string::npos) << k << "\n" << text;
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->data_dir, c.data_dir);
  EXPECT_EQ(again->deliver.internal, c.deliver.internal);
}

TEST(ConfigLoad, RelativePathsResolveAgainstTheConfigFolder) {
  fs::path dir = fs::temp_directory_path() / ("sm-config-test-" + std::to_string(::getpid()));
  fs::create_directories(dir / "etc");
  {
    std::ofstream(dir / "etc" / "config.toml") << "data_dir = \"../data\"\n"
                                                  "[deliver]\ninternal = \"maildir:mail/inbox\"\n";
  }
  auto c = load_file(dir / "etc" / "config.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->data_dir, (dir / "data").lexically_normal());
  EXPECT_EQ(c->deliver.internal.path, (dir / "etc" / "mail" / "inbox").lexically_normal());

  // Without [deliver], the maildir follows data_dir.
  { std::ofstream(dir / "etc" / "config.toml") << "data_dir = \"d\"\n"; }
  c = load_file(dir / "etc" / "config.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->deliver.internal.path, (dir / "etc" / "d" / "maildir").lexically_normal());
  fs::remove_all(dir);

  auto missing = load_file(dir / "nope.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("nope.toml: cannot open"), std::string::npos) << missing.error();
}

TEST(ConfigBad, UnknownKeyNamesLineAndSuggests) {
  std::string e = load_error("domain = \"a.example\"\n[limits]\nmax_recipient = 5\n");
  EXPECT_NE(e.find("config.toml:3: limits.max_recipient: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"max_recipients\""), std::string::npos) << e;
  e = load_error("\n\n[lissen]\nrelay = \"127.0.0.1:25\"\n");
  EXPECT_NE(e.find("config.toml:3: lissen: unknown key"), std::string::npos) << e;
}

TEST(ConfigBad, BadDuration) {
  std::string e = load_error("[queue]\n\nlifetime = \"5x\"\n");
  EXPECT_EQ(e, "config.toml:3: queue.lifetime: bad duration \"5x\" (use e.g. 30s, 5m, 4h, 5d)");
  e = load_error("[limits]\ncommand_timeout = \"0s\"\n");
  EXPECT_NE(e.find("config.toml:2: limits.command_timeout: must be at least 1s"), std::string::npos) << e;
}

TEST(ConfigBad, BadSize) {
  std::string e = load_error("[limits]\nmax_message_size = \"50MB\"\n");
  EXPECT_NE(e.find("config.toml:2: limits.max_message_size: bad size \"50MB\""), std::string::npos) << e;
}

TEST(ConfigBad, BadTargetScheme) {
  std::string e = load_error("[deliver]\ninternal = \"ftp://mail:25\"\n");
  EXPECT_NE(e.find("config.toml:2: deliver.internal: bad target \"ftp://mail:25\""), std::string::npos) << e;
  e = load_error("[routes]\n\"b.example\" = \"maildir:/x\"\n");
  EXPECT_NE(e.find("config.toml:2: routes.b.example: bad target"), std::string::npos) << e;
  e = load_error("[deliver]\ninternal = \"mx\"\n");
  EXPECT_NE(e.find("config.toml:2: deliver.internal:"), std::string::npos) << e;
  e = load_error("[deliver]\ninternal = \"smtp://:25\"\n");
  EXPECT_NE(e.find("config.toml:2: deliver.internal: missing host"), std::string::npos) << e;
  e = load_error("[deliver]\n\nrecipients = \"accounts\"\n");
  EXPECT_EQ(e, "config.toml:3: deliver.recipients: bad value \"accounts\" (use any or verify)");
}

TEST(ConfigBad, BadPort) {
  std::string e = load_error("[listen]\nrelay = \"127.0.0.1:70000\"\n");
  EXPECT_NE(e.find("config.toml:2: listen.relay: bad port"), std::string::npos) << e;
  e = load_error("[routes]\ndefault = \"smtp://relay.example:0\"\n");
  EXPECT_NE(e.find("config.toml:2: routes.default: bad port"), std::string::npos) << e;
  e = load_error("[listen]\ninbound = \"::1:25\"\n");
  EXPECT_NE(e.find("config.toml:2: listen.inbound: IPv6 address needs brackets"), std::string::npos) << e;
  e = load_error("[listen]\nrelay = \"127.0.0.1:2525\"\ninbound = \"127.0.0.1:2525\"\n");
  EXPECT_NE(e.find("config.toml:3: listen.inbound: \"127.0.0.1:2525\" is also listen.relay"),
            std::string::npos) << e;
}

TEST(ConfigBad, NegativeNumber) {
  std::string e = load_error("[limits]\nmax_recipients = -5\n");
  EXPECT_EQ(e, "config.toml:2: limits.max_recipients: must be at least 1, got -5");
  e = load_error("[queue]\nlifetime = -1\n");
  EXPECT_EQ(e, "config.toml:2: queue.lifetime: must not be negative, got -1");
  e = load_error("[limits]\nmax_line_length = 100\n");
  EXPECT_EQ(e, "config.toml:2: limits.max_line_length: must be at least 512, got 100");
}

TEST(ConfigBad, WrongType) {
  std::string e = load_error("[limits]\nmax_recipients = \"5\"\n");
  EXPECT_EQ(e, "config.toml:2: limits.max_recipients: expected an integer, got a string");
  e = load_error("domains = \"b.example\"\n");
  EXPECT_NE(e.find("config.toml:1: domains: expected an array of strings"), std::string::npos) << e;
  e = load_error("listen = 5\n");
  EXPECT_NE(e.find("config.toml:1: listen: expected a table"), std::string::npos) << e;
  e = load_error("[queue]\nmin_backoff = 1.5\n");
  EXPECT_NE(e.find("config.toml:2: queue.min_backoff: expected a duration"), std::string::npos) << e;
}

TEST(ConfigBad, SyntaxErrorHasLineAndColumn) {
  std::string e = load_error("domain = \"a.example\"\n[queue\nlifetime = \"5d\"\n");
  EXPECT_TRUE(e.starts_with("config.toml:2:")) << e;
  EXPECT_NE(e.find("config.toml:2:7"), std::string::npos) << e;
}

TEST(ConfigBad, CrossFieldAndValueChecks) {
  std::string e = load_error("[queue]\nmin_backoff = \"2h\"\nmax_backoff = \"1h\"\n");
  EXPECT_NE(e.find("config.toml:3: queue.max_backoff:"), std::string::npos) << e;
  e = load_error("[tls]\ncert = \"c.pem\"\n");
  EXPECT_NE(e.find("config.toml:2: tls.cert: tls.cert and tls.key must be given together"),
            std::string::npos) << e;
  e = load_error("log_level = \"verbose\"\n");
  EXPECT_NE(e.find("config.toml:1: log_level: bad level"), std::string::npos) << e;
  e = load_error("domain = \"bad domain\"\n");
  EXPECT_NE(e.find("config.toml:1: domain: bad domain"), std::string::npos) << e;
  e = load_error("[dns]\nnameservers = [\n \"ns.example\"]\n");
  EXPECT_NE(e.find("config.toml:3: dns.nameservers:"), std::string::npos) << e;
}

TEST(ConfigBad, AllProblemsReportedInLineOrder) {
  std::string e = load_error("[queue]\nlifetime = \"x\"\n[limits]\nmax_errors = 0\nfoo = 1\n");
  auto a = e.find("config.toml:2:"), b = e.find("config.toml:4:"), c = e.find("config.toml:5:");
  ASSERT_NE(a, std::string::npos) << e;
  ASSERT_NE(b, std::string::npos) << e;
  ASSERT_NE(c, std::string::npos) << e;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(ConfigValues, DurationsAndSizes) {
  EXPECT_EQ(*parse_duration("90"), 90s);
  EXPECT_EQ(*parse_duration("3w"), 21 * 24h);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("m"));
  EXPECT_FALSE(parse_duration("5 m"));
  EXPECT_FALSE(parse_duration("99999999999999999999d"));
  EXPECT_EQ(*parse_size("10240000"), 10240000u);
  EXPECT_EQ(*parse_size("1G"), 1u << 30);
  EXPECT_FALSE(parse_size("1T"));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(5 * 24h), "5d");
  EXPECT_EQ(format_size(50u << 20), "50M");
  EXPECT_EQ(format_size(1000), "1000");
}

// [run]: the account `securemail run` switches to after binding its ports.
TEST(ConfigRun, DefaultStaysAsStarted) {
  auto c = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->run.user, "");
  EXPECT_EQ(c->run.group, "");
  auto again = load_string(describe(*c), "described.toml", "/etc/securemail");  // run.user = "" loads back
  ASSERT_TRUE(again) << again.error();
}

TEST(ConfigRun, UserAndGroupRoundTrip) {
  auto c = load_string("[run]\nuser = \"securemail\"\ngroup = \"mail\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->run.user, "securemail");
  EXPECT_EQ(c->run.group, "mail");
  std::string text = describe(*c);
  EXPECT_NE(text.find("run.user = \"securemail\""), std::string::npos) << text;
  auto again = load_string(text, "described.toml", "/etc/securemail");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->run.user, "securemail");
  EXPECT_EQ(again->run.group, "mail");
}

TEST(ConfigRun, BadValuesNameFileLineAndKey) {
  EXPECT_EQ(load_error("[run]\nuser = \"root; rm\"\n").rfind("config.toml:2: run.user: bad account name", 0), 0u);
  EXPECT_EQ(load_error("[run]\nuser = \"-x\"\n").rfind("config.toml:2: run.user: bad account name", 0), 0u);
  EXPECT_EQ(load_error("[run]\nuser = 0\n").rfind("config.toml:2: run.user:", 0), 0u);
  EXPECT_EQ(load_error("[run]\ngroup = \"mail\"\n").rfind("config.toml:2: run.group: needs run.user", 0), 0u);
  EXPECT_NE(load_error("[run]\nusr = \"x\"\n").find("run.usr"), std::string::npos);
}

// Found by fuzz/config_toml: "defaUlt" was read as a route for the domain
// "default", and describe() then printed routes.default twice (no TOML).
TEST(ConfigLoad, DefaultRouteKeyInAnyCaseIsTheFallback) {
  auto c = load_string("[routes]\ndefaUlt = \"smtp://relay.example:5\"\n", "described.toml", "/");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->routes.fallback.str(), "smtp://relay.example:5");
  EXPECT_TRUE(c->routes.by_domain.empty());
  auto again = load_string(describe(*c), "described.toml", "/");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(describe(*again), describe(*c));
}
