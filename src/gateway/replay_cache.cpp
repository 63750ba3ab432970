// replay_cache.cpp - the seen-seal table.
#include "gateway/replay_cache.h"

#include <algorithm>
#include <array>

#include "util/log.h"
#include "util/text.h"

namespace sm::gateway {
namespace {

constexpr std::array<std::string_view, 1> kMigrations = {
    "CREATE TABLE delivered (seal_id TEXT NOT NULL, recipient TEXT NOT NULL, sealed_at INTEGER NOT NULL,"
    " PRIMARY KEY (seal_id, recipient)) WITHOUT ROWID;"
    "CREATE INDEX delivered_age ON delivered (sealed_at);",
};

}  // namespace

Result<std::unique_ptr<ReplayCache>> ReplayCache::open(const std::filesystem::path& data_dir, std::chrono::seconds window) {
  auto db = store::Database::open(data_dir / "replay.sqlite", kMigrations);
  if (!db) return std::unexpected(db.error());
  // No fsync per delivered message: after a power loss the last few seal
  // ids may be forgotten, and a retry of those is delivered twice - what
  // at-least-once delivery allows anyway. (FULL cost one fsync per message
  // on the event loop: the pair's throughput was capped at ~180/s.)
  if (auto r = db->exec("PRAGMA synchronous=NORMAL"); !r) return std::unexpected(r.error());
  return std::unique_ptr<ReplayCache>(new ReplayCache(std::move(*db), window));
}

ReplayClaim::~ReplayClaim() {
  if (!done_) cache_.release(seal_id_, recipients_);
}

void ReplayClaim::commit() {
  if (done_) return;
  done_ = true;
  cache_.record(seal_id_, recipients_, sealed_at_);
  cache_.release(seal_id_, recipients_);
}

ReplayCache::Claimed ReplayCache::claim(const std::string& seal_id, const std::vector<std::string>& recipients,
                                        std::int64_t sealed_at) {
  Claimed out;
  std::vector<std::string> fresh;
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    std::string r = ascii_lower(recipients[i]);
    if (in_flight_.count({seal_id, r})) {
      out.in_flight = true;
      out.fresh.clear();
      return out;
    }
    if (recorded(seal_id, r) || std::find(fresh.begin(), fresh.end(), r) != fresh.end()) continue;
    out.fresh.push_back(i);
    fresh.push_back(std::move(r));
  }
  if (fresh.empty()) return out;
  for (const auto& r : fresh) in_flight_.insert({seal_id, r});
  out.claim.reset(new ReplayClaim(*this, seal_id, std::move(fresh), sealed_at));
  return out;
}

bool ReplayCache::recorded(const std::string& seal_id, const std::string& lower_recipient) {
  auto st = db_.prepare("SELECT 1 FROM delivered WHERE seal_id = ?1 AND recipient = ?2");
  if (!st) return false;
  st->bind(1, seal_id).bind(2, lower_recipient);
  auto row = st->step();
  return row && *row;
}

bool ReplayCache::seen(const std::string& seal_id, const std::string& recipient) {
  std::lock_guard lock(mu_);
  return recorded(seal_id, ascii_lower(recipient));
}

void ReplayCache::release(const std::string& seal_id, const std::vector<std::string>& lower_recipients) {
  std::lock_guard lock(mu_);
  for (const auto& r : lower_recipients) in_flight_.erase({seal_id, r});
}

void ReplayCache::record(const std::string& seal_id, const std::vector<std::string>& lower_recipients, std::int64_t sealed_at) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare("INSERT OR IGNORE INTO delivered (seal_id, recipient, sealed_at) VALUES (?1, ?2, ?3)");
  if (!st) return;
  for (const auto& r : lower_recipients) {
    if (auto ok = st->bind(1, seal_id).bind(2, r).bind(3, sealed_at).run(); !ok)
      log::warn("replay cache: {}", ok.error().text);
  }
  if (++writes_ % 1000 == 1) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto purge = db_.prepare("DELETE FROM delivered WHERE sealed_at < ?1");
    if (purge) (void)purge->bind(1, now - window_.count() - 3600).run();
  }
}

}  // namespace sm::gateway
