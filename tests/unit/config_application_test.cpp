// config_application_test.cpp - [[application]]: a full entry and its
// describe() lines, may_send_as, and each bad value named with file, line
// and key (a sender outside our domains, a name or network used twice, an
// entry without senders).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;

namespace {

constexpr std::string_view kHead = "domain = \"a.example\"\ndomains = [\"a.example\", \"billing.a.example\"]\n";

std::string with(std::string_view rest) { return std::string(kHead) + std::string(rest); }

TEST(ConfigApplication, AFullEntry) {
  auto c = load_string(with("[[application]]\nname = \"billing\"\nnetworks = [\"10.0.5.7\", \"2001:db8::/64\"]\n"
                            "certificates = [\"ABCD" + std::string(60, '0') + "\"]\n"
                            "senders = [\"Invoices@A.example\", \"*@billing.a.example\"]\n"
                            "[[application]]\nname = \"alerts\"\nsenders = [\"alerts@a.example\"]\n"),
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->applications.size(), 2u);
  const auto& billing = c->applications[0];
  EXPECT_EQ(billing.networks, (std::vector<std::string>{"10.0.5.7", "2001:db8::/64"}));
  EXPECT_EQ(billing.certificates, (std::vector<std::string>{"abcd" + std::string(60, '0')}));
  EXPECT_EQ(billing.senders, (std::vector<std::string>{"invoices@a.example", "*@billing.a.example"}));
  EXPECT_TRUE(billing.may_send_as("INVOICES@a.example"));
  EXPECT_TRUE(billing.may_send_as("anyone@billing.a.example"));
  EXPECT_FALSE(billing.may_send_as("ceo@a.example"));
  EXPECT_FALSE(billing.may_send_as("x@sub.billing.a.example"));
  EXPECT_FALSE(billing.may_send_as(""));
  EXPECT_TRUE(c->applications[1].networks.empty());  // API only
  EXPECT_EQ(c->application("Alerts"), &c->applications[1]);
  EXPECT_EQ(c->application("nobody"), nullptr);
  std::string shown = describe(*c);
  EXPECT_NE(shown.find("[[application]]\nname = \"billing\"\nnetworks = [\"10.0.5.7\", \"2001:db8::/64\"]\n"),
            std::string::npos) << shown;
  EXPECT_NE(shown.find("senders = [\"invoices@a.example\", \"*@billing.a.example\"]\n"), std::string::npos) << shown;
}

TEST(ConfigApplication, NoneByDefault) {
  auto c = load_string(kHead, "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->applications.empty());
  EXPECT_NE(describe(*c).find("# [[application]]: none"), std::string::npos);
}

TEST(ConfigApplication, BadValuesNameFileLineAndKey) {
  EXPECT_EQ(load_error(with("[[application]]\nname = \"billing\"\nsenders = [\"x@other.example\"]\n")),
            "config.toml:5: application[0].senders: \"x@other.example\" is not in one of our domains (domain, domains)");
  EXPECT_EQ(load_error(with("[[application]]\nname = \"billing\"\nsenders = [\"*@other.example\"]\n")),
            "config.toml:5: application[0].senders: \"any@other.example\" is not in one of our domains (domain, domains)");
  EXPECT_EQ(load_error(with("[[application]]\nname = \"billing\"\n")),
            "config.toml:3: application[0].senders: missing: the addresses application[0] (\"billing\") may send as "
            "(\"alerts@DOMAIN\" or \"*@DOMAIN\")");
  EXPECT_EQ(load_error(with("[[application]]\nsenders = [\"a@a.example\"]\n")),
            "config.toml:3: application[0].name: missing: every application needs a name (its API token has the same name)");
  EXPECT_EQ(load_error(with("[[application]]\nname = \"bad name\"\nsenders = [\"a@a.example\"]\n")),
            "config.toml:4: application[0].name: bad name \"bad name\" (1..64 letters, digits, '-', '_' or '.')");
  std::string e = load_error(with("[[application]]\nname = \"a1\"\nnetworks = [\"10.0.0.0/24\"]\nsenders = [\"a@a.example\"]\n"
                                  "[[application]]\nname = \"a2\"\nnetworks = [\"10.0.0.0/24\"]\nsenders = [\"b@a.example\"]\n"));
  EXPECT_EQ(e, "config.toml:9: application[1].networks: network 10.0.0.0/24 is also in application[0] (\"a1\"): a client "
               "address must identify one client");
  e = load_error(with("[[application]]\nname = \"a1\"\nsenders = [\"a@a.example\"]\n"
                      "[[application]]\nname = \"A1\"\nsenders = [\"b@a.example\"]\n"));
  EXPECT_NE(e.find("application[1].name: name \"a1\" is also in application[0]"), std::string::npos) << e;
  EXPECT_NE(load_error(with("[[application]]\nname = \"a1\"\nsenders = [\"a@a.example\"]\ncolour = \"red\"\n"))
                .find("config.toml:6: application[0].colour: unknown key"),
            std::string::npos);
}

}  // namespace
