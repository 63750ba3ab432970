// policy_strength_test.cpp - which [[strong_auth]] rule a message matches
// (first match wins; empty lists match anything; patterns are
// case-insensitive; marking_min only once the marking is known, and only
// at or above it), the engine's strong-auth guard after DATA, and what a
// sender assurance lacks against [[require_assurance]].
#include <gtest/gtest.h>

#include "policy/engine.h"
#include "policy/strength.h"

using namespace sm;
using sm::config::Config;

namespace {

const policy::MarkingLevel kUnknown = policy::MarkingLevel::unknown();

Config with_rules() {
  Config c;
  c.strong_auth.push_back({"cfo", {}, {"cfo@a.example"}, {}, Config::StrongAuthRule::Inbound::return_});
  c.strong_auth.push_back({"from-a", {"a-example"}, {"*@a.example"}, {"*@b.example"}, Config::StrongAuthRule::Inbound::hold});
  c.strong_auth.push_back({"any-member-to-board", {"*"}, {}, {"board@b.example"}, Config::StrongAuthRule::Inbound::hold});
  return c;
}

auth::SenderAssurance assurance(bool strong, bool sole_user, bool verified) {
  auth::SenderAssurance a;
  a.auth = strong ? "totp" : "password";
  a.strong = strong;
  a.sole_user = sole_user;
  a.identity_verified = verified;
  return a;
}

}  // namespace

TEST(PolicyStrength, AddressPatterns) {
  EXPECT_TRUE(policy::address_matches("*", "x@y.example"));
  EXPECT_TRUE(policy::address_matches("*", ""));
  EXPECT_TRUE(policy::address_matches("*@a.example", "Bob@A.Example"));
  EXPECT_FALSE(policy::address_matches("*@a.example", "bob@sub.a.example"));
  EXPECT_FALSE(policy::address_matches("*@a.example", "bob@xa.example"));
  EXPECT_FALSE(policy::address_matches("*@a.example", "a.example"));
  EXPECT_TRUE(policy::address_matches("cfo@a.example", "CFO@a.example"));
  EXPECT_FALSE(policy::address_matches("cfo@a.example", "cfo2@a.example"));
}

TEST(PolicyStrength, FirstMatchingRuleDecides) {
  Config c = with_rules();
  auto* r = policy::needs_strong(c, "cfo@a.example", "x@b.example", "a-example", kUnknown);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "cfo");
  r = policy::needs_strong(c, "bob@a.example", "x@b.example", "a-example", kUnknown);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "from-a");
}

TEST(PolicyStrength, EveryConditionMustMatch) {
  Config c = with_rules();
  EXPECT_EQ(policy::needs_strong(c, "bob@a.example", "x@c.example", "a-example", kUnknown), nullptr);  // recipient
  EXPECT_EQ(policy::needs_strong(c, "bob@a.example", "x@b.example", "other", kUnknown), nullptr);      // member
  EXPECT_EQ(policy::needs_strong(c, "bob@z.example", "x@b.example", "a-example", kUnknown), nullptr);  // sender
}

TEST(PolicyStrength, StarMemberNeedsAMember) {
  Config c = with_rules();
  auto* r = policy::needs_strong(c, "x@z.example", "board@b.example", "z-example", kUnknown);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "any-member-to-board");
  EXPECT_EQ(policy::needs_strong(c, "x@z.example", "board@b.example", "", kUnknown), nullptr);
}

TEST(PolicyStrength, NoRulesNoNeed) {
  EXPECT_EQ(policy::needs_strong(Config{}, "a@b.example", "c@d.example", "m", kUnknown), nullptr);
}

TEST(PolicyStrength, AssuranceShortfall) {
  Config c;
  c.require_assurance.push_back({{"a-example"}, true, true, false});
  c.require_assurance.push_back({{"*"}, false, false, true});
  EXPECT_EQ(policy::assurance_shortfall(c, "a-example", std::nullopt), "no signed sender assurance");
  EXPECT_EQ(policy::assurance_shortfall(c, "a-example", assurance(false, true, true)), "sender did not sign in strongly");
  EXPECT_EQ(policy::assurance_shortfall(c, "a-example", assurance(true, false, true)),
            "sender's mailbox is not single-user");
  EXPECT_EQ(policy::assurance_shortfall(c, "a-example", assurance(true, true, false)), "sender's identity is not verified");
  EXPECT_EQ(policy::assurance_shortfall(c, "a-example", assurance(true, true, true)), std::nullopt);
  EXPECT_EQ(policy::assurance_shortfall(c, "z-example", assurance(false, false, true)), std::nullopt);
  EXPECT_EQ(policy::assurance_shortfall(c, "z-example", assurance(false, false, false)),
            "sender's identity is not verified");
}

TEST(PolicyStrength, NoRequirementForUnlistedOrNonMembers) {
  Config c;
  c.require_assurance.push_back({{"a-example"}, true, false, false});
  EXPECT_EQ(policy::assurance_shortfall(c, "b-example", std::nullopt), std::nullopt);
  c.require_assurance.push_back({{"*"}, true, false, false});
  EXPECT_EQ(policy::assurance_shortfall(c, "", std::nullopt), std::nullopt);  // not a member: nothing to require
}

namespace {

// [[strong_auth]] "sensitive-to-b": mail to b.example marked SENSITIVE or
// above; "ceo-any": anything to the chief executive.
Config marking_rules() {
  auto c = config::load_string(R"(domain = "a.example"
[[strong_auth]]
name = "sensitive-to-b"
recipients = ["*@b.example"]
marking_min = "sensitive"
inbound = "return"

[[strong_auth]]
name = "ceo-any"
recipients = ["ceo@b.example"]
)",
                               "config.toml", "/etc/securemail");
  EXPECT_TRUE(c.has_value()) << c.error();
  return c ? *c : Config{};
}

policy::Marking marked(const Config& c, std::string_view text) {
  auto m = policy::MarkingReader(c.markings).whole(text);
  EXPECT_TRUE(m) << text;
  return m ? *m : policy::Marking{};
}

const char* rule_name(const Config::StrongAuthRule* r) { return r ? r->name.c_str() : "(none)"; }

}  // namespace

TEST(PolicyStrength, MarkingMinWaitsForTheMarking) {
  Config c = marking_rules();
  ASSERT_EQ(c.strong_auth.at(0).marking_min, "SENSITIVE");
  // At RCPT the marking is unknown: the marking rule does not decide, the next one still does.
  EXPECT_STREQ(rule_name(policy::needs_strong(c, "x@a.example", "bob@b.example", "", kUnknown)), "(none)");
  EXPECT_STREQ(rule_name(policy::needs_strong(c, "x@a.example", "ceo@b.example", "", kUnknown)), "ceo-any");
}

TEST(PolicyStrength, MarkingMinMatchesAtOrAboveItsLevel) {
  Config c = marking_rules();
  auto level = [&](std::string_view text) { return policy::MarkingLevel::of(marked(c, text)); };
  auto rule = [&](const char* to, policy::MarkingLevel m) { return rule_name(policy::needs_strong(c, "x@a.example", to, "", m)); };
  EXPECT_STREQ(rule("bob@b.example", level("[IN-CONFIDENCE]")), "(none)");
  EXPECT_STREQ(rule("bob@b.example", level("[SENSITIVE]")), "sensitive-to-b");
  EXPECT_STREQ(rule("bob@b.example", level("[RESTRICTED:MEDICAL]")), "sensitive-to-b");
  EXPECT_STREQ(rule("bob@b.example", policy::MarkingLevel::of(policy::Marking{})), "(none)");  // unmarked
  EXPECT_STREQ(rule("bob@c.example", level("[SENSITIVE]")), "(none)");                        // other conditions still hold
  // First match: the marked CEO mail meets the marking rule first.
  EXPECT_STREQ(rule("ceo@b.example", level("[SENSITIVE]")), "sensitive-to-b");
  EXPECT_STREQ(rule("ceo@b.example", level("[UNCLASSIFIED]")), "ceo-any");
}

TEST(PolicyStrength, EngineRefusesAWeakSubmissionSenderAfterData) {
  Config c = marking_rules();
  policy::Engine engine(c);
  policy::MessageFacts f;
  f.listener = "submission";
  f.sender = "alice@a.example";
  f.authenticated = true;
  f.content_known = true;
  directory::Member b;  // accredited for SENSITIVE, so no marking guard stands in the way
  b.id = "b-example";
  b.domains = {"b.example"};
  b.jurisdiction = "NZ";
  b.max_marking = "RESTRICTED";
  policy::RecipientFacts bob{"bob@b.example", false, &b, ""};

  f.marking = marked(c, "[IN-CONFIDENCE]");
  EXPECT_EQ(engine.decide(f, bob).decision, config::PolicyDecision::seal);

  f.marking = marked(c, "[SENSITIVE]");
  f.strong = true;
  EXPECT_NE(engine.decide(f, bob).rule, "strong-auth-sensitive-to-b");  // signed in strongly: passes this guard

  f.strong = false;
  for (const char* listener : {"submission", "submissions"}) {
    f.listener = listener;
    policy::Verdict v = engine.decide(f, bob);
    EXPECT_EQ(v.decision, config::PolicyDecision::refuse) << listener;
    EXPECT_EQ(v.rule, "strong-auth-sensitive-to-b");
    EXPECT_EQ(v.code, 550);
    EXPECT_EQ(v.status, "5.7.9");
    EXPECT_EQ(v.reason, "strong authentication required by rule sensitive-to-b");
    EXPECT_EQ(v.explanation.back(),
              "guard strong-auth-sensitive-to-b: refuse: strong authentication required by rule sensitive-to-b");
  }

  // Relay mail (nobody signs in) is not held to [[strong_auth]].
  f.listener = "relay";
  f.authenticated = false;
  EXPECT_NE(engine.decide(f, bob).rule, "strong-auth-sensitive-to-b");
  // Nor is inbound mail here (StrongHolds decides it for local accounts).
  f.listener = "inbound";
  f.outbound = false;
  EXPECT_NE(engine.decide(f, bob).rule, "strong-auth-sensitive-to-b");
}
