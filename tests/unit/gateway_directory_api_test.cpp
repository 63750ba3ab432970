// gateway_directory_api_test.cpp - the directory routes over a real
// loopback admin listener: lookups, ETag/304, the member list, the
// subscription endpoints, and every kind of bad request (4xx JSON, never a
// crash).
#include "gateway/directory_api.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "gateway/directory_service.h"
#include "gateway/webhooks.h"
#include "gateway_directory_support.h"

using namespace sm;
using namespace sm::gateway;
using nlohmann::json;
using sm::gateway::testing::DirectoryWorld;
using sm::gateway::testing::TempDir;

namespace {

class DirectoryApi : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.publish(5, {world_.member("a.example", "Org A"), world_.member("c.example", "Org C")});
    config_ = world_.gateway_config();
    ASSERT_TRUE(fetch_once(config_));
    auto service = DirectoryService::open(config_);
    ASSERT_TRUE(service) << service.error().text;
    service_ = std::move(*service);
    auto hooks = Webhooks::open(config_.data_dir);
    ASSERT_TRUE(hooks) << hooks.error().text;
    hooks_ = std::move(*hooks);
    register_directory_routes(server_, service_.get(), hooks_.get());
    auto port = server_.listen("127.0.0.1", 0);
    ASSERT_TRUE(port);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }
  void TearDown() override { server_.stop(); }

  TempDir tmp_;
  DirectoryWorld world_{tmp_.path};
  config::Config config_;
  std::unique_ptr<DirectoryService> service_;
  std::unique_ptr<Webhooks> hooks_;
  admin::AdminServer server_{[] { return admin::Health{}; }};
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace

TEST(DirectoryLookupJson, MemberAndNonMember) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  directory::Feed feed;
  feed.serial = 9;
  feed.members = {world.member("a.example", "Org A")};
  auto dir = directory::Directory::build(feed);
  json j = json::parse(lookup_json(*dir, "Bob <bob@A.Example>"));
  EXPECT_EQ(j["domain"], "a.example");
  EXPECT_EQ(j["serial"], 9);
  EXPECT_EQ(j["found"], true);
  EXPECT_EQ(j["member"]["id"], "a");
  EXPECT_EQ(j["member"]["organisation"], "Org A");
  EXPECT_EQ(j["sealed"], j["member"]["status"] == "active");
  j = json::parse(lookup_json(*dir, "nobody.example"));
  EXPECT_EQ(j["found"], false);
  EXPECT_EQ(j["sealed"], false);
  EXPECT_TRUE(j["member"].is_null());
}

TEST_F(DirectoryApi, LookupWithEtagAnd304) {
  auto r = client_->Get("/v1/directory/lookup?address=bob%40a.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json j = json::parse(r->body);
  EXPECT_EQ(j["member"]["id"], "a");
  std::string etag = r->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());

  r = client_->Get("/v1/directory/lookup?address=bob%40a.example", {{"If-None-Match", etag}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
  r = client_->Get("/v1/directory/lookup?domain=C.EXAMPLE", {{"If-None-Match", "\"other\", W/" + etag}});
  EXPECT_EQ(r->status, 304);

  r = client_->Get("/v1/directory/lookup?domain=nobody.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body)["found"], false);
}

TEST_F(DirectoryApi, MembersIsTheCanonicalFeed) {
  auto r = client_->Get("/v1/directory/members");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json j = json::parse(r->body);
  EXPECT_EQ(j["serial"], 5);
  ASSERT_EQ(j["members"].size(), 2u);
  EXPECT_EQ(j["members"][1]["id"], "c");
  EXPECT_EQ(r->body, directory::canonical_json(service_->current()->feed()) + "\n");
  auto again = client_->Get("/v1/directory/members", {{"If-None-Match", r->get_header_value("ETag")}});
  EXPECT_EQ(again->status, 304);
}

TEST_F(DirectoryApi, BadQueriesAre400) {
  for (const char* q : {"/v1/directory/lookup", "/v1/directory/lookup?address=a%40b.example&domain=b.example",
                        "/v1/directory/lookup?address=nodomain", "/v1/directory/lookup?domain=a%40b.example",
                        "/v1/directory/lookup?domain=", "/v1/directory/lookup?domain=bad_domain!",
                        "/v1/directory/lookup?domain=%00%ff"}) {
    auto r = client_->Get(q);
    ASSERT_TRUE(r) << q;
    EXPECT_EQ(r->status, 400) << q;
    EXPECT_TRUE(json::parse(r->body, nullptr, false).contains("error")) << q << r->body;
  }
  auto r = client_->Get("/v1/directory/lookup?domain=" + std::string(400, 'a'));
  EXPECT_EQ(r->status, 400);
}

TEST_F(DirectoryApi, Subscriptions) {
  auto r = client_->Post("/v1/directory/subscriptions", R"({"url":"https://app.example/hook"})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  json s = json::parse(r->body);
  EXPECT_EQ(s["url"], "https://app.example/hook");
  EXPECT_EQ(s["id"].get<std::string>().size(), 32u);
  EXPECT_EQ(s["secret"].get<std::string>().size(), 64u);
  EXPECT_EQ(r->get_header_value("Location"), "/v1/directory/subscriptions/" + s["id"].get<std::string>());

  r = client_->Get("/v1/directory/subscriptions");
  json list = json::parse(r->body)["subscriptions"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], s["id"]);
  EXPECT_FALSE(list[0].contains("secret"));  // shown once, at creation

  r = client_->Delete("/v1/directory/subscriptions/" + s["id"].get<std::string>());
  EXPECT_EQ(r->status, 204);
  r = client_->Delete("/v1/directory/subscriptions/" + s["id"].get<std::string>());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body)["error"], "no such subscription");
}

TEST_F(DirectoryApi, BadSubscriptionBodiesAre4xx) {
  for (const char* body : {"", "not json", "[1,2]", "{}", R"({"url":5})", R"({"url":"ftp://x/y"})",
                           R"({"url":"file:/etc/passwd"})", R"({"url":"https://"})", R"({"url":"http://a b/"})",
                           R"({"url":"https://x.example/","extra":1})", "{\"url\":\"https://x.example/\xff\"}"}) {
    auto r = client_->Post("/v1/directory/subscriptions", body, "application/json");
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->status, 400) << body << " -> " << r->body;
  }
  std::string long_url = R"({"url":"https://x.example/)" + std::string(3000, 'a') + "\"}";
  EXPECT_EQ(client_->Post("/v1/directory/subscriptions", long_url, "application/json")->status, 400);
  std::string huge(admin::kMaxRequestBody + 10, ' ');
  EXPECT_EQ(client_->Post("/v1/directory/subscriptions", huge, "application/json")->status, 413);
  EXPECT_TRUE(json::parse(client_->Get("/v1/directory/subscriptions")->body)["subscriptions"].empty());
}

TEST(DirectoryApiDisabled, RoutesAnswer503) {
  admin::AdminServer server([] { return admin::Health{}; });
  register_directory_routes(server, nullptr, nullptr);
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  httplib::Client client("127.0.0.1", *port);
  auto r = client.Get("/v1/directory/lookup?domain=a.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("[directory] feed is not set"), std::string::npos);
  server.stop();
}
