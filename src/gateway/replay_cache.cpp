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

bool ReplayCache::seen(const std::string& seal_id, const std::string& recipient) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare("SELECT 1 FROM delivered WHERE seal_id = ?1 AND recipient = ?2");
  if (!st) return false;
  st->bind(1, seal_id).bind(2, ascii_lower(recipient));
  auto row = st->step();
  return row && *row;
}

void ReplayCache::remember(const std::string& seal_id, const std::vector<std::string>& recipients, std::int64_t sealed_at) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare("INSERT OR IGNORE INTO delivered (seal_id, recipient, sealed_at) VALUES (?1, ?2, ?3)");
  if (!st) return;
  for (const auto& r : recipients) {
    if (auto ok = st->bind(1, seal_id).bind(2, ascii_lower(r)).bind(3, sealed_at).run(); !ok)
      log::warn("replay cache: {}", ok.error().text);
  }
  if (++writes_ % 1000 == 1) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto purge = db_.prepare("DELETE FROM delivered WHERE sealed_at < ?1");
    if (purge) (void)purge->bind(1, now - window_.count() - 3600).run();
  }
}

}  // namespace sm::gateway
