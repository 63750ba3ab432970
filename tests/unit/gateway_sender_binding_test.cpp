// gateway_sender_binding_test.cpp - a gateway service provider's relay
// clients: recognising the customer's mail server (certificate first, then
// the most specific network, IPv4 and IPv6) and refusing any sender or
// From: domain that is not that customer's.
#include "gateway/sender_binding.h"

#include <gtest/gtest.h>

using namespace sm;
using gateway::check_sender_domain;
using gateway::identify_relay_client;

namespace {

constexpr const char* kGlobexCert = "aa00000000000000000000000000000000000000000000000000000000000001";

config::Config two_customers() {
  auto c = config::load_string(std::string(R"(
domain = "gsp.example"

[[relay_client]]
name = "acme"
networks = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
domains = ["acme.example", "mail.acme.example"]

[[relay_client]]
name = "globex"
networks = ["10.1.0.0/16", "2001:db8:1::/48"]
certificates = [")") + kGlobexCert + R"("]
domains = ["globex.example"]
)", "config.toml");
  EXPECT_TRUE(c) << c.error();
  return c ? *c : config::Config{};
}

std::string name_of(const config::Config::RelayClient* client) { return client ? client->name : "(none)"; }

}  // namespace

TEST(SenderBinding, IdentifiesByNetworkLongestPrefixFirst) {
  auto c = two_customers();
  EXPECT_EQ(name_of(identify_relay_client(c, "10.2.3.4", "")), "acme");
  EXPECT_EQ(name_of(identify_relay_client(c, "10.1.2.3", "")), "globex") << "/16 is more specific than /8";
  EXPECT_EQ(name_of(identify_relay_client(c, "192.0.2.7", "")), "acme");
  EXPECT_EQ(name_of(identify_relay_client(c, "::ffff:10.1.0.9", "")), "globex") << "dual-stack listener";
  EXPECT_EQ(name_of(identify_relay_client(c, "2001:db8:2::25", "")), "acme");
  EXPECT_EQ(name_of(identify_relay_client(c, "2001:db8:1::25", "")), "globex");
  EXPECT_EQ(name_of(identify_relay_client(c, "192.0.2.8", "")), "(none)");
  EXPECT_EQ(name_of(identify_relay_client(c, "2001:db9::1", "")), "(none)");
  EXPECT_EQ(name_of(identify_relay_client(c, "not an address", "")), "(none)");
}

TEST(SenderBinding, LongestPrefixWinsWhateverTheOrder) {
  auto c = config::load_string(R"(
[[relay_client]]
name = "narrow"
networks = ["10.1.2.0/24", "2001:db8:1::/48"]
domains = ["narrow.example"]
[[relay_client]]
name = "wide"
networks = ["10.0.0.0/8", "2001:db8::/32"]
domains = ["wide.example"]
)", "config.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(name_of(identify_relay_client(*c, "10.1.2.3", "")), "narrow");
  EXPECT_EQ(name_of(identify_relay_client(*c, "10.1.3.3", "")), "wide");
  EXPECT_EQ(name_of(identify_relay_client(*c, "2001:db8:1::1", "")), "narrow");
  EXPECT_EQ(name_of(identify_relay_client(*c, "2001:db8:2::1", "")), "wide");
}

TEST(SenderBinding, CertificateWinsOverNetwork) {
  auto c = two_customers();
  // From inside acme's network, but presenting globex's certificate.
  EXPECT_EQ(name_of(identify_relay_client(c, "10.9.9.9", kGlobexCert)), "globex");
  std::string upper_colons;
  for (std::size_t i = 0; kGlobexCert[i]; i += 2)
    upper_colons += (i ? ":" : "") + std::string{static_cast<char>(std::toupper(kGlobexCert[i])),
                                                 static_cast<char>(std::toupper(kGlobexCert[i + 1]))};
  EXPECT_EQ(name_of(identify_relay_client(c, "203.0.113.1", upper_colons)), "globex");
  // An unlisted certificate proves nothing: the network decides.
  EXPECT_EQ(name_of(identify_relay_client(c, "10.9.9.9", std::string(64, 'f'))), "acme");
  EXPECT_EQ(name_of(identify_relay_client(c, "203.0.113.1", std::string(64, 'f'))), "(none)");
}

TEST(SenderBinding, CustomerSendsOnlyAsItsOwnDomains) {
  auto c = two_customers();
  const auto* acme = identify_relay_client(c, "10.2.3.4", "");
  ASSERT_NE(acme, nullptr);
  EXPECT_TRUE(check_sender_domain(c, acme, "sender", "alice@acme.example"));
  EXPECT_TRUE(check_sender_domain(c, acme, "From:", "Alice@MAIL.Acme.Example"));
  EXPECT_TRUE(check_sender_domain(c, acme, "sender", "")) << "bounces use the null sender";

  auto spoof = check_sender_domain(c, acme, "From:", "ceo@globex.example");
  ASSERT_FALSE(spoof);
  EXPECT_EQ(spoof.error().reply(), "550 5.7.1 From: <ceo@globex.example>: acme may not send as globex.example");
  spoof = check_sender_domain(c, acme, "sender", "ceo@globex.example");
  ASSERT_FALSE(spoof);
  EXPECT_EQ(spoof.error().reply(), "550 5.7.1 sender <ceo@globex.example>: acme may not send as globex.example");

  auto sub = check_sender_domain(c, acme, "sender", "x@sub.acme.example");
  ASSERT_FALSE(sub) << "a domain does not cover its subdomains";
  EXPECT_EQ(sub.error().enhanced, "5.7.1");
  auto bare = check_sender_domain(c, acme, "sender", "postmaster");
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, 550);
}

TEST(SenderBinding, UnknownClientMayNotSendAtAll) {
  auto c = two_customers();
  for (const char* address : {"alice@acme.example", ""}) {
    auto r = check_sender_domain(c, nullptr, "sender", address);
    ASSERT_FALSE(r) << address;
    EXPECT_EQ(r.error().code, 550);
    EXPECT_EQ(r.error().enhanced, "5.7.1");
    EXPECT_NE(r.error().text.find("not configured for any domain"), std::string::npos) << r.error().text;
  }
}

TEST(SenderBinding, WithoutRelayClientsAnythingGoes) {
  auto c = config::embedded_default();
  EXPECT_EQ(identify_relay_client(c, "10.1.2.3", kGlobexCert), nullptr);
  EXPECT_TRUE(check_sender_domain(c, nullptr, "sender", "anyone@anywhere.example"));
  EXPECT_TRUE(check_sender_domain(c, nullptr, "From:", "ceo@globex.example"));
}

TEST(SenderBinding, ReplyTextCarriesNoControlCharacters) {
  auto c = two_customers();
  const auto* acme = identify_relay_client(c, "10.2.3.4", "");
  auto r = check_sender_domain(c, acme, "From:", "x@globex.example\r\n250 ok");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().text.find_first_of("\r\n"), std::string::npos) << r.error().text;
}

TEST(SenderBinding, AnApplicationIsMatchedBeforeRelayClientsAndKeptToItsSenders) {
  auto c = config::load_string(R"(
domain = "acme.example"
[[relay_client]]
name = "acme"
networks = ["10.0.0.0/8"]
domains = ["acme.example"]
[[application]]
name = "billing"
networks = ["10.0.5.7"]
senders = ["invoices@acme.example"]
)", "config.toml");
  ASSERT_TRUE(c) << c.error();
  const auto* app = gateway::identify_application(*c, "10.0.5.7", "");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->name, "billing");
  EXPECT_EQ(gateway::identify_application(*c, "10.0.5.8", ""), nullptr) << "the rest of 10/8 is the relay client";
  EXPECT_EQ(name_of(identify_relay_client(*c, "10.0.5.8", "")), "acme");
  EXPECT_TRUE(gateway::check_application_sender(*app, "sender", "Invoices@Acme.Example"));
  auto refused = gateway::check_application_sender(*app, "From:", "ceo@acme.example");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reply(),
            "550 5.7.1 From: <ceo@acme.example>: application billing may not send as this address (its senders)");
  EXPECT_FALSE(gateway::check_application_sender(*app, "sender", "")) << "an application sends no bounces";
}
