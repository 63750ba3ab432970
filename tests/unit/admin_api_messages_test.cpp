// admin_api_messages_test.cpp - POST /v1/messages through
// AdminServer::answer(): only a send token may use it (and a send token
// nothing else), the JSON is read strictly (a whole message or its parts,
// unknown fields, bad base64, not JSON, not application/json), the parts
// are composed into a real message, and the gateway's answer becomes 202
// with the queue id and each recipient's decision, or the refusal's status
// with its SMTP reply.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "admin/api.h"
#include "admin_api_support.h"
#include "admin_fake_queue.h"
#include "audit/audit.h"
#include "mime/header.h"
#include "temp_dir.h"

using namespace sm;
using nlohmann::json;

namespace {

class ApiMessages : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens = std::move(*admin::TokenStore::open(dir.path));
    sender = *tokens->create("billing", admin::Scope::send, 1);
    writer = *tokens->create("ops", admin::Scope::write, 1);
    trail = std::shared_ptr<audit::AuditTrail>(std::move(*audit::AuditTrail::open(dir.path)));
    admin::ApiContext ctx{tokens.get(), &queue, [] { return admin::DirectoryStatus{}; }, trail, [] { return 1000; }};
    ctx.data_dir = dir.path;
    ctx.submit = [this](const admin::MessageSubmission& s) {
      seen.push_back(s);
      return answer;
    };
    admin::register_api_routes(server, ctx);
  }
  test_support::ApiReply post(const json& body, const std::string& token) {
    return test_support::ask_api(server, "POST", "/v1/messages", token, body.dump());
  }

  test_support::TempDir dir;
  std::unique_ptr<admin::TokenStore> tokens;
  std::string sender, writer;
  std::shared_ptr<audit::AuditTrail> trail;
  test_support::FakeQueue queue;
  admin::AdminServer server{[] { return admin::Health{}; }};
  std::vector<admin::MessageSubmission> seen;
  admin::SubmissionAnswer answer{std::nullopt, "Q123", {{"bob@b.example", "sealed", "member b"}}};
};

const json kWhole = {{"message", "From: invoices@a.example\nTo: bob@b.example\nSubject: x\n\nhi\n"},
                     {"recipients", {"bob@b.example"}}};

TEST_F(ApiMessages, OnlyASendTokenSends) {
  EXPECT_EQ(post(kWhole, "").status, 401);
  auto r = post(kWhole, writer);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["error"], "token 'ops' has write scope; this needs a send token");
  auto q = test_support::ask_api(server, "GET", "/v1/queue", sender);
  EXPECT_EQ(q.status, 403) << "a send token reads nothing";
  EXPECT_EQ(q.body["error"], "token 'billing' has send scope; this needs a read token");
  EXPECT_TRUE(seen.empty());
}

TEST_F(ApiMessages, AWholeMessageIsHandedOnWithCrlfAndTheAnswerIsTheGatewaysDecisions) {
  auto r = post(kWhole, sender);
  ASSERT_EQ(r.status, 202) << r.body.dump();
  EXPECT_EQ(r.body["queue_id"], "Q123");
  EXPECT_EQ(r.body["dry_run"], false);
  EXPECT_EQ(r.body["recipients"], json::parse(R"([{"address":"bob@b.example","decision":"sealed","detail":"member b"}])"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].application, "billing");
  EXPECT_EQ(seen[0].message, "From: invoices@a.example\r\nTo: bob@b.example\r\nSubject: x\r\n\r\nhi\r\n");
  EXPECT_EQ(seen[0].recipients, std::vector<std::string>{"bob@b.example"});
  EXPECT_TRUE(seen[0].sender.empty()) << "the gateway takes the From: address";
}

TEST_F(ApiMessages, PartsAreComposedIntoAMessage) {
  json parts = {{"from", "invoices@a.example"}, {"from_name", "Rechnungsstelle Müller"}, {"to", {"bob@b.example"}},
                {"cc", {"carol@c.example"}}, {"bcc", {"audit@a.example"}}, {"subject", "Rechnung für Dezember"},
                {"text", "Grüße\nline two"}, {"sender", "bounces@a.example"}, {"dry_run", true},
                {"attachments", {{{"filename", "../Rechnung 4711.pdf"}, {"content_type", "application/pdf"},
                                  {"content_base64", "JVBERi0xLjQK"}}}}};
  answer.queue_id = "";
  auto r = post(parts, sender);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["dry_run"], true);
  ASSERT_EQ(seen.size(), 1u);
  const auto& s = seen[0];
  EXPECT_TRUE(s.dry_run);
  EXPECT_EQ(s.sender, "bounces@a.example");
  EXPECT_EQ(s.recipients, (std::vector<std::string>{"bob@b.example", "carol@c.example", "audit@a.example"}));
  auto h = mime::HeaderBlock::parse(s.message);
  ASSERT_TRUE(h) << h.error().text;
  EXPECT_EQ(h->get("To").value_or(""), "<bob@b.example>");
  EXPECT_EQ(h->get("Cc").value_or(""), "<carol@c.example>");
  EXPECT_FALSE(h->has("Bcc")) << "blind copies are envelope only";
  EXPECT_EQ(h->get("Subject").value_or(""), "=?UTF-8?B?UmVjaG51bmcgZsO8ciBEZXplbWJlcg==?=");
  EXPECT_TRUE(h->has("Message-ID"));
  EXPECT_TRUE(h->has("Date"));
  EXPECT_NE(s.message.find("Gr=C3=BC=C3=9Fe\r\nline two\r\n"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("Content-Disposition: attachment;\r\n filename*=UTF-8''Rechnung%204711.pdf;\r\n "
                           "filename=\"Rechnung 4711.pdf\"\r\n"),
            std::string::npos)
      << s.message;
  EXPECT_NE(s.message.find("JVBERi0xLjQK"), std::string::npos);
  for (unsigned char c : s.message) ASSERT_LT(c, 0x80) << "7-bit clean";
}

TEST_F(ApiMessages, BadBodiesAre400AndReachNothing) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "the body must be a JSON object"},
      {{{"message", "x"}}, "recipients: a whole message needs its envelope recipients"},
      {{{"message", "x"}, {"recipients", {"b@b.example"}}, {"subject", "s"}},
       "unknown field subject (with message: recipients, sender, dry_run)"},
      {{{"from", "a@a.example"}, {"to", {"b@b.example"}}, {"colour", 1}}, "unknown field colour"},
      {{{"to", {"b@b.example"}}}, "from: missing"},
      {{{"from", "a@a.example"}, {"to", "b@b.example"}}, "to: must be a list of addresses"},
      {{{"from", "a@a.example"}, {"to", {"not an address"}}}, "not an address (local@domain): not an address"},
      {{{"from", "a@a.example"}}, "the message names no recipient (to, cc)"},
      {{{"from", "a@a.example"}, {"to", {"b@b.example"}}, {"dry_run", "yes"}}, "dry_run: must be true or false"},
      {{{"from", "a@a.example"}, {"to", {"b@b.example"}}, {"attachments", {{{"filename", "x"}, {"content_base64", "!!"}}}}},
       "attachments: x: content_base64 is not base64"},
  };
  for (const auto& [body, error] : cases) {
    auto r = post(body, sender);
    EXPECT_EQ(r.status, 400) << body.dump();
    EXPECT_EQ(r.body["error"], error) << body.dump();
  }
  auto raw = server.answer("POST /v1/messages HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + sender +
                           "\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope");
  EXPECT_EQ(raw.substr(9, 3), "400") << raw;
  raw = server.answer("POST /v1/messages HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + sender +
                      "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  EXPECT_EQ(raw.substr(9, 3), "415") << raw;
  EXPECT_TRUE(seen.empty());
}

TEST_F(ApiMessages, RefusalsCarryTheirSmtpReply) {
  answer = {Error{550, "5.7.1", "From: <ceo@a.example>: application billing may not send as this address (its senders)"},
            "", {}};
  auto r = post(kWhole, sender);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body["smtp"], "550 5.7.1 From: <ceo@a.example>: application billing may not send as this address (its senders)");
  answer.refusal = Error{451, "4.3.0", "try later"};
  r = post(kWhole, sender);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.head.find("Retry-After: 60"), std::string::npos);
  answer.refusal = Error{552, "5.3.4", "too big"};
  EXPECT_EQ(post(kWhole, sender).status, 413);
  answer.refusal = Error{554, "5.6.0", "bad"};
  EXPECT_EQ(post(kWhole, sender).status, 422);
}

}  // namespace
