// gateway_webhooks_test.cpp - directory webhooks: the signature (checked
// against an independent HMAC), subscriptions that survive a reopen, and
// notices delivered to a real loopback receiver, retried after a failure
// and dropped after the last attempt.
#include "gateway/webhooks.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway_directory_support.h"

using namespace sm;
using namespace sm::gateway;
using nlohmann::json;
using sm::gateway::testing::DirectoryWorld;
using sm::gateway::testing::TempDir;

namespace {

// A loopback HTTP receiver that answers with the scripted statuses in turn
// (then 200) and records what it got.
struct Receiver {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::vector<int> script;
  std::vector<std::pair<std::string, std::string>> got;  // signature, body

  Receiver() {
    server.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      got.emplace_back(req.get_header_value("SecureMail-Signature"), req.body);
      res.status = script.empty() ? 200 : script.front();
      if (!script.empty()) script.erase(script.begin());
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~Receiver() {
    server.stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }
  std::size_t count() {
    std::lock_guard lock(mu);
    return got.size();
  }
  bool wait(std::size_t n) {
    for (int i = 0; i < 500 && count() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return count() >= n;
  }
};

DirectoryChanges one_change(DirectoryWorld& world) {
  directory::Feed before, after;
  before.serial = 3;
  after.serial = 4;
  after.issued = 1700000000;
  after.members = {world.member("a.example", "Org A")};
  DirectoryChanges c{4, 3, after.issued, directory::diff(before, after), directory::Directory::build(before),
                     directory::Directory::build(after)};
  return c;
}

WebhookOptions fast() {
  WebhookOptions o;
  o.first_retry = std::chrono::milliseconds(50);
  o.attempts = 3;
  return o;
}

}  // namespace

TEST(WebhookSignature, IsStripeStyleHmacSha256) {
  // python3: hmac.new(b'whsec', b'1700000000.{"serial":1}', hashlib.sha256).hexdigest()
  EXPECT_EQ(webhook_signature("whsec", 1700000000, R"({"serial":1})"),
            "t=1700000000,v1=2981f275ef1236089e2f7f9971c074ccbf33db85f357628aef231a8079974e9d");
}

TEST(WebhookNotice, JsonBody) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  json j = json::parse(notice_json(one_change(world)));
  EXPECT_EQ(j["serial"], 4);
  EXPECT_EQ(j["previous_serial"], 3);
  EXPECT_EQ(j["issued"], "2023-11-14T22:13:20Z");
  ASSERT_EQ(j["changes"].size(), 1u);
  EXPECT_EQ(j["changes"][0]["kind"], "added");
  EXPECT_EQ(j["changes"][0]["member_id"], "a");
  EXPECT_EQ(j["changes"][0]["organisation"], "Org A");
  EXPECT_EQ(j["changes"][0]["member"]["domains"][0], "a.example");
}

TEST(Webhooks, SubscriptionsPersist) {
  TempDir tmp;
  std::string id;
  {
    auto hooks = Webhooks::open(tmp.path, fast());
    ASSERT_TRUE(hooks) << hooks.error().text;
    auto s = (*hooks)->subscribe("https://app.example/hook");
    ASSERT_TRUE(s);
    id = s->id;
    auto bad = (*hooks)->subscribe("gopher://x/");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, SubscribeError::Kind::bad_url);
  }
  auto hooks = Webhooks::open(tmp.path, fast());
  ASSERT_TRUE(hooks);
  auto list = (*hooks)->list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, id);
  EXPECT_EQ(list[0].url, "https://app.example/hook");
  EXPECT_EQ(list[0].secret.size(), 64u);
  EXPECT_EQ((*hooks)->unsubscribe(id).value_or(false), true);
  EXPECT_EQ((*hooks)->unsubscribe(id).value_or(true), false);
}

TEST(Webhooks, TooManySubscriptions) {
  TempDir tmp;
  WebhookOptions o = fast();
  o.max_subscriptions = 1;
  auto hooks = Webhooks::open(tmp.path, o);
  ASSERT_TRUE(hooks);
  ASSERT_TRUE((*hooks)->subscribe("http://127.0.0.1:1/a"));
  auto s = (*hooks)->subscribe("http://127.0.0.1:1/b");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, SubscribeError::Kind::too_many);
}

TEST(Webhooks, DeliversSignedNoticesAndRetries) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  Receiver receiver;
  receiver.script = {500};  // the first attempt fails
  auto hooks = Webhooks::open(tmp.path / "gw", fast());
  ASSERT_TRUE(hooks) << hooks.error().text;
  auto s = (*hooks)->subscribe(receiver.url());
  ASSERT_TRUE(s);
  (*hooks)->publish(one_change(world));
  ASSERT_TRUE(receiver.wait(2));
  std::lock_guard lock(receiver.mu);
  for (const auto& [signature, body] : receiver.got) {
    EXPECT_EQ(json::parse(body)["serial"], 4);
    // Recompute: t from the header, HMAC over "t.body" with the secret.
    std::string t = signature.substr(2, signature.find(',') - 2);
    EXPECT_EQ(signature, webhook_signature(s->secret, std::stoll(t), body));
  }
}

TEST(Webhooks, DropsAfterTheLastAttempt) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  Receiver receiver;
  receiver.script = {500, 502, 503, 500};
  auto hooks = Webhooks::open(tmp.path / "gw", fast());
  ASSERT_TRUE(hooks);
  ASSERT_TRUE((*hooks)->subscribe(receiver.url()));
  (*hooks)->publish(one_change(world));
  ASSERT_TRUE(receiver.wait(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // 3 attempts, then no more
  EXPECT_EQ(receiver.count(), 3u);
}
