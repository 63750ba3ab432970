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

const std::string kSeed = "00112233445566778899aabbccddeeff";
const std::string kSendStart =
    R"({"protocol":"securemail-test/1","action":"send","nonce":"q3JhbmRvbW5vbmNlMTIzNA","sent":"2026-12-01T00:00:00Z","run":"R1","case":"INT-OUT-BASIC")";
const std::string kReportStart =
    R"({"protocol":"securemail-test/1","action":"report","nonce":"q3JhbmRvbW5vbmNlMTIzNA","received":"2026-12-01T00:00:00Z",)"
    R"("about":{"message_id":"m@b.example","run":"R1","case":"OPS-REFUSE"})";

TEST(CertifyProtocol, SendAndReportRoundTrip) {
  AgentMessage send;
  send.action = AgentMessage::Action::send;
  send.nonce = "q3JhbmRvbW5vbmNlMTIzNA";
  send.at = 1796083200;
  send.expires = 1796085000;
  send.run = "R20261205T020000Z-7f3a";
  send.case_id = "INT-OUT-LARGE";
  send.to = "runner@facility.example";
  send.content = {ContentKind::binary, kMaxContentOctets, kSeed};
  auto back = parse_test_body(to_json(send));
  ASSERT_TRUE(back) << back.error().text;
  EXPECT_EQ(back->action, AgentMessage::Action::send);
  EXPECT_EQ(back->run, send.run);
  EXPECT_EQ(back->case_id, send.case_id);
  EXPECT_EQ(back->expires, send.expires);
  EXPECT_EQ(back->to, send.to);
  EXPECT_EQ(back->content.kind, ContentKind::binary);
  EXPECT_EQ(back->content.octets, kMaxContentOctets);
  EXPECT_EQ(back->content.seed, kSeed);
  EXPECT_FALSE(back->receipt);
  send.receipt = true;  // ask the facility for a signed receipt (INT-RCPT-OUT)
  auto asking = parse_test_body(to_json(send));
  ASSERT_TRUE(asking) << asking.error().text;
  EXPECT_TRUE(asking->receipt);

  AgentMessage report;
  report.action = AgentMessage::Action::report;
  report.nonce = "cmVwb3J0bm9uY2UxMjM0NTY";
  report.at = 1796083260;
  report.run = send.run;
  report.case_id = "INT-IN-UTF8";
  report.about = "INT-IN-UTF8.R1.abc@facility.example";
  report.verification = "pass";
  report.delivered_as_verified = true;
  report.digest = std::string(64, 'e');
  auto r = parse_test_body(to_json(report));
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->action, AgentMessage::Action::report);
  EXPECT_EQ(r->about, report.about);
  EXPECT_EQ(r->case_id, "INT-IN-UTF8");
  EXPECT_EQ(r->verification, "pass");
  EXPECT_TRUE(r->delivered_as_verified);
  EXPECT_EQ(r->digest, report.digest);
  EXPECT_EQ(r->refused, "");
  EXPECT_EQ(r->notice_action, "");
  EXPECT_EQ(r->crl_number, "");
  EXPECT_EQ(r->receipt_timeout, 0);
  EXPECT_EQ(r->notice_after, -1);
  EXPECT_EQ(test_subject(*r), "SECUREMAIL-TEST report cmVwb3J0bm9uY2UxMjM0NTY");

  // A report of a bounce, with the CRL the agent's gateway holds.
  report.notice_action = "failed";
  report.notice_status = "5.7.1";
  report.notice_diagnostic = "smtp; 550 5.7.1 refused";
  report.crl_number = "340282366920938463463374607431768211457";  // 2^128 + 1: more than 64 bits
  report.crl_next_update = 1796169600;
  auto n = parse_test_body(to_json(report));
  ASSERT_TRUE(n) << n.error().text;
  EXPECT_EQ(n->notice_action, "failed");
  EXPECT_EQ(n->notice_status, "5.7.1");
  EXPECT_EQ(n->notice_diagnostic, "smtp; 550 5.7.1 refused");
  EXPECT_EQ(n->crl_number, report.crl_number);
  EXPECT_EQ(n->crl_next_update, 1796169600);

  // A receipt that never came, reported with when and the gateway's timeout (OPS-RCPT-WITHHELD).
  report.notice_action = "relayed";
  report.notice_status = "2.0.0";
  report.notice_after = 125;
  report.receipt_timeout = 120;
  auto w = parse_test_body(to_json(report));
  ASSERT_TRUE(w) << w.error().text;
  EXPECT_EQ(w->notice_action, "relayed");
  EXPECT_EQ(w->notice_after, 125);
  EXPECT_EQ(w->receipt_timeout, 120);
}

TEST(CertifyProtocol, TheTestFieldCarriesRunAndCaseOnly) {
  auto label = parse_test_field(test_field_value({"R20261205T020000Z-7f3a", "INT-IN-BASIC"}, "bm9uY2U"));
  ASSERT_TRUE(label);
  EXPECT_EQ(label->run, "R20261205T020000Z-7f3a");
  EXPECT_EQ(label->case_id, "INT-IN-BASIC");
  EXPECT_TRUE(parse_test_field(" Case=X ; RUN=R1 ;nonce=z"));
  EXPECT_FALSE(parse_test_field("run=R1"));
  EXPECT_FALSE(parse_test_field("run=R1; case=<script>"));
  EXPECT_FALSE(parse_test_field("run=; case=X"));
  EXPECT_FALSE(parse_test_field(""));
}

TEST(CertifyProtocol, ATriggerMustStayInTheFacilityAndInTime) {
  AgentMessage send;
  send.to = "runner@facility.example";
  send.expires = 10'000 + 1800;
  const std::vector<std::string> facility = {"facility.example"};
  EXPECT_EQ(trigger_problem(send, facility, 10'000), "");
  send.to = "echo@CBC.Facility.Example";
  EXPECT_EQ(trigger_problem(send, facility, 10'000), "");
  for (const char* elsewhere : {"victim@b.example", "x@evilfacility.example", "x@facility.example.evil", "nobody"}) {
    send.to = elsewhere;
    EXPECT_NE(trigger_problem(send, facility, 10'000).find("outside the facility"), std::string::npos) << elsewhere;
  }
  send.to = "runner@facility.example";
  send.expires = 9'999;
  EXPECT_NE(trigger_problem(send, facility, 10'000).find("expired"), std::string::npos);
  send.expires = 10'000 + kTriggerLifetime + 301;
  EXPECT_NE(trigger_problem(send, facility, 10'000).find("more than an hour"), std::string::npos);
}

TEST(CertifyProtocol, TheGateTakesEachNonceOnceAndAtMostTheHourlyLimit) {
  TriggerGate gate;
  const std::int64_t t = 7200 * 100;
  EXPECT_EQ(gate.admit("nonce-aaaaaaaaaaaaaa", t), "");
  EXPECT_NE(gate.admit("nonce-aaaaaaaaaaaaaa", t + 60).find("used before"), std::string::npos);
  EXPECT_NE(gate.admit("nonce-aaaaaaaaaaaaaa", t + 7000).find("used before"), std::string::npos);
  for (std::uint64_t i = 1; i < kTriggerLimitPerHour; ++i) EXPECT_EQ(gate.admit("n" + std::to_string(i), t + 1), "");
  EXPECT_NE(gate.admit("one-too-many", t + 2).find("over 200"), std::string::npos);
  EXPECT_EQ(gate.admit("one-too-many", t + 3600), "");  // the next hour; the refused nonce was not used
  EXPECT_EQ(gate.admit("nonce-aaaaaaaaaaaaaa", t + 2 * 3600 + 1), "");  // forgotten after two hours
}

TEST(CertifyProtocol, MalformedBodiesAreRefusedWithWhatIsWrong) {
  const std::string nonce = R"("nonce":"q3JhbmRvbW5vbmNlMTIzNA")";
  struct Bad {
    std::string body, says;
  } cases[] = {
      {"", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"protocol":"other/1","action":"ping",)" + nonce + R"(,"sent":"2026-12-01T00:00:00Z"})", "protocol"},
      {R"({"protocol":"securemail-test/1","action":"jump",)" + nonce + R"(,"sent":"2026-12-01T00:00:00Z"})", "action"},
      {R"({"protocol":"securemail-test/1","action":"send",)" + nonce + R"(,"sent":"2026-12-01T00:00:00Z"})", "run and case"},
      {kSendStart + R"(,"to":"x@f.example","content":{"kind":"text","octets":10,"seed":")" + kSeed + R"("}})", "expires"},
      {kSendStart + R"(,"expires":"2026-12-01T00:30:00Z","to":"not an address","content":{"kind":"text","octets":10,"seed":")" +
           kSeed + R"("}})", "to must be an address"},
      {kSendStart + R"(,"expires":"2026-12-01T00:30:00Z","to":"x@f.example\r\nBcc: y@z","content":{"kind":"text","octets":10,"seed":")" +
           kSeed + R"("}})", "to must be an address"},
      {kSendStart + R"(,"expires":"2026-12-01T00:30:00Z","to":"x@f.example","content":{"kind":"video","octets":10}})", "content needs kind"},
      {kSendStart + R"(,"expires":"2026-12-01T00:30:00Z","to":"x@f.example","content":{"kind":"binary","octets":-1}})", "content needs kind"},
      {kSendStart + R"(,"expires":"2026-12-01T00:30:00Z","to":"x@f.example","content":{"kind":"binary","octets":26214401,"seed":")" +
           kSeed + R"("}})", "25 MiB"},
      {kSendStart + R"(,"expires":"2026-12-01T00:30:00Z","to":"x@f.example","content":"text"})", "content must be an object"},
      {R"({"protocol":"securemail-test/1","action":"send",)" + nonce +
           R"(,"sent":"2026-12-01T00:00:00Z","run":"R1","case":"A\r\nBcc: x"})", "run and case"},
      {R"({"protocol":"securemail-test/1","action":"report",)" + nonce + R"(,"received":"2026-12-01T00:00:00Z"})", "about"},
      {R"({"protocol":"securemail-test/1","action":"ping","nonce":"short","sent":"2026-12-01T00:00:00Z"})", "nonce"},
      {R"({"protocol":"securemail-test/1","action":"ping","nonce":"has spaces in it, sixteen+","sent":"2026-12-01T00:00:00Z"})", "nonce"},
      {R"({"protocol":"securemail-test/1","action":"ping",)" + nonce + R"(,"sent":"yesterday"})", "sent"},
      {R"({"protocol":"securemail-test/1","action":"pong",)" + nonce + R"(})", "received"},
      {R"({"protocol":"securemail-test/1","action":"pong",)" + nonce +
           R"(,"received":"2026-12-01T00:00:00Z","certificates":{}})", "certificates"},
      {R"({"protocol":"securemail-test/1","action":"pong",)" + nonce +
           R"(,"received":"2026-12-01T00:00:00Z","certificates":[{"sha256":1}]})", "certificates"},
      {std::string(kMaxTestBody + 1, ' '), "64 KiB"},
      {kReportStart + R"(,"notice":"failed"})", "notice must be an object"},
      {kReportStart + R"(,"notice":{"status":"5.7.1"}})", "notice needs an action"},
      {kReportStart + R"(,"crl":{"number":"-1"}})", "crl.number"},
      {kReportStart + R"(,"crl":{"number":"12a"}})", "crl.number"},
      {kReportStart + R"(,"crl":{"number":")" + std::string(49, '9') + R"("}})", "crl.number"},
      {kReportStart + R"(,"crl":[1]})", "crl must be an object"},
      {kReportStart + R"(,"notice":{"action":"relayed","after":-5}})", "notice.after"},
      {kReportStart + R"(,"receipt_timeout":"1h"})", "receipt_timeout"},
      {kSendStart + R"(,"expires":"2026-12-01T00:30:00Z","to":"x@f.example","content":{"kind":"text","octets":10,"seed":")" +
           kSeed + R"("},"receipt":"yes"})", "receipt must be true or false"},
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
