// config_strength_test.cpp - [[strong_auth]] and [[require_assurance]]:
// defaults, every key (marking_min a level of [markings] ladder), normalisation of patterns, the describe() round
// trip, and one test per kind of bad value (each error names the file, the
// line and the key).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using Strings = std::vector<std::string>;

namespace {


constexpr std::string_view kBoth = R"(domain = "b.example"

[[strong_auth]]
name = "finance"
members = ["a-example", "*"]
senders = ["CFO@A.Example", "*@a.example."]
recipients = ["*"]
inbound = "return"

[[strong_auth]]
name = "board"
recipients = ["board@b.example"]

[[require_assurance]]
members = ["a-example"]
sole_user = true
identity_verified = true

[[require_assurance]]
members = ["*"]
strong = false
)";

}  // namespace

TEST(ConfigStrength, DefaultsAreEmpty) {
  Config c = embedded_default();
  EXPECT_TRUE(c.strong_auth.empty());
  EXPECT_TRUE(c.require_assurance.empty());
}

TEST(ConfigStrength, EveryKey) {
  auto c = load_string(kBoth, "config.toml", "/etc/securemail");
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->strong_auth.size(), 2u);
  const auto& finance = c->strong_auth[0];
  EXPECT_EQ(finance.name, "finance");
  EXPECT_EQ(finance.members, (Strings{"a-example", "*"}));
  EXPECT_EQ(finance.senders, (Strings{"cfo@a.example", "*@a.example"}));
  EXPECT_EQ(finance.recipients, (Strings{"*"}));
  EXPECT_EQ(finance.inbound, Config::StrongAuthRule::Inbound::return_);
  EXPECT_EQ(c->strong_auth[1].inbound, Config::StrongAuthRule::Inbound::hold);
  EXPECT_TRUE(c->strong_auth[1].senders.empty());
  ASSERT_EQ(c->require_assurance.size(), 2u);
  EXPECT_TRUE(c->require_assurance[0].strong);
  EXPECT_TRUE(c->require_assurance[0].sole_user);
  EXPECT_TRUE(c->require_assurance[0].identity_verified);
  EXPECT_FALSE(c->require_assurance[1].strong);
  EXPECT_FALSE(c->require_assurance[1].sole_user);
}

TEST(ConfigStrength, DescribeRoundTrips) {
  auto c = load_string(kBoth, "config.toml", "/etc/securemail");
  ASSERT_TRUE(c.has_value()) << c.error();
  std::string shown = describe(*c);
  EXPECT_NE(shown.find("inbound = \"return\""), std::string::npos) << shown;
  auto again = load_string(shown, "shown.toml", "/etc/securemail");
  ASSERT_TRUE(again.has_value()) << again.error() << "\n" << shown;
  ASSERT_EQ(again->strong_auth.size(), 2u);
  EXPECT_EQ(again->strong_auth[0].senders, c->strong_auth[0].senders);
  EXPECT_EQ(again->strong_auth[1].recipients, c->strong_auth[1].recipients);
  ASSERT_EQ(again->require_assurance.size(), 2u);
  EXPECT_EQ(again->require_assurance[0].members, c->require_assurance[0].members);
  EXPECT_TRUE(again->require_assurance[0].identity_verified);
  EXPECT_FALSE(again->require_assurance[1].strong);
}

TEST(ConfigStrength, NameIsRequired) {
  EXPECT_EQ(load_error("[[strong_auth]]\nrecipients = [\"*\"]\n"),
            "config.toml:1: strong_auth[0].name: missing: a name for the rule (used in logs)");
}

TEST(ConfigStrength, NamesAreUnique) {
  EXPECT_EQ(load_error("[[strong_auth]]\nname = \"x\"\n[[strong_auth]]\nname = \"x\"\n"),
            "config.toml:4: strong_auth[1].name: \"x\" is used by another [[strong_auth]] rule");
}

TEST(ConfigStrength, NameMustBePrintable) {
  EXPECT_NE(load_error("[[strong_auth]]\nname = \"a\\nb\"\n").find("strong_auth[0].name: must be"),
            std::string::npos);
}

TEST(ConfigStrength, BadAddressPatterns) {
  EXPECT_EQ(load_error("[[strong_auth]]\nname = \"x\"\nsenders = [\"nobody\"]\n"),
            "config.toml:3: strong_auth[0].senders: bad pattern \"nobody\" (use \"*\", \"*@domain\" or local@domain)");
  EXPECT_NE(load_error("[[strong_auth]]\nname = \"x\"\nrecipients = [\"a b@c.example\"]\n")
                .find("config.toml:3: strong_auth[0].recipients: bad local part"),
            std::string::npos);
  EXPECT_NE(load_error("[[strong_auth]]\nname = \"x\"\nsenders = [\"*@-bad\"]\n")
                .find("config.toml:3: strong_auth[0].senders: bad domain"),
            std::string::npos);
  EXPECT_NE(load_error("[[strong_auth]]\nname = \"x\"\nsenders = \"*\"\n")
                .find("strong_auth[0].senders: expected an array of strings"),
            std::string::npos);
}

TEST(ConfigStrength, BadMemberIds) {
  EXPECT_NE(load_error("[[strong_auth]]\nname = \"x\"\nmembers = [\"A_Example\"]\n")
                .find("config.toml:3: strong_auth[0].members: bad member id \"A_Example\""),
            std::string::npos);
  EXPECT_NE(load_error("[[require_assurance]]\nmembers = [\"\"]\n").find("require_assurance[0].members: bad member id"),
            std::string::npos);
}

TEST(ConfigStrength, BadInbound) {
  EXPECT_EQ(load_error("[[strong_auth]]\nname = \"x\"\ninbound = \"bounce\"\n"),
            "config.toml:3: strong_auth[0].inbound: bad value \"bounce\" (use hold or return)");
}

TEST(ConfigStrength, UnknownKey) {
  EXPECT_NE(load_error("[[strong_auth]]\nname = \"x\"\noutbound = \"hold\"\n").find("strong_auth[0].outbound"),
            std::string::npos);
}

TEST(ConfigStrength, RequireAssuranceNeedsMembers) {
  EXPECT_EQ(load_error("[[require_assurance]]\nstrong = true\n"),
            "config.toml:1: require_assurance[0].members: missing: the sending members (or [\"*\"])");
  EXPECT_EQ(load_error("[[require_assurance]]\nmembers = []\n"),
            "config.toml:2: require_assurance[0].members: empty: name at least one member (or \"*\")");
  EXPECT_NE(load_error("[[require_assurance]]\nmembers = [\"*\"]\nstrong = \"yes\"\n")
                .find("config.toml:3: require_assurance[0].strong: expected true or false"),
            std::string::npos);
}

TEST(ConfigStrength, SingleBracketsAreExplained) {
  EXPECT_NE(load_error("[strong_auth]\nname = \"x\"\n").find("write [[strong_auth]]"), std::string::npos);
}

TEST(ConfigStrength, MarkingMinIsALadderLevel) {
  auto c = load_string("[[strong_auth]]\nname = \"x\"\nmarking_min = \"in confidence\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->strong_auth.at(0).marking_min, "IN-CONFIDENCE");  // the ladder's spelling
  std::string shown = describe(*c);
  EXPECT_NE(shown.find("marking_min = \"IN-CONFIDENCE\""), std::string::npos) << shown;
  auto again = load_string(shown, "shown.toml", "/etc/securemail");
  ASSERT_TRUE(again.has_value()) << again.error() << "\n" << shown;
  EXPECT_EQ(again->strong_auth.at(0).marking_min, "IN-CONFIDENCE");
  // Without the key: every marking, and none.
  auto plain = load_string("[[strong_auth]]\nname = \"x\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(plain.has_value()) << plain.error();
  EXPECT_EQ(plain->strong_auth.at(0).marking_min, "");
}

TEST(ConfigStrength, MarkingMinOnAConfiguredLadder) {
  auto c = load_string("trigger = []\n[sovereignty]\nfrom_marking = \"CLOSED\"\n"
                       "[markings]\nladder = [\"OPEN\", \"CLOSED\"]\naccreditation = \"CLOSED\"\n"
                       "plain_max = \"OPEN\"\ninternet_max = \"CLOSED\"\nmember_default = \"OPEN\"\n"
                       "[[strong_auth]]\nname = \"x\"\nmarking_min = \"closed\"\n",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->strong_auth.at(0).marking_min, "CLOSED");
}

TEST(ConfigStrength, BadMarkingMin) {
  EXPECT_EQ(load_error("[[strong_auth]]\nname = \"x\"\nmarking_min = \"SECRETISH\"\n"),
            "config.toml:3: strong_auth[0].marking_min: \"SECRETISH\" is not on markings.ladder [\"UNCLASSIFIED\", "
            "\"IN-CONFIDENCE\", \"SENSITIVE\", \"RESTRICTED\", \"CONFIDENTIAL\", \"SECRET\", \"TOP SECRET\"]");
  EXPECT_EQ(load_error("[[strong_auth]]\nname = \"x\"\nmarking_min = 3\n"),
            "config.toml:3: strong_auth[0].marking_min: expected a string, got an integer");
}
