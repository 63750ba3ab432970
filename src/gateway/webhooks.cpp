// webhooks.cpp - subscription store, notice body and signature, and the
// delivery thread with its back-off.
#include "gateway/webhooks.h"

#include "util/hex.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "pki/certificate.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter notices_total("securemail_directory_webhook_notices_total",
                                      "Directory webhook notice deliveries by result", "result",
                                      {"delivered", "retried", "dropped"});

constexpr std::size_t kMaxUrl = 2048;

constexpr std::string_view kMigrations[] = {R"sql(
CREATE TABLE subscriptions (
  id      TEXT PRIMARY KEY,
  url     TEXT NOT NULL,
  secret  TEXT NOT NULL,      -- the HMAC key: needed in the clear to sign
  created INTEGER NOT NULL    -- unix seconds
);
)sql"};

std::string hex(const unsigned char* p, std::size_t n) { return to_hex(p, n); }

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) return {};
  return hex(buf.data(), buf.size());
}

std::expected<config::FeedSource, std::string> parse_url(std::string_view url) {
  if (url.size() > kMaxUrl) return std::unexpected("url longer than " + std::to_string(kMaxUrl) + " octets");
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return std::unexpected("url must start with http:// or https://");
  return config::parse_feed_source(url, {});  // the same URL syntax as [directory] feed
}

}  // namespace

std::string notice_json(const DirectoryChanges& c) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& change : c.changes) {
    const directory::Member* m = c.member(change);
    changes.push_back({{"kind", directory::to_string(change.kind)},
                       {"member_id", change.member_id},
                       {"organisation", change.organisation},
                       {"member", m ? nlohmann::json::parse(directory::member_json(*m)) : nlohmann::json()}});
  }
  nlohmann::json body = {{"serial", c.serial},
                         {"previous_serial", c.previous_serial},
                         {"issued", pki::iso_time(c.issued)},
                         {"changes", std::move(changes)}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string webhook_signature(std::string_view secret, std::int64_t unix_time, std::string_view body) {
  std::string signed_text = std::to_string(unix_time) + "." + std::string(body);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), md, &size);
  return "t=" + std::to_string(unix_time) + ",v1=" + hex(md, size);
}

Webhooks::Webhooks(store::Database db, WebhookOptions options) : db_(std::move(db)), options_(options) {}

Result<std::unique_ptr<Webhooks>> Webhooks::open(const std::filesystem::path& data_dir, WebhookOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return local_error(data_dir.string() + ": " + ec.message());
  auto db = store::Database::open(database_file(data_dir), kMigrations);
  if (!db) return std::unexpected(db.error());
  std::unique_ptr<Webhooks> hooks(new Webhooks(std::move(*db), options));
  if (auto r = hooks->load(); !r) return std::unexpected(r.error());
  hooks->thread_ = std::thread([h = hooks.get()] { h->run(); });
  return hooks;
}

Webhooks::~Webhooks() { stop(); }

Result<> Webhooks::load() {
  auto stmt = db_.prepare("SELECT id, url, secret, created FROM subscriptions");
  if (!stmt) return std::unexpected(stmt.error());
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    Subscription s{stmt->text_at(0), stmt->text_at(1), stmt->text_at(2), stmt->int_at(3)};
    subscriptions_.emplace(s.id, s);
  }
}

std::expected<Subscription, SubscribeError> Webhooks::subscribe(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return std::unexpected(SubscribeError{SubscribeError::Kind::bad_url, parsed.error()});
  Subscription s{random_hex(16), std::string(url), random_hex(32), static_cast<std::int64_t>(std::time(nullptr))};
  if (s.id.empty() || s.secret.empty())
    return std::unexpected(SubscribeError{SubscribeError::Kind::storage, "no randomness for the secret"});
  std::lock_guard lock(mu_);
  if (subscriptions_.size() >= options_.max_subscriptions)
    return std::unexpected(SubscribeError{SubscribeError::Kind::too_many,
                                          "at most " + std::to_string(options_.max_subscriptions) + " subscriptions"});
  auto stmt = db_.prepare("INSERT INTO subscriptions (id, url, secret, created) VALUES (?1, ?2, ?3, ?4)");
  auto done = stmt ? stmt->bind(1, s.id).bind(2, s.url).bind(3, s.secret).bind(4, s.created).run()
                   : Result<>(std::unexpected(stmt.error()));
  if (!done) return std::unexpected(SubscribeError{SubscribeError::Kind::storage, done.error().text});
  subscriptions_.emplace(s.id, s);
  log::info("directory webhook {} subscribed: {}", s.id, s.url);
  return s;
}

std::vector<Subscription> Webhooks::list() const {
  std::vector<Subscription> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, s] : subscriptions_) out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
  return out;
}

Result<bool> Webhooks::unsubscribe(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = subscriptions_.find(std::string(id));
  if (it == subscriptions_.end()) return false;
  auto stmt = db_.prepare("DELETE FROM subscriptions WHERE id = ?1");
  auto done = stmt ? stmt->bind(1, id).run() : Result<>(std::unexpected(stmt.error()));
  if (!done) return std::unexpected(done.error());
  subscriptions_.erase(it);
  std::erase_if(pending_, [&](const auto& p) { return p.second.to.id == id; });
  log::info("directory webhook {} unsubscribed", id);
  return true;
}

void Webhooks::publish(const DirectoryChanges& changes) {
  auto body = std::make_shared<const std::string>(notice_json(changes));
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, s] : subscriptions_) {
      auto url = parse_url(s.url);
      if (!url) continue;  // checked when subscribed
      if (pending_.size() >= options_.max_pending) {
        auto oldest = pending_.begin();  // the one due first
        log::warn("directory webhook {}: too many notices waiting; dropped one", oldest->second.to.id);
        notices_total.add("dropped");
        pending_.erase(oldest);
      }
      pending_.emplace(Clock::now(), Delivery{s, *url, body, 1});
    }
  }
  cv_.notify_one();
}

void Webhooks::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (!pending_.empty()) log::warn("directory webhooks: stopping with {} notice(s) undelivered", pending_.size());
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Webhooks::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) return;
    if (pending_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto due = pending_.begin()->first;
    if (Clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    Delivery d = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    lock.unlock();
    bool ok = send(d);
    lock.lock();
    if (ok || stopping_) continue;
    if (d.attempt >= options_.attempts) {
      log::warn("directory webhook {}: notice not delivered to {} after {} attempts; dropped", d.to.id, d.to.url,
                d.attempt);
      notices_total.add("dropped");
      continue;
    }
    if (!subscriptions_.contains(d.to.id)) continue;  // unsubscribed meanwhile
    auto wait = options_.first_retry;
    for (int i = 1; i < d.attempt; ++i) wait *= 5;
    ++d.attempt;
    notices_total.add("retried");
    pending_.emplace(Clock::now() + wait, std::move(d));
  }
}

bool Webhooks::send(const Delivery& d) {
  std::string signature = webhook_signature(d.to.secret, std::time(nullptr), *d.body);
  auto reply = http_post(d.url, *d.body, {{"SecureMail-Signature", signature}, {"User-Agent", "SecureMail"}},
                         options_.http);
  if (reply && reply->status / 100 == 2) {
    log::info("directory webhook {}: notice delivered to {} (HTTP {})", d.to.id, d.to.url, reply->status);
    notices_total.add("delivered");
    return true;
  }
  log::warn("directory webhook {}: attempt {} to {} failed: {}", d.to.id, d.attempt, d.to.url,
            reply ? "HTTP " + std::to_string(reply->status) : reply.error().text);
  return false;
}

}  // namespace sm::gateway
