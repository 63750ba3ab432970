// config_policy_rules_test.cpp - [[policy.rule]]: every condition key and
// decision, the describe() round trip, and each bad rule that must stop
// the start with file:line:key (unknown condition, marking not on the
// ladder, unreachable rule after a catch-all, a jurisdiction that is not
// ISO 3166, decision "pickup" without [pickup]).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

using namespace sm::config;
using sm::config::testing::load_error;
using Strings = std::vector<std::string>;

namespace {

constexpr std::string_view kAgency = R"([policy]
forgery = "reject"

[[policy.rule]]
name = "no-executables"
decision = "refuse"
reason = "executables are not sent from this agency"
attachment_type = ["*.EXE", "application/x-msdownload", "image/*"]

[[policy.rule]]
name = "partners-sealed"
direction = "outbound"
from = ["*@agency.govt.nz"]
to = ["*@.partner.example", "boss@other.example"]
member = true
member_id = ["partner"]
marking_min = "in confidence"
marking_max = "RESTRICTED"
marked = true
trigger = "[seemail]"
strong = true
authenticated = true
jurisdiction = ["nz", "AU"]
size_over = "10M"
personal = false
decision = "seal"

[[policy.rule]]
name = "big-mail-held"
size_over = 1000
decision = "hold"

[[policy.rule]]
name = "return-inbound"
direction = "inbound"
decision = "return"

[[policy.rule]]
name = "rest"
decision = "plain"
)";

}  // namespace

TEST(ConfigPolicyRules, NoneByDefault) {
  EXPECT_TRUE(embedded_default().rules.empty());
}

TEST(ConfigPolicyRules, EveryConditionAndDecision) {
  auto c = load_string(kAgency, "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->rules.size(), 5u);
  const auto& r0 = c->rules[0];
  EXPECT_EQ(r0.name, "no-executables");
  EXPECT_EQ(r0.decision, PolicyDecision::refuse);
  EXPECT_EQ(r0.reason, "executables are not sent from this agency");
  EXPECT_EQ(r0.when.attachment_types, (Strings{"*.exe", "application/x-msdownload", "image/*"}));
  EXPECT_EQ(r0.line, 4u);
  const auto& w = c->rules[1].when;
  EXPECT_EQ(c->rules[1].decision, PolicyDecision::seal);
  EXPECT_EQ(w.direction, "outbound");
  EXPECT_EQ(w.from, Strings{"*@agency.govt.nz"});
  EXPECT_EQ(w.to, (Strings{"*@.partner.example", "boss@other.example"}));
  EXPECT_EQ(w.member, true);
  EXPECT_EQ(w.member_ids, Strings{"partner"});
  EXPECT_EQ(w.marking_min, "IN-CONFIDENCE");
  EXPECT_EQ(w.marking_max, "RESTRICTED");
  EXPECT_EQ(w.marked, true);
  EXPECT_EQ(w.triggers, Strings{"SEEMAIL"});
  EXPECT_EQ(w.strong, true);
  EXPECT_EQ(w.authenticated, true);
  EXPECT_EQ(w.jurisdictions, (Strings{"NZ", "AU"}));
  EXPECT_EQ(w.size_over, 10u * 1024 * 1024);
  EXPECT_EQ(w.personal, false);
  EXPECT_TRUE(w.needs_content());
  EXPECT_EQ(c->rules[2].decision, PolicyDecision::hold);
  EXPECT_EQ(c->rules[2].when.size_over, 1000u);
  EXPECT_EQ(c->rules[3].decision, PolicyDecision::return_);
  EXPECT_FALSE(c->rules[3].when.needs_content());
  EXPECT_FALSE(c->rules[4].when.member.has_value());
  EXPECT_EQ(c->policy.forgery, Config::Policy::Forgery::reject);

  std::string text = describe(*c);
  auto again = load_string(text, "described.toml", "/");
  ASSERT_TRUE(again) << again.error() << "\n" << text;
  ASSERT_EQ(again->rules.size(), 5u);
  EXPECT_EQ(again->rules[1].when.to, w.to);
  EXPECT_EQ(again->rules[1].when.size_over, w.size_over);
  EXPECT_EQ(again->rules[1].when.personal, false);
  EXPECT_EQ(again->rules[0].reason, r0.reason);
  std::string text2 = describe(*again);  // the same but for the "# effective configuration from" line
  EXPECT_EQ(text2.substr(text2.find('\n')), text.substr(text.find('\n')));
}

TEST(ConfigPolicyRules, UnknownCondition) {
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nsubject = \"x\"\n"),
            "config.toml:4: policy.rule[0].subject: unknown key");
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nmarkd = true\n"),
            "config.toml:4: policy.rule[0].markd: unknown key (did you mean \"marked\"?)");
}

TEST(ConfigPolicyRules, MarkingNotOnTheLadder) {
  EXPECT_NE(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nmarking_min = \"CLASSIFIED\"\n")
                .find("config.toml:4: policy.rule[0].marking_min: \"CLASSIFIED\" is not on markings.ladder"),
            std::string::npos);
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nmarking_min = \"SECRET\"\nmarking_max = \"SENSITIVE\"\n"),
            "config.toml:5: policy.rule[0].marking_max: \"SENSITIVE\" is below marking_min \"SECRET\": the rule could never match");
}

TEST(ConfigPolicyRules, RuleAfterCatchAllIsUnreachable) {
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"all\"\ndecision = \"seal\"\n\n"
                       "[[policy.rule]]\nname = \"never\"\nto = [\"*@x.example\"]\ndecision = \"plain\"\n"),
            "config.toml:5: policy.rule[1].name: unreachable: rule \"all\" (line 1) has no condition and decides "
            "for every recipient before it");
}

TEST(ConfigPolicyRules, JurisdictionMustBeIso3166) {
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"refuse\"\njurisdiction = [\"NZ\", \"EU\"]\n"),
            "config.toml:4: policy.rule[0].jurisdiction: \"EU\" is not an ISO 3166-1 alpha-2 country code (e.g. \"NZ\", \"AU\")");
}

TEST(ConfigPolicyRules, PickupNeedsThePickupPages) {
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"pickup\"\n"),
            "config.toml:3: policy.rule[0].decision: pickup needs [pickup] listen and public_url (the pages recipients open)");
  auto c = load_string("[pickup]\nlisten = \"127.0.0.1:8443\"\npublic_url = \"https://p.b.example:8443\"\n"
                       "[[policy.rule]]\nname = \"a\"\nto = [\"*@x.example\"]\ndecision = \"pickup\"\n",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->rules.at(0).decision, PolicyDecision::pickup);
  EXPECT_EQ(c->pickup.public_url, "https://p.b.example:8443/");
  EXPECT_FALSE(c->rules.at(0).pickup_pdf);
}

TEST(ConfigPolicyRules, PickupPdfOnlyWithPickup) {
  const std::string pages = "[pickup]\nlisten = \"127.0.0.1:8443\"\npublic_url = \"https://p.b.example:8443\"\n";
  auto c = load_string(pages + "[[policy.rule]]\nname = \"a\"\nto = [\"*@x.example\"]\ndecision = \"pickup\"\n"
                               "pickup_pdf = true\n",
                       "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->rules.at(0).pickup_pdf);
  EXPECT_NE(describe(*c).find("decision = \"pickup\", pickup_pdf = true"), std::string::npos) << describe(*c);
  EXPECT_EQ(load_error(pages + "[[policy.rule]]\nname = \"a\"\nto = [\"*@x.example\"]\ndecision = \"plain\"\n"
                               "pickup_pdf = true\n"),
            "config.toml:8: policy.rule[0].pickup_pdf: only with decision = \"pickup\"");
  EXPECT_NE(load_error(pages + "[[policy.rule]]\nname = \"a\"\ndecision = \"pickup\"\npickup_pdf = \"yes\"\n")
                .find("config.toml:7: policy.rule[0].pickup_pdf"),
            std::string::npos);
}

TEST(ConfigPolicyRules, BadNamesDecisionsAndValues) {
  EXPECT_EQ(load_error("[[policy.rule]]\ndecision = \"seal\"\n"),
            "config.toml:1: policy.rule[0].name: missing: a name for the rule (shown in every decision)");
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a b\"\ndecision = \"seal\"\n"),
            "config.toml:2: policy.rule[0].name: bad name \"a b\" (1 to 64 of letters, digits, '-', '_', '.')");
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"default\"\ndecision = \"seal\"\n"),
            "config.toml:2: policy.rule[0].name: \"default\" names the decision made when no rule matches");
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nmember = true\n"
                       "[[policy.rule]]\nname = \"a\"\ndecision = \"plain\"\n"),
            "config.toml:6: policy.rule[1].name: \"a\" is used by another [[policy.rule]]");
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\n"),
            "config.toml:1: policy.rule[0].decision: missing: one of seal, plain, pickup, hold, return or refuse");
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"drop\"\n"),
            "config.toml:3: policy.rule[0].decision: bad value \"drop\" (use seal, plain, pickup, hold, return or refuse)");
  EXPECT_NE(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"refuse\"\nreason = \"x\\r\\n250 ok\"\n")
                .find("config.toml:4: policy.rule[0].reason: must be at most 200 printable ASCII"),
            std::string::npos);
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\ndirection = \"sideways\"\n"),
            "config.toml:4: policy.rule[0].direction: bad value \"sideways\" (use outbound or inbound)");
  EXPECT_EQ(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\ntrigger = \"SECRETSQUIRREL\"\n"),
            "config.toml:4: policy.rule[0].trigger: \"SECRETSQUIRREL\" is not a trigger word (see [[trigger]])");
  EXPECT_NE(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nsize_over = 0\n").find("size_over: must be more than 0"),
            std::string::npos);
  EXPECT_NE(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nattachment_type = \"*/zip\"\n")
                .find("config.toml:4: policy.rule[0].attachment_type: bad pattern"),
            std::string::npos);
  EXPECT_NE(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nmember = \"yes\"\n")
                .find("config.toml:4: policy.rule[0].member: expected true or false"),
            std::string::npos);
  EXPECT_NE(load_error("[[policy.rule]]\nname = \"a\"\ndecision = \"seal\"\nmember_id = [\"Not Valid\"]\n")
                .find("policy.rule[0].member_id: bad member id"),
            std::string::npos);
  EXPECT_NE(load_error("[policy.rule]\nname = \"a\"\n").find("write [[policy.rule]]"), std::string::npos);
}
