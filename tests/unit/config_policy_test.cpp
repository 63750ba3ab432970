// config_policy_test.cpp - the gateway pipeline's keys: [policy],
// [[relay_client]], limits.member_connections and
// delivery.priority_connections: defaults, every key, normalisation,
// describe() round trip, and one test per kind of bad value (each error
// names the file, the line and the key).
#include <gtest/gtest.h>

#include "config/client_identity.h"
#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

namespace {


constexpr std::string_view kFingerprint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Two customers of a gateway service provider, as docs/configuration.md shows.
constexpr std::string_view kTwoCustomers = R"(domain = "gsp.example"

[[relay_client]]
name = "acme"
networks = ["192.0.2.0/24", "2001:DB8:0:0::/48", "198.51.100.7/32"]
domains = ["Acme.Example", "mail.acme.example."]

[[relay_client]]
name = "globex"
networks = ["192.0.2.128/25"]
certificates = ["01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"]
domains = ["globex.example"]
)";

}  // namespace

TEST(ConfigPolicy, Defaults) {
  Config c = embedded_default();
  EXPECT_EQ(c.policy.forgery, Config::Policy::Forgery::reject);
  EXPECT_EQ(c.policy.subject_tag, "[SUSPECTED FORGERY]");
  EXPECT_EQ(c.policy.replay_window, 7 * 24h);
  EXPECT_TRUE(c.relay_clients.empty());
  EXPECT_EQ(c.limits.member_connections, 50u);
  EXPECT_EQ(c.delivery.priority_connections, 10u);
}

TEST(ConfigPolicy, EveryKey) {
  auto c = load_string(R"(
[policy]
forgery = "tag"
forgery_subject_tag = "[FORGED?]"
replay_window = "36h"

[limits]
member_connections = 0

[delivery]
max_connections = 8
priority_connections = 7
)", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->policy.forgery, Config::Policy::Forgery::tag);
  EXPECT_EQ(c->policy.subject_tag, "[FORGED?]");
  EXPECT_EQ(c->policy.replay_window, 36h);
  EXPECT_EQ(c->limits.member_connections, 0u);
  EXPECT_EQ(c->delivery.priority_connections, 7u);
  auto q = load_string("[policy]\nforgery = \"quarantine\"\n", "config.toml");
  ASSERT_TRUE(q) << q.error();
  EXPECT_EQ(q->policy.forgery, Config::Policy::Forgery::quarantine);
}

TEST(ConfigPolicy, PriorityDefaultLeavesNormalMailAConnection) {
  auto c = load_string("[delivery]\nmax_connections = 5\n", "config.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->delivery.priority_connections, 4u);
  c = load_string("[delivery]\nmax_connections = 1\n", "config.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->delivery.priority_connections, 0u);
}

TEST(ConfigPolicy, RelayClientsNormalised) {
  auto c = load_string(kTwoCustomers, "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->relay_clients.size(), 2u);
  const auto& acme = c->relay_clients[0];
  EXPECT_EQ(acme.name, "acme");
  EXPECT_EQ(acme.networks, (Strings{"192.0.2.0/24", "2001:db8::/48", "198.51.100.7"}));
  EXPECT_TRUE(acme.certificates.empty());
  EXPECT_EQ(acme.domains, (Strings{"acme.example", "mail.acme.example"}));
  const auto& globex = c->relay_clients[1];
  EXPECT_EQ(globex.certificates, Strings{std::string(kFingerprint)});
  EXPECT_EQ(globex.domains, Strings{"globex.example"});
}

TEST(ConfigPolicy, InlineTablesAndDuplicatesWithinOneClient) {
  auto c = load_string(R"(relay_client = [
  { name = "solo", certificates = [")" + std::string(kFingerprint) + R"("], domains = ["a.example", "A.EXAMPLE"] },
])", "config.toml");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->relay_clients.size(), 1u);
  EXPECT_EQ(c->relay_clients[0].domains, Strings{"a.example"});
  EXPECT_TRUE(c->relay_clients[0].networks.empty());
}

TEST(ConfigPolicy, DescribeLoadsBack) {
  auto c = load_string(std::string(kTwoCustomers) + "", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  std::string text = describe(*c);
  for (const char* k : {"\nlimits.member_connections = 50", "\ndelivery.priority_connections = 10",
                        "\npolicy.forgery = \"reject\"", "\npolicy.forgery_subject_tag = \"[SUSPECTED FORGERY]\"",
                        "\npolicy.replay_window = \"1w\"", "\n[[relay_client]]\nname = \"acme\"\n",
                        "\nnetworks = [\"192.0.2.0/24\", \"2001:db8::/48\", \"198.51.100.7\"]\n"})
    EXPECT_NE(text.find(k), std::string::npos) << k << "\n" << text;
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  ASSERT_EQ(again->relay_clients.size(), 2u);
  EXPECT_EQ(again->relay_clients[1].certificates, c->relay_clients[1].certificates);
  EXPECT_EQ(again->relay_clients[0].domains, c->relay_clients[0].domains);
  std::string text2 = describe(*again);
  EXPECT_EQ(text2.substr(text2.find('\n')), text.substr(text.find('\n')));

  // Without relay clients the printout says so, in a comment.
  std::string none = describe(embedded_default());
  EXPECT_NE(none.find("# [[relay_client]]: none"), std::string::npos) << none;
}

TEST(ConfigPolicyBad, PolicyValues) {
  EXPECT_EQ(load_error("[policy]\nforgery = \"drop\"\n"),
            "config.toml:2: policy.forgery: bad value \"drop\" (use reject, quarantine or tag)");
  // A value or key echoed back stays on one line: control octets escaped.
  EXPECT_EQ(load_error("[policy]\nforgery = \"x\\r\\nBcc: all@example\"\n"),
            "config.toml:2: policy.forgery: bad value \"x\\r\\nBcc: all@example\" (use reject, quarantine or tag)");
  EXPECT_EQ(load_error("[queue]\nsync = \"a\\tb\\u0001\"\n"),
            "config.toml:2: queue.sync: bad value \"a\\tb\\x01\" (use syncfs or fsync)");
  EXPECT_EQ(load_error("\"bad\\nkey\" = 1\n").find('\n'), std::string::npos);
  std::string e = load_error("[policy]\nforgery_subject_tag = \"\"\n");
  EXPECT_NE(e.find("config.toml:2: policy.forgery_subject_tag: must be 1..100 printable ASCII"), std::string::npos) << e;
  e = load_error("[policy]\nforgery_subject_tag = \"x\\r\\nBcc: all@example\"\n");
  EXPECT_NE(e.find("config.toml:2: policy.forgery_subject_tag:"), std::string::npos) << e;
  e = load_error("[policy]\n\nreplay_window = \"0s\"\n");
  EXPECT_NE(e.find("config.toml:3: policy.replay_window: must be at least 1s"), std::string::npos) << e;
  e = load_error("[policy]\nreplay_window = \"soon\"\n");
  EXPECT_NE(e.find("config.toml:2: policy.replay_window: bad duration"), std::string::npos) << e;
  e = load_error("[policy]\nforgry = \"tag\"\n");
  EXPECT_NE(e.find("config.toml:2: policy.forgry: unknown key (did you mean \"forgery\"?)"), std::string::npos) << e;
}

TEST(ConfigPolicyBad, ConnectionCounts) {
  EXPECT_EQ(load_error("[delivery]\nmax_connections = 10\npriority_connections = 10\n"),
            "config.toml:3: delivery.priority_connections: must be less than delivery.max_connections (10), "
            "got 10: normal mail needs a connection too");
  EXPECT_EQ(load_error("[delivery]\npriority_connections = -1\n"),
            "config.toml:2: delivery.priority_connections: must be at least 0, got -1");
  EXPECT_EQ(load_error("[limits]\nmember_connections = \"5\"\n"),
            "config.toml:2: limits.member_connections: expected an integer, got a string");
}

TEST(ConfigPolicyBad, RelayClientShape) {
  std::string e = load_error("[relay_client]\nname = \"a\"\n");
  EXPECT_NE(e.find("config.toml:1: relay_client: expected an array of tables, got a table (write [[relay_client]]"),
            std::string::npos) << e;
  e = load_error("relay_client = [\"a\"]\n");
  EXPECT_NE(e.find("config.toml:1: relay_client[0]: expected a table, got a string"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = [\"10.0.0.0/8\"]\ndomains = [\"a.example\"]\ndomain = \"x\"\n");
  EXPECT_NE(e.find("config.toml:5: relay_client[0].domain: unknown key (did you mean \"domains\"?)"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nnetworks = [\"10.0.0.0/8\"]\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:1: relay_client[0].name: missing"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = [\"10.0.0.0/8\"]\n");
  EXPECT_NE(e.find("config.toml:1: relay_client[0].domains: missing"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = [\"10.0.0.0/8\"]\ndomains = []\n");
  EXPECT_NE(e.find("config.toml:4: relay_client[0].domains: must list at least one domain"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:1: relay_client[0]: needs networks or certificates"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = []\ncertificates = []\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:1: relay_client[0]: networks and certificates are both empty"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a b\"\nnetworks = [\"10.0.0.0/8\"]\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:2: relay_client[0].name: bad name \"a b\""), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = \"10.0.0.0/8\"\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:3: relay_client[0].networks: expected an array of strings"), std::string::npos) << e;
}

TEST(ConfigPolicyBad, RelayClientValues) {
  auto client = [](std::string_view line) {
    return "[[relay_client]]\nname = \"a\"\nnetworks = [\"10.0.0.0/8\"]\ndomains = [\"a.example\"]\n" + std::string(line) + "\n";
  };
  std::string e = load_error(client("certificates = [\"abcd\"]"));
  EXPECT_NE(e.find("config.toml:5: relay_client[0].certificates: bad SHA-256 fingerprint \"abcd\""), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = [\"10.1.2.3/24\"]\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:3: relay_client[0].networks: host bits set in \"10.1.2.3/24\" (did you mean \"10.1.2.0/24\"?)"),
            std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = [\n  \"10.0.0.0/8\",\n  \"mail.a.example\"]\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:5: relay_client[0].networks: bad network \"mail.a.example\""), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = [\"10.0.0.0/33\"]\ndomains = [\"a.example\"]\n");
  EXPECT_NE(e.find("config.toml:3: relay_client[0].networks: bad prefix length in \"10.0.0.0/33\" (0..32)"), std::string::npos) << e;
  e = load_error("[[relay_client]]\nname = \"a\"\nnetworks = [\"10.0.0.0/8\"]\ndomains = [\"bad domain\"]\n");
  EXPECT_NE(e.find("config.toml:4: relay_client[0].domains: bad domain \"bad domain\""), std::string::npos) << e;
}

TEST(ConfigPolicyBad, TwoClientsNeverShare) {
  const std::string first = "[[relay_client]]\nname = \"acme\"\nnetworks = [\"10.0.0.0/8\"]\n"
                            "certificates = [\"" + std::string(kFingerprint) + "\"]\ndomains = [\"acme.example\"]\n";
  // Line 6 onwards is the second client.
  std::string e = load_error(first + "[[relay_client]]\nname = \"globex\"\nnetworks = [\"10.0.0.0/16\"]\ndomains = [\"ACME.example\"]\n");
  EXPECT_NE(e.find("config.toml:9: relay_client[1].domains: domain \"acme.example\" is also in relay_client[0] (\"acme\"): "
                   "one customer must never send as another"), std::string::npos) << e;
  e = load_error(first + "[[relay_client]]\nname = \"ACME\"\nnetworks = [\"10.1.0.0/16\"]\ndomains = [\"globex.example\"]\n");
  EXPECT_NE(e.find("config.toml:7: relay_client[1].name: name \"acme\" is also in relay_client[0]"), std::string::npos) << e;
  e = load_error(first + "[[relay_client]]\nname = \"globex\"\nnetworks = [\"10.0.0.0/8\"]\ndomains = [\"globex.example\"]\n");
  EXPECT_NE(e.find("config.toml:8: relay_client[1].networks: network 10.0.0.0/8 is also in relay_client[0]"), std::string::npos) << e;
  std::string colons;
  for (std::size_t i = 0; i < kFingerprint.size(); i += 2) colons += (i ? ":" : "") + std::string(kFingerprint.substr(i, 2));
  e = load_error(first + "[[relay_client]]\nname = \"globex\"\ncertificates = [\"" + colons + "\"]\ndomains = [\"globex.example\"]\n");
  EXPECT_NE(e.find("config.toml:8: relay_client[1].certificates: certificate " + std::string(kFingerprint) + " is also in"),
            std::string::npos) << e;
}

TEST(ConfigClientIdentity, Networks) {
  EXPECT_EQ(parse_network("192.0.2.7")->str(), "192.0.2.7");
  EXPECT_EQ(parse_network("192.0.2.7/32")->str(), "192.0.2.7");
  EXPECT_EQ(parse_network("0.0.0.0/0")->str(), "0.0.0.0/0");
  EXPECT_EQ(parse_network("2001:DB8::/32")->str(), "2001:db8::/32");
  EXPECT_EQ(parse_network("2001:db8::1/128")->str(), "2001:db8::1");
  EXPECT_EQ(parse_network("10.0.0.0/7")->str(), "10.0.0.0/7");  // 10 = 0b00001010
  EXPECT_EQ(parse_network("11.0.0.0/7").error(), "host bits set in \"11.0.0.0/7\" (did you mean \"10.0.0.0/7\"?)");
  EXPECT_FALSE(parse_network("2001:db8::1/32"));
  EXPECT_FALSE(parse_network("192.0.2.0/"));
  EXPECT_FALSE(parse_network("192.0.2.0/+8"));
  EXPECT_FALSE(parse_network("192.0.2.0/24/8"));
  EXPECT_FALSE(parse_network("::/129"));
  EXPECT_FALSE(parse_network("::ffff:192.0.2.0/120"));
  EXPECT_FALSE(parse_network("[2001:db8::]/32"));
  EXPECT_FALSE(parse_network(""));

  auto net = *parse_network("192.0.2.128/25");
  EXPECT_TRUE(net.contains(*parse_ip_address("192.0.2.200")));
  EXPECT_FALSE(net.contains(*parse_ip_address("192.0.2.127")));
  EXPECT_TRUE(net.contains(*parse_ip_address("::ffff:192.0.2.129"))) << "dual-stack listeners report mapped addresses";
  EXPECT_FALSE(net.contains(*parse_ip_address("2001:db8::c000:280")));
  auto v6 = *parse_network("2001:db8:1::/48");
  EXPECT_TRUE(v6.contains(*parse_ip_address("2001:db8:1:ffff::1")));
  EXPECT_TRUE(v6.contains(*parse_ip_address("2001:db8:1::1%eth0")));
  EXPECT_FALSE(v6.contains(*parse_ip_address("2001:db8:2::1")));
  EXPECT_TRUE(parse_network("0.0.0.0/0")->contains(*parse_ip_address("203.0.113.9")));
  EXPECT_FALSE(parse_ip_address("gw.example"));
}

TEST(ConfigClientIdentity, Fingerprints) {
  std::string upper = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
  EXPECT_EQ(*parse_sha256_fingerprint(upper), kFingerprint);
  std::string colons;
  for (std::size_t i = 0; i < upper.size(); i += 2) colons += (i ? ":" : "") + upper.substr(i, 2);
  EXPECT_EQ(*parse_sha256_fingerprint(colons), kFingerprint);
  EXPECT_FALSE(parse_sha256_fingerprint(upper.substr(2)));       // 62 digits
  EXPECT_FALSE(parse_sha256_fingerprint(upper + "00"));          // 66 digits: SHA-256 is 32 bytes
  EXPECT_FALSE(parse_sha256_fingerprint(colons.substr(1) + "0"));  // colons out of place
  EXPECT_FALSE(parse_sha256_fingerprint("g" + upper.substr(1)));
  EXPECT_FALSE(parse_sha256_fingerprint(""));
}

TEST(ConfigPolicy, ACustomerMaySetItsOwnForgeryPolicy) {
  auto c = load_string(R"(domain = "gsp.example"
[policy]
forgery = "tag"
[[relay_client]]
name = "acme"
networks = ["192.0.2.0/24"]
domains = ["acme.example"]
forgery = "reject"
forgery_subject_tag = "[ACME: FORGED?]"
[[relay_client]]
name = "globex"
networks = ["198.51.100.0/24"]
domains = ["globex.example"]
)", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->relay_clients[0].forgery, Config::Policy::Forgery::reject);
  EXPECT_EQ(c->relay_clients[0].subject_tag, "[ACME: FORGED?]");
  EXPECT_FALSE(c->relay_clients[1].forgery.has_value());
  EXPECT_TRUE(c->relay_clients[1].subject_tag.empty());
  // describe() keeps them, and loads back the same.
  auto again = load_string(describe(*c), "described.toml", "/etc/securemail");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->relay_clients[0].forgery, Config::Policy::Forgery::reject);
  EXPECT_EQ(again->relay_clients[0].subject_tag, "[ACME: FORGED?]");
  EXPECT_FALSE(again->relay_clients[1].forgery.has_value());
}

TEST(ConfigPolicy, ACustomerPolicyIsChecked) {
  std::string base = "[[relay_client]]\nname = \"acme\"\nnetworks = [\"192.0.2.0/24\"]\ndomains = [\"acme.example\"]\n";
  EXPECT_NE(load_error(base + "forgery = \"drop\"\n").find("config.toml:5: relay_client[0].forgery: bad value \"drop\""),
            std::string::npos);
  EXPECT_NE(load_error(base + "forgery = \"\"\n").find("relay_client[0].forgery: bad value"), std::string::npos);
  EXPECT_NE(load_error(base + "forgery_subject_tag = \"a\\r\\nBcc: x@y\"\n")
                .find("config.toml:5: relay_client[0].forgery_subject_tag: must be 1..100 printable"),
            std::string::npos);
}
