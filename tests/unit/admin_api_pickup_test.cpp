// admin_api_pickup_test.cpp - /v1/pickup through AdminServer::answer(): the
// list with its state filter (400 for another), revoking with a write
// token only (audited as pickup.revoke with the reason), 404 and 409 from
// the store, and 404 on a gateway without [pickup].
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "admin/api.h"
#include "admin_api_support.h"
#include "admin_fake_pickup.h"
#include "admin_fake_queue.h"
#include "audit/audit.h"
#include "temp_dir.h"

using namespace sm;

namespace {

class ApiPickup : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens = std::move(*admin::TokenStore::open(dir.path));
    writer = *tokens->create("ops", admin::Scope::write, 1);
    reader = *tokens->create("viewer", admin::Scope::read, 1);
    trail = std::shared_ptr<audit::AuditTrail>(std::move(*audit::AuditTrail::open(dir.path)));
    admin::ApiContext ctx{tokens.get(), &queue, [] { return admin::DirectoryStatus{}; }, trail, [] { return 5000; }};
    ctx.data_dir = dir.path;
    ctx.pickup = &pickup;
    admin::register_api_routes(server, ctx);
    ctx.pickup = nullptr;
    admin::register_api_routes(without, ctx);
  }
  test_support::TempDir dir;
  std::unique_ptr<admin::TokenStore> tokens;
  std::string writer, reader;
  std::shared_ptr<audit::AuditTrail> trail;
  test_support::FakeQueue queue;
  test_support::FakePickup pickup;
  admin::AdminServer server{[] { return admin::Health{}; }};
  admin::AdminServer without{[] { return admin::Health{}; }};
};

TEST_F(ApiPickup, ListsWhatIsKeptWithoutContent) {
  auto r = test_support::ask_api(server, "GET", "/v1/pickup", reader);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["count"], 2);
  EXPECT_EQ(r.body["messages"][0]["reference"], "P-AAAA-BBBB-CCCC");
  EXPECT_EQ(r.body["messages"][0]["recipient"], "bob@example.org");
  EXPECT_EQ(r.body["messages"][0]["size"], 42);
  r = test_support::ask_api(server, "GET", "/v1/pickup?state=revoked", reader);
  EXPECT_EQ(r.body["count"], 1);
  r = test_support::ask_api(server, "GET", "/v1/pickup?state=gone", reader);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "state: use waiting, opened, revoked or expired");
  EXPECT_EQ(test_support::ask_api(server, "GET", "/v1/pickup").status, 401);
  EXPECT_EQ(test_support::ask_api(without, "GET", "/v1/pickup", reader).status, 404);
}

TEST_F(ApiPickup, RevokingNeedsAWriteTokenAndIsAudited) {
  EXPECT_EQ(test_support::ask_api(server, "POST", "/v1/pickup/P-AAAA-BBBB-CCCC/revoke", reader).status, 403);
  EXPECT_TRUE(pickup.revoked.empty());
  auto r = test_support::ask_api(server, "POST", "/v1/pickup/P-AAAA-BBBB-CCCC/revoke", writer,
                                 R"({"reason":"sent to the wrong person"})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["state"], "revoked");
  ASSERT_EQ(pickup.revoked.size(), 1u);
  EXPECT_EQ(pickup.revoked[0].second, "sent to the wrong person");
  auto entries = *trail->list({});
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().action, "pickup.revoke");
  EXPECT_EQ(entries.back().object, "P-AAAA-BBBB-CCCC");
  EXPECT_EQ(entries.back().actor, "api-token:ops");
  r = test_support::ask_api(server, "POST", "/v1/pickup/P-AAAA-BBBB-CCCC/revoke", writer);
  EXPECT_EQ(r.status, 409);
  r = test_support::ask_api(server, "POST", "/v1/pickup/P-ZZZZ-ZZZZ-ZZZZ/revoke", writer);
  EXPECT_EQ(r.status, 404);
  r = test_support::ask_api(server, "POST", "/v1/pickup/P-DDDD-EEEE-FFFF/revoke", writer, R"({"why":"x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(pickup.revoked.size(), 1u);
}

}  // namespace
