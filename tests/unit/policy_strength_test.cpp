// policy_strength_test.cpp - which [[strong_auth]] rule a message matches
// (first match wins; empty lists match anything; patterns are
// case-insensitive) and what a sender assurance lacks against
// [[require_assurance]].
#include <gtest/gtest.h>

#include "policy/strength.h"

using namespace sm;
using sm::config::Config;

namespace {

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
  auto* r = policy::needs_strong(c, "cfo@a.example", "x@b.example", "a-example");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "cfo");
  r = policy::needs_strong(c, "bob@a.example", "x@b.example", "a-example");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "from-a");
}

TEST(PolicyStrength, EveryConditionMustMatch) {
  Config c = with_rules();
  EXPECT_EQ(policy::needs_strong(c, "bob@a.example", "x@c.example", "a-example"), nullptr);  // recipient
  EXPECT_EQ(policy::needs_strong(c, "bob@a.example", "x@b.example", "other"), nullptr);      // member
  EXPECT_EQ(policy::needs_strong(c, "bob@z.example", "x@b.example", "a-example"), nullptr);  // sender
}

TEST(PolicyStrength, StarMemberNeedsAMember) {
  Config c = with_rules();
  auto* r = policy::needs_strong(c, "x@z.example", "board@b.example", "z-example");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "any-member-to-board");
  EXPECT_EQ(policy::needs_strong(c, "x@z.example", "board@b.example", ""), nullptr);
}

TEST(PolicyStrength, NoRulesNoNeed) {
  EXPECT_EQ(policy::needs_strong(Config{}, "a@b.example", "c@d.example", "m"), nullptr);
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
