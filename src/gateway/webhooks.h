// webhooks.h - applications subscribe a URL and get a signed notice for
// every applied directory feed that adds, changes, suspends, reactivates
// or removes members.
//
// Subscriptions live in DATA/subscriptions.sqlite (they survive restarts);
// each has an id and a secret, shown once when it is created. A notice is
// POSTed as JSON
//   {"serial":N,"previous_serial":M,"issued":"2026-...Z",
//    "changes":[{"kind":"added","member_id":"...","organisation":"...","member":{...}}]}
// with the header
//   SecureMail-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, "UNIX." + body))
// (the Stripe scheme: the receiver checks the HMAC and that t is recent, so
// a captured notice cannot be replayed later). Any 2xx reply delivers it;
// otherwise it is retried with growing back-off and, after the last
// attempt, logged and dropped. Deliveries run on one thread of their own,
// signed afresh (new t) for each attempt.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/directory_changes.h"
#include "gateway/http_client.h"
#include "store/sqlite.h"

namespace sm::gateway {

struct Subscription {
  std::string id;      // 32 lower-case hex digits
  std::string url;
  std::string secret;  // 64 hex digits; the HMAC key is this text
  std::int64_t created = 0;
};

struct SubscribeError {
  enum class Kind { bad_url, too_many, storage } kind;
  std::string text;
};

struct WebhookOptions {
  int attempts = 4;                               // first try included
  std::chrono::milliseconds first_retry{2000};    // then x5 per attempt: 2s, 10s, 50s
  std::size_t max_subscriptions = 100;
  std::size_t max_pending = 1000;                 // deliveries waiting; beyond, the oldest is dropped
  HttpClientOptions http{std::chrono::seconds(5), std::chrono::seconds(10), 64 * 1024, nullptr};
};

// The JSON body of the notice for these changes.
std::string notice_json(const DirectoryChanges& changes);
// "t=UNIX,v1=HEX": the SecureMail-Signature header value.
std::string webhook_signature(std::string_view secret, std::int64_t unix_time, std::string_view body);

class Webhooks {
 public:
  static Result<std::unique_ptr<Webhooks>> open(const std::filesystem::path& data_dir, WebhookOptions options = {});
  static std::filesystem::path database_file(const std::filesystem::path& data_dir) {
    return data_dir / "subscriptions.sqlite";
  }
  ~Webhooks();

  // url: "https://..." or "http://..." (at most 2048 octets).
  std::expected<Subscription, SubscribeError> subscribe(std::string_view url);
  std::vector<Subscription> list() const;  // oldest first
  // False when there is no such subscription. Its pending deliveries go too.
  Result<bool> unsubscribe(std::string_view id);

  // Queue one notice per subscription; returns at once.
  void publish(const DirectoryChanges& changes);
  void stop();  // pending deliveries are dropped (and counted in the log)

 private:
  struct Delivery {
    Subscription to;
    config::FeedSource url;
    std::shared_ptr<const std::string> body;
    int attempt = 1;
  };
  using Clock = std::chrono::steady_clock;

  Webhooks(store::Database db, WebhookOptions options);
  Result<> load();
  void run();
  bool send(const Delivery& d);

  mutable std::mutex mu_;  // everything below
  store::Database db_;
  WebhookOptions options_;
  std::map<std::string, Subscription> subscriptions_;  // by id
  std::multimap<Clock::time_point, Delivery> pending_;  // by when due
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sm::gateway
