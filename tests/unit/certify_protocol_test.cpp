// certify_protocol_test.cpp - securemail-test/1 bodies: ping and pong
// round trip, the agent address, and every malformed body refused with
// 554 5.6.0 naming what is wrong (never a crash, never a partial body).
#include <gtest/gtest.h>

#include "certify/test_protocol.h"

namespace sm::certify {
namespace {

TEST(CertifyProtocol, PingAndPongRoundTrip) {
  AgentMessage ping{AgentMessage::Action::ping, "q3JhbmRvbW5vbmNlMTIzNA", 1796083200, "", {}, 0};
  auto back = parse_test_body(to_json(ping));
  ASSERT_TRUE(back) << back.error().text;
  EXPECT_EQ(back->action, AgentMessage::Action::ping);
  EXPECT_EQ(back->nonce, ping.nonce);
  EXPECT_EQ(back->at, ping.at);
  EXPECT_EQ(test_subject(ping), "SECUREMAIL-TEST ping q3JhbmRvbW5vbmNlMTIzNA");

  AgentMessage pong{AgentMessage::Action::pong, ping.nonce, 1796083260, "securemail 0.1.0",
                {{std::string(64, 'a'), "2029-01-01T00:00:00Z"}}, 1796169600};
  auto p = parse_test_body(to_json(pong));
  ASSERT_TRUE(p) << p.error().text;
  EXPECT_EQ(p->action, AgentMessage::Action::pong);
  EXPECT_EQ(p->software, "securemail 0.1.0");
  ASSERT_EQ(p->certificates.size(), 1u);
  EXPECT_EQ(p->certificates[0].not_after, "2029-01-01T00:00:00Z");
  EXPECT_EQ(p->crl_next_update, 1796169600);
}

TEST(CertifyProtocol, TheAgentAddress) {
  EXPECT_EQ(agent_address("B.Example"), "securemail-test@b.example");
  EXPECT_TRUE(is_agent_address("SecureMail-Test@b.example", "b.example"));
  EXPECT_FALSE(is_agent_address("securemail-test@a.example", "b.example"));
  EXPECT_FALSE(is_agent_address("postmaster@b.example", "b.example"));
}

TEST(CertifyProtocol, MalformedBodiesAreRefusedWithWhatIsWrong) {
  const std::string nonce = R"("nonce":"q3JhbmRvbW5vbmNlMTIzNA")";
  struct Bad {
    std::string body, says;
  } cases[] = {
      {"", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"protocol":"other/1","action":"ping",)" + nonce + R"(,"sent":"2026-12-01T00:00:00Z"})", "protocol"},
      {R"({"protocol":"securemail-test/1","action":"send",)" + nonce + R"(,"sent":"2026-12-01T00:00:00Z"})", "action"},
      {R"({"protocol":"securemail-test/1","action":"ping","nonce":"short","sent":"2026-12-01T00:00:00Z"})", "nonce"},
      {R"({"protocol":"securemail-test/1","action":"ping","nonce":"has spaces in it, sixteen+","sent":"2026-12-01T00:00:00Z"})", "nonce"},
      {R"({"protocol":"securemail-test/1","action":"ping",)" + nonce + R"(,"sent":"yesterday"})", "sent"},
      {R"({"protocol":"securemail-test/1","action":"pong",)" + nonce + R"(})", "received"},
      {R"({"protocol":"securemail-test/1","action":"pong",)" + nonce +
           R"(,"received":"2026-12-01T00:00:00Z","certificates":{}})", "certificates"},
      {R"({"protocol":"securemail-test/1","action":"pong",)" + nonce +
           R"(,"received":"2026-12-01T00:00:00Z","certificates":[{"sha256":1}]})", "certificates"},
      {std::string(kMaxTestBody + 1, ' '), "64 KiB"},
  };
  for (const auto& c : cases) {
    auto r = parse_test_body(c.body);
    ASSERT_FALSE(r) << c.body.substr(0, 120);
    EXPECT_EQ(r.error().code, 554);
    EXPECT_EQ(r.error().enhanced, "5.6.0");
    EXPECT_NE(r.error().text.find(c.says), std::string::npos) << r.error().text;
  }
  // Unknown fields are skipped: a newer agent may say more.
  auto newer = parse_test_body(R"({"protocol":"securemail-test/1","action":"ping",)" + nonce +
                               R"(,"sent":"2026-12-01T00:00:00Z","hops":[1,2]})");
  EXPECT_TRUE(newer) << newer.error().text;
}

}  // namespace
}  // namespace sm::certify
