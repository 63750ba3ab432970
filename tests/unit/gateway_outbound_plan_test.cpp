// gateway_outbound_plan_test.cpp - which recipients of an outbound message
// are sealed for which member gateway, which stay plain, and who is refused.
#include <gtest/gtest.h>

#include "directory_test_support.h"
#include "gateway/outbound.h"

namespace sm::gateway {
namespace {

using directory::testing::make_feed;
using directory::testing::make_member;

config::Config our_config() {
  auto c = config::load_string("domain = \"a.example\"\n", "test.toml");
  EXPECT_TRUE(c) << c.error();
  return *c;
}

mail::Envelope to(std::vector<std::string> rcpts) {
  mail::Envelope env;
  env.sender = "alice@a.example";
  for (auto& r : rcpts) env.recipients.push_back({r});
  return env;
}

std::shared_ptr<const directory::Directory> members() {
  auto a = make_member("a-example", {"a.example"});
  auto b = make_member("b-example", {"b.example"});
  auto c = make_member("c-example", {"c.example", "c2.example"});
  auto d = make_member("d-example", {"d.example"});
  d.status = directory::Status::suspended;
  // Two customers of one provider: same endpoint, same certificate.
  auto x = make_member("gsp-x", {"x.example"});
  auto y = make_member("gsp-y", {"y.example"});
  y.endpoints = x.endpoints;
  return directory::Directory::build(make_feed(1, {a, b, c, d, x, y}));
}

TEST(OutboundPlan, SplitsPerMemberGatewayAndKeepsTheRestPlain) {
  auto plan = plan_outbound(our_config(), members(),
                            to({"bob@b.example", "me@a.example", "dave@other.example", "carol@c.example",
                                "bill@B.Example", "cy@c2.example"}));
  EXPECT_EQ(plan.plain, (std::vector<std::size_t>{1, 2}));  // our own domain, a non-member
  ASSERT_EQ(plan.sealed.size(), 2u);
  EXPECT_EQ(plan.sealed[0].member->id, "b-example");
  EXPECT_EQ(plan.sealed[0].recipients, (std::vector<std::size_t>{0, 4}));
  EXPECT_EQ(plan.sealed[1].member->id, "c-example");
  EXPECT_EQ(plan.sealed[1].recipients, (std::vector<std::size_t>{3, 5}));
}

TEST(OutboundPlan, MembersBehindOneGatewayShareACopy) {
  auto plan = plan_outbound(our_config(), members(), to({"p@x.example", "q@y.example"}));
  ASSERT_EQ(plan.sealed.size(), 1u);
  EXPECT_EQ(plan.sealed[0].member_ids, (std::vector<std::string>{"gsp-x", "gsp-y"}));
  EXPECT_EQ(plan.sealed[0].recipients, (std::vector<std::size_t>{0, 1}));
}

TEST(OutboundPlan, WithoutADirectoryEverythingIsPlain) {
  auto plan = plan_outbound(our_config(), nullptr, to({"bob@b.example"}));
  EXPECT_TRUE(plan.sealed.empty());
  EXPECT_EQ(plan.plain.size(), 1u);
}

TEST(OutboundPlan, AMemberSuspendedAfterRcptIsNeverPlain) {
  auto plan = plan_outbound(our_config(), members(), to({"dan@d.example", "bob@b.example"}));
  EXPECT_EQ(plan.suspended, (std::vector<std::size_t>{0}));
  EXPECT_TRUE(plan.plain.empty());
  ASSERT_EQ(plan.sealed.size(), 1u);
}

TEST(OutboundPlan, SuspendedMembersAreRefusedAtRcpt) {
  auto dir = members();
  auto r = check_member_recipient(dir.get(), "dan@d.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 550);
  EXPECT_EQ(r.error().enhanced, "5.7.1");
  EXPECT_NE(r.error().text.find("suspended"), std::string::npos);
  EXPECT_TRUE(check_member_recipient(dir.get(), "bob@b.example"));
  EXPECT_TRUE(check_member_recipient(dir.get(), "x@nowhere.example"));
}

TEST(OutboundPlan, SealedMailNeedsExactlyOneFromAddress) {
  EXPECT_EQ(*single_from_address("From: Alice <alice@a.example>\r\n\r\nx"), "alice@a.example");
  for (std::string bad : {"Subject: none\r\n\r\nx", "From: a@a.example, b@a.example\r\n\r\n",
                          "From: undisclosed:;\r\n\r\n"}) {
    auto r = single_from_address(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().enhanced, "5.7.1");
  }
}

}  // namespace
}  // namespace sm::gateway
