// config_receipts_test.cpp - [receipts], [evidence], [[acknowledge]] and a
// relay client's receipts / evidence_retention: defaults, every good value,
// normalisation, describe() round trip, and each bad value refused with
// file, line and key.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using namespace std::chrono_literals;

namespace {


constexpr std::string_view kDomains = "domain = \"a.example\"\ndomains = [\"b.example\"]\n";

}  // namespace

TEST(ConfigReceipts, Defaults) {
  auto c = load_string(kDomains, "config.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->receipts.request, Config::Receipts::Request::on_request);
  EXPECT_EQ(c->receipts.timeout, 24h);
  EXPECT_EQ(c->receipts.address, "");
  EXPECT_EQ(c->receipt_address(), "securemail-receipts@a.example");
  EXPECT_TRUE(c->receipts.issue);
  EXPECT_EQ(c->evidence.retention, 365 * 24h);
  EXPECT_TRUE(c->acknowledge.empty());
}

TEST(ConfigReceipts, EveryKey) {
  auto c = load_string(std::string(kDomains) + R"(
[receipts]
request = "always"
timeout = "6h"
address = "Receipts@B.Example"
issue = false

[evidence]
retention = "3650d"

[[acknowledge]]
address = "Info@a.example"

[[acknowledge]]
address = "sales@b.example"
interval = "30m"
)", "config.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->receipts.request, Config::Receipts::Request::always);
  EXPECT_EQ(c->receipts.timeout, 6h);
  EXPECT_EQ(c->receipts.address, "receipts@b.example");
  EXPECT_EQ(c->receipt_address(), "receipts@b.example");
  EXPECT_FALSE(c->receipts.issue);
  ASSERT_EQ(c->acknowledge.size(), 2u);
  EXPECT_EQ(c->acknowledge[0].address, "info@a.example");
  EXPECT_EQ(c->acknowledge[0].interval, 1h);
  EXPECT_EQ(c->acknowledge[1].address, "sales@b.example");
  EXPECT_EQ(c->acknowledge[1].interval, 30min);
  auto on_request = load_string(std::string(kDomains) + "[receipts]\nrequest = \"on-request\"\n", "config.toml");
  ASSERT_TRUE(on_request) << on_request.error();
  EXPECT_EQ(on_request->receipts.request, Config::Receipts::Request::on_request);
  auto one_day = load_string("[evidence]\nretention = \"1d\"\n", "config.toml");
  ASSERT_TRUE(one_day) << one_day.error();
  EXPECT_EQ(one_day->evidence.retention, 24h);
}

TEST(ConfigReceipts, RelayClientOverrides) {
  auto c = load_string(R"(domain = "gsp.example"
[[relay_client]]
name = "acme"
networks = ["192.0.2.0/24"]
domains = ["acme.example"]
receipts = "always"
evidence_retention = "2555d"

[[relay_client]]
name = "globex"
networks = ["198.51.100.0/24"]
domains = ["globex.example"]
)", "config.toml");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->relay_clients.size(), 2u);
  EXPECT_EQ(c->relay_clients[0].receipts, Config::Receipts::Request::always);
  EXPECT_EQ(c->relay_clients[0].evidence_retention, std::chrono::seconds(2555 * 86400));
  EXPECT_FALSE(c->relay_clients[1].receipts.has_value());
  EXPECT_FALSE(c->relay_clients[1].evidence_retention.has_value());
}

TEST(ConfigReceipts, DescribeLoadsBack) {
  auto c = load_string(std::string(kDomains) + R"(
[receipts]
request = "always"
timeout = "2h"

[evidence]
retention = "400d"

[[acknowledge]]
address = "info@b.example"
interval = "2h"

[[relay_client]]
name = "acme"
networks = ["192.0.2.0/24"]
domains = ["acme.example"]
receipts = "on-request"
evidence_retention = "30d"
)", "config.toml");
  ASSERT_TRUE(c) << c.error();
  std::string text = describe(*c);
  for (const char* k : {"\nreceipts.request = \"always\"\n", "\nreceipts.timeout = \"2h\"\n",
                        "\nreceipts.address = \"securemail-receipts@a.example\"\n",
                        "\nevidence.retention = \"400d\"\n",
                        "\n[[acknowledge]]\naddress = \"info@b.example\"\ninterval = \"2h\"\n",
                        "\nreceipts = \"on-request\"\nevidence_retention = \"30d\"\n"})
    EXPECT_NE(text.find(k), std::string::npos) << k << "\n" << text;
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  EXPECT_EQ(again->receipts.request, Config::Receipts::Request::always);
  EXPECT_EQ(again->receipts.timeout, 2h);
  EXPECT_EQ(again->evidence.retention, 400 * 24h);
  ASSERT_EQ(again->acknowledge.size(), 1u);
  EXPECT_EQ(again->acknowledge[0].interval, 2h);
  ASSERT_EQ(again->relay_clients.size(), 1u);
  EXPECT_EQ(again->relay_clients[0].evidence_retention, std::chrono::seconds(30 * 86400));
  std::string text2 = describe(*again);
  EXPECT_EQ(text2.substr(text2.find('\n')), text.substr(text.find('\n')));
  EXPECT_NE(describe(embedded_default()).find("# [[acknowledge]]: none"), std::string::npos);
}

TEST(ConfigReceiptsBad, Request) {
  EXPECT_EQ(load_error("[receipts]\nrequest = \"sometimes\"\n"),
            "config.toml:2: receipts.request: bad value \"sometimes\" (use on-request or always)");
  EXPECT_NE(load_error("[receipts]\nrequest = true\n").find("config.toml:2: receipts.request:"), std::string::npos);
  EXPECT_EQ(load_error("[receipts]\nreqest = \"always\"\n").find("config.toml:2: receipts.reqest"), 0u);
}

TEST(ConfigReceiptsBad, Timeout) {
  EXPECT_NE(load_error("[receipts]\ntimeout = \"soon\"\n").find("config.toml:2: receipts.timeout:"), std::string::npos);
  EXPECT_EQ(load_error("[receipts]\ntimeout = \"0s\"\n"), "config.toml:2: receipts.timeout: must be at least 1s");
}

TEST(ConfigReceiptsBad, Issue) {
  EXPECT_NE(load_error("[receipts]\nissue = \"no\"\n").find("config.toml:2: receipts.issue"), std::string::npos);
}

TEST(ConfigReceiptsBad, Address) {
  std::string base(kDomains);
  EXPECT_EQ(load_error(base + "[receipts]\naddress = \"receipts\"\n"),
            "config.toml:4: receipts.address: bad address \"receipts\" (write local-part@domain)");
  EXPECT_EQ(load_error(base + "[receipts]\naddress = \"@a.example\"\n"),
            "config.toml:4: receipts.address: bad address \"@a.example\" (write local-part@domain)");
  EXPECT_EQ(load_error(base + "[receipts]\naddress = \"a..b@a.example\"\n").find(
                "config.toml:4: receipts.address: bad local part in \"a..b@a.example\""),
            0u);
  EXPECT_EQ(load_error(base + "[receipts]\naddress = \"r@c.example\"\n"),
            "config.toml:4: receipts.address: \"r@c.example\" is not in one of our domains (domain, domains)");
  EXPECT_EQ(load_error(base + "[receipts]\naddress = \"r\\r\\nx@a.example\"\n").find('\n'), std::string::npos);
}

TEST(ConfigReceiptsBad, Retention) {
  EXPECT_EQ(load_error("[evidence]\nretention = \"12h\"\n"),
            "config.toml:2: evidence.retention: must be at least 1d (evidence is swept once a day)");
  EXPECT_NE(load_error("[evidence]\nretention = \"forever\"\n").find("config.toml:2: evidence.retention:"),
            std::string::npos);
  EXPECT_EQ(load_error("[evidence]\nkeep = \"1y\"\n").find("config.toml:2: evidence.keep"), 0u);
}

TEST(ConfigReceiptsBad, Acknowledge) {
  std::string base(kDomains);
  EXPECT_EQ(load_error(base + "[[acknowledge]]\ninterval = \"1h\"\n"),
            "config.toml:3: acknowledge[0].address: missing: the mailbox that acknowledges");
  EXPECT_EQ(load_error(base + "[[acknowledge]]\naddress = \"info@elsewhere.example\"\n"),
            "config.toml:4: acknowledge[0].address: \"info@elsewhere.example\" is not in one of our domains (domain, domains)");
  EXPECT_EQ(load_error(base + "[[acknowledge]]\naddress = \"info@a.example\"\n[[acknowledge]]\naddress = \"INFO@a.example\"\n"),
            "config.toml:6: acknowledge[1].address: \"info@a.example\" is listed twice");
  EXPECT_EQ(load_error(base + "[[acknowledge]]\naddress = \"info@a.example\"\ninterval = \"0s\"\n"),
            "config.toml:5: acknowledge[0].interval: must be at least 1s");
  EXPECT_EQ(load_error(base + "[[acknowledge]]\naddress = \"info@a.example\"\nmailbox = \"x\"\n").find(
                "config.toml:5: acknowledge[0].mailbox"),
            0u);
  EXPECT_EQ(load_error(base + "[acknowledge]\naddress = \"info@a.example\"\n").find(
                "config.toml:3: acknowledge: expected an array of tables"),
            0u);
  EXPECT_EQ(load_error(base + "acknowledge = [1]\n").find("config.toml:3: acknowledge[0]: expected a table"), 0u);
}

TEST(ConfigReceiptsBad, RelayClient) {
  std::string client = "[[relay_client]]\nname = \"acme\"\nnetworks = [\"192.0.2.0/24\"]\ndomains = [\"acme.example\"]\n";
  EXPECT_EQ(load_error(client + "receipts = \"never\"\n"),
            "config.toml:5: relay_client[0].receipts: bad value \"never\" (use on-request or always)");
  EXPECT_EQ(load_error(client + "evidence_retention = \"1h\"\n"),
            "config.toml:5: relay_client[0].evidence_retention: must be at least 1d (evidence is swept once a day)");
  EXPECT_NE(load_error(client + "evidence_retention = 5\n").find("config.toml:5: relay_client[0].evidence_retention"),
            std::string::npos);
}
