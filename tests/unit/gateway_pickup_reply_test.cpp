// gateway_pickup_reply_test.cpp - how the gateway queues a reply from the
// pickup page: one envelope per route, from the reply's author; our own
// domains to the organisation as local mail, every other participant held
// for secure pickup again (Envelope::pickup), never plain.
#include <gtest/gtest.h>

#include "gateway/pickup_wiring.h"

namespace sm::gateway {
namespace {

std::vector<std::string> addresses(const mail::Envelope& env) {
  std::vector<std::string> out;
  for (const auto& r : env.recipients) out.push_back(r.address);
  return out;
}

TEST(GatewayPickupReply, OneEnvelopePerRoute) {
  config::Config c;
  c.domain = "a.example";
  c.domains = {"a.example", "a2.example"};
  pickup::Reply r{"bob@example.org", {"alice@a.example", "carol@partner.example", "dave@A2.example", "erin@b.example"},
                  "From: <bob@example.org>\r\n\r\nHi\r\n"};
  auto routes = reply_routes(c, r);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_FALSE(routes[0].pickup);
  EXPECT_EQ(addresses(routes[0]), (std::vector<std::string>{"alice@a.example", "dave@A2.example"}));
  EXPECT_TRUE(routes[1].pickup) << "an outside participant is held for pickup, never sent plain";
  EXPECT_EQ(addresses(routes[1]), (std::vector<std::string>{"carol@partner.example", "erin@b.example"}));
  for (const auto& env : routes) {
    EXPECT_EQ(env.sender, "bob@example.org");
    EXPECT_EQ(env.listener, "pickup-reply");
    EXPECT_FALSE(env.body_8bit);
  }
}

TEST(GatewayPickupReply, TheSenderOnlyIsOneLocalEnvelope) {
  config::Config c;
  c.domain = "a.example";
  c.domains = {"a.example"};
  auto routes = reply_routes(c, {"bob@example.org", {"alice@a.example"}, "x\r\n"});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_FALSE(routes[0].pickup);
  EXPECT_EQ(addresses(routes[0]), std::vector<std::string>{"alice@a.example"});
  routes = reply_routes(c, {"bob@example.org", {"carol@partner.example"}, "x\r\n"});
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_TRUE(routes[0].pickup);
}

}  // namespace
}  // namespace sm::gateway
