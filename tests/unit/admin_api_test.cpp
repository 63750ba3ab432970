// admin_api_test.cpp - the /v1 routes through AdminServer::answer(): token
// checks (401 with WWW-Authenticate, 403 for a read token), filters and
// their 400s, 404 for unknown and discreet messages, 409 for conflicting
// changes, and the audit entry every change leaves; the read-only routes'
// token checks (their answers: admin_api_records_test.cpp).
#include "admin/api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "admin_api_support.h"
#include "admin_fake_queue.h"
#include "audit/audit.h"
#include "temp_dir.h"

using namespace sm;
using test_support::TempDir;

namespace {

constexpr std::int64_t kNow = 1'000'000;

queue::QueuedMessage message(std::string id, std::string sender, std::string rcpt, std::int64_t age) {
  queue::QueuedMessage m;
  m.envelope.id = std::move(id);
  m.envelope.sender = std::move(sender);
  m.envelope.recipients.push_back({.address = std::move(rcpt)});
  m.envelope.arrival = kNow - age;
  m.envelope.size = 100;
  return m;
}

using Reply = test_support::ApiReply;

class AdminApi : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens = std::move(*admin::TokenStore::open(dir.path));
    writer = *tokens->create("ops", admin::Scope::write, 1);
    reader = *tokens->create("viewer", admin::Scope::read, 1);
    trail = std::shared_ptr<audit::AuditTrail>(std::move(*audit::AuditTrail::open(dir.path)));
    auto deferred = message("AAAA0000000001", "alice@a.example", "bob@b.example", 7200);
    deferred.state.next_attempt = kNow + 600;
    auto held = message("AAAA0000000002", "carol@a.example", "dan@b.example", 60);
    held.held = true;
    held.envelope.policy_hold = "rule 3";
    auto active = message("AAAA0000000003", "alice@a.example", "erin@c.example", 10);
    active.envelope.lane = mail::Lane::priority;
    auto discreet = message("AAAA0000000004", "alice@a.example", "officer@law.example", 10);
    discreet.envelope.discreet = true;
    queue.all = {deferred, held, active, discreet};
    admin::ApiContext ctx{tokens.get(), &queue, [] { return admin::DirectoryStatus{}; }, trail, [] { return kNow; }};
    ctx.data_dir = dir.path;  // no receipts, accounts or keys in it
    admin::register_api_routes(server, ctx);
  }

  Reply ask(const std::string& method, const std::string& target, const std::string& token = "",
            const std::string& body = "") {
    return test_support::ask_api(server, method, target, token, body);
  }

  std::vector<audit::Entry> entries() { return *trail->list({}); }

  TempDir dir;
  std::unique_ptr<admin::TokenStore> tokens;
  std::string writer, reader;
  std::shared_ptr<audit::AuditTrail> trail;
  test_support::FakeQueue queue;
  admin::AdminServer server{[] { return admin::Health{}; }};
};

TEST_F(AdminApi, RefusesMissingUnknownAndRevokedTokens) {
  for (const std::string& token : {std::string(), std::string("smt_nope"), std::string("garbage")}) {
    Reply r = ask("GET", "/v1/queue", token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_NE(r.head.find("WWW-Authenticate: Bearer"), std::string::npos);
    EXPECT_TRUE(r.body.contains("error"));
  }
  ASSERT_TRUE(tokens->revoke("viewer"));
  EXPECT_EQ(ask("GET", "/v1/queue", reader).status, 401);
  EXPECT_EQ(ask("GET", "/v1/directory/status").status, 401);
}

TEST_F(AdminApi, ReadTokenMayReadButNotChange) {
  EXPECT_EQ(ask("GET", "/v1/queue", reader).status, 200);
  Reply r = ask("POST", "/v1/queue/AAAA0000000001/hold", reader);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body["error"].get<std::string>().find("read scope"), std::string::npos);
  EXPECT_EQ(ask("DELETE", "/v1/queue/AAAA0000000001", reader).status, 403);
  EXPECT_EQ(ask("POST", "/v1/queue/flush", reader).status, 403);
  EXPECT_FALSE(queue.all[0].held);
  EXPECT_EQ(queue.flushes, 0);
  EXPECT_TRUE(entries().empty());
}

TEST_F(AdminApi, ListsWithFiltersAndLeavesDiscreetCopiesOut) {
  Reply r = ask("GET", "/v1/queue", reader);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["count"], 3);
  EXPECT_EQ(r.body["messages"][0]["state"], "deferred");
  EXPECT_EQ(r.body["messages"][0]["age"], 7200);
  EXPECT_EQ(r.body["messages"][1]["held_reason"], "policy_hold: rule 3");
  EXPECT_EQ(r.body["messages"][2]["lane"], "priority");
  auto ids = [&](const std::string& query) {
    std::vector<std::string> out;
    Reply r = ask("GET", "/v1/queue?" + query, reader);
    for (const auto& m : r.body["messages"]) out.push_back(m["id"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids("state=held"), V{"AAAA0000000002"});
  EXPECT_EQ(ids("state=deferred"), V{"AAAA0000000001"});
  EXPECT_EQ(ids("state=active"), V{"AAAA0000000003"});
  EXPECT_EQ(ids("lane=priority"), V{"AAAA0000000003"});
  EXPECT_EQ(ids("sender=ALICE@a.example"), (V{"AAAA0000000001", "AAAA0000000003"}));
  EXPECT_EQ(ids("recipient=dan@b.example"), V{"AAAA0000000002"});
  EXPECT_EQ(ids("recipient=officer@law.example"), V{});
  EXPECT_EQ(ids("older_than=3600"), V{"AAAA0000000001"});
  EXPECT_EQ(ids("limit=1"), V{"AAAA0000000001"});
}

TEST_F(AdminApi, BadParametersAreNamed) {
  for (auto [query, named] : std::vector<std::pair<std::string, std::string>>{
           {"state=frozen", "state"}, {"lane=fast", "lane"}, {"older_than=-5", "older_than"},
           {"older_than=1h", "older_than"}, {"limit=0", "limit"}, {"limit=99999", "limit"}, {"colour=red", "colour"}}) {
    Reply r = ask("GET", "/v1/queue?" + query, reader);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_NE(r.body["error"].get<std::string>().find(named), std::string::npos) << r.body.dump();
  }
  Reply bad = ask("POST", "/v1/queue/AAAA0000000001/hold", writer, "{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000001/hold", writer, R"({"colour":"red"})").status, 400);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000001/hold", writer, R"({"reason":5})").status, 400);
  EXPECT_FALSE(queue.all[0].held);
}

TEST_F(AdminApi, ShowsOneMessageAnd404sUnknownAndDiscreetOnes) {
  Reply r = ask("GET", "/v1/queue/AAAA0000000002", reader);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["recipients"][0]["address"], "dan@b.example");
  EXPECT_EQ(r.body["policy_hold"], "rule 3");
  EXPECT_EQ(ask("GET", "/v1/queue/ZZZZ0000000009", reader).status, 404);
  EXPECT_EQ(ask("GET", "/v1/queue/AAAA0000000004", reader).status, 404);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000004/hold", writer).status, 404);
  EXPECT_EQ(ask("DELETE", "/v1/queue/AAAA0000000004", writer).status, 404);
  EXPECT_FALSE(queue.all[3].held);
  EXPECT_EQ(queue.all.size(), 4u);
}

TEST_F(AdminApi, ChangesAreDoneAuditedAndConflictsAre409) {
  Reply r = ask("POST", "/v1/queue/AAAA0000000001/hold", writer, R"({"reason":"ticket 42"})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_TRUE(queue.all[0].held);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000001/hold", writer).status, 409);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000003/release", writer).status, 409);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000001/retry", writer).status, 409);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000001/release", writer).status, 200);
  EXPECT_EQ(ask("POST", "/v1/queue/AAAA0000000001/retry", writer).status, 200);
  EXPECT_EQ(ask("DELETE", "/v1/queue/AAAA0000000003", writer).status, 200);
  EXPECT_EQ(ask("POST", "/v1/queue/flush", writer).status, 200);
  EXPECT_EQ(queue.flushes, 1);
  EXPECT_EQ(queue.all.size(), 3u);
  auto audited = entries();
  ASSERT_EQ(audited.size(), 5u);  // refusals change nothing and are not entries
  std::vector<std::string> actions;
  for (const auto& e : audited) {
    EXPECT_EQ(e.actor, "api-token:ops");
    actions.push_back(e.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"queue.hold", "queue.release", "queue.retry", "queue.delete",
                                               "queue.flush"}));
  EXPECT_NE(audited[0].details.find("ticket 42"), std::string::npos);
  EXPECT_EQ(audited[0].object, "AAAA0000000001");
  auto ok = trail->verify();
  ASSERT_TRUE(ok);
  EXPECT_FALSE(*ok);
}

TEST_F(AdminApi, ReadRoutesTakeAReadOrWriteTokenAndNoOther) {
  for (const char* route : {"/v1/receipts", "/v1/accounts", "/v1/keys", "/v1/config", "/v1/alerts"}) {
    EXPECT_EQ(ask("GET", route).status, 401) << route;
    EXPECT_EQ(ask("GET", route, "smt_nope").status, 401) << route;
    EXPECT_EQ(ask("GET", route, reader).status, route == std::string("/v1/config") ? 503 : 200) << route;
    EXPECT_EQ(ask("GET", route, writer).status, route == std::string("/v1/config") ? 503 : 200) << route;
    EXPECT_EQ(ask("POST", route, writer).status, 404) << route;  // no writes there
  }
  ASSERT_TRUE(tokens->revoke("viewer"));
  EXPECT_EQ(ask("GET", "/v1/alerts", reader).status, 401);
  EXPECT_TRUE(entries().empty());  // reads are not audited
}

TEST_F(AdminApi, DirectoryStatusWithoutADirectory) {
  Reply r = ask("GET", "/v1/directory/status", reader);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["configured"], false);
}

}  // namespace
