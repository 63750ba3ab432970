// gateway_policy_plan_test.cpp - verdicts turned into the copies of an
// outbound message: sealed per member gateway, plain, released, held,
// returned; refused ones returned unless every recipient is refused; a
// seal that cannot be done is returned, never plain. And the recipient
// facts the engine is given (local, member, declared route jurisdiction).
#include <gtest/gtest.h>

#include "directory_test_support.h"
#include "gateway/policy_step.h"

namespace sm::gateway {
namespace {

using config::PolicyDecision;
using directory::testing::make_feed;
using directory::testing::make_member;

std::shared_ptr<const directory::Directory> members() {
  auto b = make_member("b-example", {"b.example"});
  auto c = make_member("c-example", {"c.example"});
  auto d = make_member("d-example", {"d.example"});
  d.status = directory::Status::suspended;
  auto x = make_member("gsp-x", {"x.example"});
  auto y = make_member("gsp-y", {"y.example"});
  y.endpoints = x.endpoints;
  return directory::Directory::build(make_feed(1, {b, c, d, x, y}));
}

config::Config our_config() {
  auto c = config::load_string("domain = \"a.example\"\n", "test.toml");
  EXPECT_TRUE(c) << c.error();
  c->sovereignty.routes = {{"default", "NZ"}, {"us.example", "US"}};
  return *c;
}

struct Case {
  mail::Envelope env;
  std::vector<policy::RecipientFacts> rcpts;
  std::vector<policy::Verdict> verdicts;
};

Case make(const config::Config& config, const directory::Directory& dir,
          std::vector<std::pair<std::string, PolicyDecision>> to) {
  Case c;
  c.env.sender = "alice@a.example";
  for (auto& [addr, d] : to) {
    c.env.recipients.push_back({addr});
    c.rcpts.push_back(recipient_facts(config, &dir, addr));
    policy::Verdict v;
    v.decision = d;
    v.rule = "r-" + addr;
    v.reason = "because " + addr;
    c.verdicts.push_back(v);
  }
  return c;
}

TEST(PolicyPlan, RecipientFactsNameLocalMemberAndDeclaredRoute) {
  auto config = our_config();
  auto dir = members();
  auto local = recipient_facts(config, dir.get(), "bob@a.example");
  EXPECT_TRUE(local.local);
  EXPECT_EQ(local.member, nullptr);
  EXPECT_EQ(recipient_facts(config, dir.get(), "x@b.example").member->id, "b-example");
  EXPECT_EQ(recipient_facts(config, dir.get(), "x@d.example").member->id, "d-example") << "any status";
  EXPECT_EQ(recipient_facts(config, dir.get(), "x@us.example").route_jurisdiction, "US");
  EXPECT_EQ(recipient_facts(config, dir.get(), "x@other.example").route_jurisdiction, "NZ") << "the default route";
  EXPECT_EQ(recipient_facts(config, dir.get(), "x@b.example").route_jurisdiction, "") << "members go by the directory";
  EXPECT_EQ(recipient_facts(config, nullptr, "x@b.example").member, nullptr);
}

TEST(PolicyPlan, EveryDecisionHasItsPlaceAndMembersShareAGateway) {
  auto config = our_config();
  auto dir = members();
  auto c = make(config, *dir,
                {{"a@x.example", PolicyDecision::seal},    {"b@y.example", PolicyDecision::seal},
                 {"c@c.example", PolicyDecision::seal},    {"d@o.example", PolicyDecision::plain},
                 {"e@a.example", PolicyDecision::hold},    {"f@o.example", PolicyDecision::pickup},
                 {"g@o.example", PolicyDecision::return_}, {"h@o.example", PolicyDecision::refuse}});
  c.verdicts.push_back({});
  c.verdicts.back().decision = PolicyDecision::plain;
  c.verdicts.back().strip_marking = true;
  c.env.recipients.push_back({"i@citizen.example"});
  c.rcpts.push_back(recipient_facts(config, dir.get(), "i@citizen.example"));
  auto plan = plan_verdicts(dir, c.env, c.rcpts, c.verdicts);
  ASSERT_EQ(plan.outbound.sealed.size(), 2u);
  EXPECT_EQ(plan.outbound.sealed[0].recipients, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(plan.outbound.sealed[0].member_ids, (std::vector<std::string>{"gsp-x", "gsp-y"}));
  EXPECT_EQ(plan.outbound.sealed[1].recipients, (std::vector<std::size_t>{2}));
  EXPECT_EQ(plan.outbound.plain, (std::vector<std::size_t>{3}));
  EXPECT_EQ(plan.held, (std::vector<std::size_t>{4}));
  EXPECT_EQ(plan.pickup, (std::vector<std::size_t>{5}));
  EXPECT_EQ(plan.returned, (std::vector<std::size_t>{6, 7}));
  EXPECT_EQ(plan.refused, (std::vector<std::size_t>{7}));
  EXPECT_EQ(plan.released, (std::vector<std::size_t>{8}));
  EXPECT_FALSE(plan.all_refused());
}

TEST(PolicyPlan, PickupIsSealedForAMemberAndHeldForOurOwn) {
  auto config = our_config();
  auto dir = members();
  auto c = make(config, *dir,
                {{"a@x.example", PolicyDecision::pickup}, {"e@a.example", PolicyDecision::pickup},
                 {"f@o.example", PolicyDecision::pickup}});
  auto plan = plan_verdicts(dir, c.env, c.rcpts, c.verdicts);
  ASSERT_EQ(plan.outbound.sealed.size(), 1u);
  EXPECT_EQ(plan.outbound.sealed[0].recipients, (std::vector<std::size_t>{0}));
  EXPECT_EQ(plan.held, (std::vector<std::size_t>{1}));
  EXPECT_EQ(plan.pickup, (std::vector<std::size_t>{2}));
  EXPECT_EQ(c.verdicts[0].explanation.back(), "an active member: sealed instead of pickup");
  EXPECT_EQ(c.verdicts[1].explanation.back(), "one of our own recipients: held instead of pickup");
  EXPECT_FALSE(plan.all_refused());
}

TEST(PolicyPlan, PickupWithThePdfOptionHasAPlaceOfItsOwn) {
  auto config = our_config();
  auto dir = members();
  auto c = make(config, *dir,
                {{"f@o.example", PolicyDecision::pickup}, {"g@o.example", PolicyDecision::pickup},
                 {"a@x.example", PolicyDecision::pickup}});
  c.verdicts[1].pickup_pdf = c.verdicts[2].pickup_pdf = true;
  auto plan = plan_verdicts(dir, c.env, c.rcpts, c.verdicts);
  EXPECT_EQ(plan.pickup, (std::vector<std::size_t>{0}));
  EXPECT_EQ(plan.pickup_pdf, (std::vector<std::size_t>{1})) << "a member is sealed, PDF or not";
  EXPECT_EQ(c.verdicts[1].explanation.back(), "with the PDF option");
  ASSERT_EQ(plan.outbound.sealed.size(), 1u);
  EXPECT_FALSE(plan.all_refused());
}

TEST(PolicyPlan, ASealThatCannotBeDoneIsReturnedNeverPlain) {
  auto config = our_config();
  auto dir = members();
  auto c = make(config, *dir, {{"a@o.example", PolicyDecision::seal}, {"b@d.example", PolicyDecision::seal}});
  c.verdicts[0].reason.clear();
  auto plan = plan_verdicts(dir, c.env, c.rcpts, c.verdicts);
  EXPECT_TRUE(plan.outbound.sealed.empty());
  EXPECT_TRUE(plan.outbound.plain.empty());
  EXPECT_EQ(plan.returned, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(c.verdicts[0].decision, PolicyDecision::return_);
  EXPECT_NE(c.verdicts[0].reason.find("<a@o.example>"), std::string::npos) << c.verdicts[0].reason;
  EXPECT_EQ(c.verdicts[1].reason, "because b@d.example") << "a rule's reason is kept";
}

TEST(PolicyPlan, AllRefusedOnlyWhenNobodyElseGetsAnything) {
  auto config = our_config();
  auto dir = members();
  auto refused = make(config, *dir, {{"a@o.example", PolicyDecision::refuse}, {"b@o.example", PolicyDecision::refuse}});
  EXPECT_TRUE(plan_verdicts(dir, refused.env, refused.rcpts, refused.verdicts).all_refused());
  auto mixed = make(config, *dir, {{"a@o.example", PolicyDecision::refuse}, {"b@o.example", PolicyDecision::return_}});
  EXPECT_FALSE(plan_verdicts(dir, mixed.env, mixed.rcpts, mixed.verdicts).all_refused());
}

TEST(PolicyPlan, TheLogLineNamesDecisionRuleAndStepsButNoContent) {
  policy::Verdict v;
  v.decision = PolicyDecision::seal;
  v.rule = "default";
  v.explanation = {"default: member b-example: seal", "guard marking-plain: RESTRICTED above IN-CONFIDENCE"};
  EXPECT_EQ(describe_verdict("bob@b.example", v),
            "to=<bob@b.example>: policy seal (rule default): default: member b-example: seal; guard marking-plain: "
            "RESTRICTED above IN-CONFIDENCE");
}

}  // namespace
}  // namespace sm::gateway
