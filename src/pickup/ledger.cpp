// ledger.cpp - the pickup ledger in SQLite (see ledger.h).
#include "pickup/ledger.h"

#include <array>

#include "pickup/store_file.h"

namespace sm::pickup {
namespace {

constexpr std::string_view kSchema1 = R"sql(
CREATE TABLE pickups (
  ref          TEXT PRIMARY KEY,
  token_hash   TEXT NOT NULL UNIQUE,
  sender       TEXT NOT NULL,
  recipient    TEXT NOT NULL,
  from_domain  TEXT NOT NULL,
  created      INTEGER NOT NULL,
  expires      INTEGER NOT NULL,
  state        TEXT NOT NULL,
  sealed_key   BLOB,
  size         INTEGER NOT NULL DEFAULT 0,
  code_hash    TEXT NOT NULL DEFAULT '',
  code_expires INTEGER NOT NULL DEFAULT 0,
  code_tries   INTEGER NOT NULL DEFAULT 0,
  codes_sent   INTEGER NOT NULL DEFAULT 0,
  last_code_at INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  first_opened INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pickups_expiry ON pickups (state, expires);
CREATE TABLE events (
  ref    TEXT NOT NULL,
  at     INTEGER NOT NULL,
  kind   TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  told   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_ref ON events (ref, at);
CREATE INDEX events_untold ON events (told);
)sql";
constexpr std::array<std::string_view, 1> kMigrations = {kSchema1};

constexpr std::string_view kColumns =
    "ref, sender, recipient, from_domain, created, expires, state, coalesce(sealed_key, ''), size, code_hash, "
    "code_expires, code_tries, codes_sent, last_code_at, locked_until, first_opened";

Pickup row(const store::Statement& s) {
  Pickup p;
  p.ref = s.text_at(0);
  p.sender = s.text_at(1);
  p.recipient = s.text_at(2);
  p.from_domain = s.text_at(3);
  p.created = s.int_at(4);
  p.expires = s.int_at(5);
  p.state = s.text_at(6);
  p.sealed_key = s.blob_at(7);
  p.size = static_cast<std::uint64_t>(s.int_at(8));
  p.code_hash = s.text_at(9);
  p.code_expires = s.int_at(10);
  p.code_tries = static_cast<int>(s.int_at(11));
  p.codes_sent = static_cast<int>(s.int_at(12));
  p.last_code_at = s.int_at(13);
  p.locked_until = s.int_at(14);
  p.first_opened = s.int_at(15);
  return p;
}

}  // namespace

Result<Ledger> Ledger::open(const std::filesystem::path& file) {
  auto db = open_store_file(file, kMigrations);
  if (!db) return std::unexpected(db.error());
  return Ledger(std::move(*db));
}

Result<> Ledger::add(const Pickup& p, const std::string& token_hash) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare(
      "INSERT INTO pickups (ref, token_hash, sender, recipient, from_domain, created, expires, state, sealed_key, size) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, p.ref)
      .bind(2, token_hash)
      .bind(3, p.sender)
      .bind(4, p.recipient)
      .bind(5, p.from_domain)
      .bind(6, p.created)
      .bind(7, p.expires)
      .bind(8, p.state)
      .bind_blob(9, p.sealed_key)
      .bind(10, static_cast<std::int64_t>(p.size))
      .run();
}

std::vector<Pickup> Ledger::many(std::string_view where, const std::string& value, std::int64_t number) {
  return select_rows(db_, "SELECT " + std::string(kColumns) + " FROM pickups " + std::string(where), value, number, row);
}

std::optional<Pickup> Ledger::one(std::string_view where, const std::string& value) {
  auto rows = many(where, value, 0);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::optional<Pickup> Ledger::by_token_hash(const std::string& token_hash) {
  std::lock_guard lock(*mutex_);
  return one("WHERE token_hash = ?1", token_hash);
}

std::optional<Pickup> Ledger::by_ref(const std::string& ref) {
  std::lock_guard lock(*mutex_);
  return one("WHERE ref = ?1", ref);
}

std::vector<Pickup> Ledger::list(const std::string& state) {
  std::lock_guard lock(*mutex_);
  return state.empty() ? many("ORDER BY created DESC, ref", "", 0)
                       : many("WHERE state = ?1 ORDER BY created DESC, ref", state, 0);
}

std::vector<Pickup> Ledger::due(std::int64_t now) {
  std::lock_guard lock(*mutex_);
  return many("WHERE state IN ('waiting', 'opened') AND expires <= ?2 ORDER BY expires", "", now);
}

Result<> Ledger::set_code(const std::string& ref, const std::string& code_hash, std::int64_t expires, std::int64_t now) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare(
      "UPDATE pickups SET code_hash = ?2, code_expires = ?3, code_tries = 0, codes_sent = codes_sent + 1, "
      "last_code_at = ?4 WHERE ref = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, ref).bind(2, code_hash).bind(3, expires).bind(4, now).run();
}

Result<Pickup> Ledger::wrong_code(const std::string& ref, int max_tries, std::int64_t lock_until) {
  std::lock_guard lock(*mutex_);
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto s = db_.prepare(
      "UPDATE pickups SET code_tries = code_tries + 1, "
      "locked_until = CASE WHEN code_tries + 1 >= ?2 THEN ?3 ELSE locked_until END, "
      "code_hash = CASE WHEN code_tries + 1 >= ?2 THEN '' ELSE code_hash END WHERE ref = ?1");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, ref).bind(2, std::int64_t{max_tries}).bind(3, lock_until).run(); !r)
    return std::unexpected(r.error());
  auto after = one("WHERE ref = ?1", ref);
  if (!after) return std::unexpected(Error{451, "4.3.0", "pickup ledger: no message " + ref});
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  return *after;
}

Result<bool> Ledger::signed_in(const std::string& ref, std::int64_t now) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare(
      "UPDATE pickups SET code_hash = '', code_tries = 0, state = 'opened', "
      "first_opened = CASE WHEN first_opened = 0 THEN ?2 ELSE first_opened END "
      "WHERE ref = ?1 AND state IN ('waiting', 'opened') RETURNING first_opened = ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, ref).bind(2, now);
  auto more = s->step();
  if (!more) return std::unexpected(more.error());
  bool first = *more && s->int_at(0) != 0;
  while (more && *more) more = s->step();
  return first;
}

Result<bool> Ledger::close(const std::string& ref, const std::string& state) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare(
      "UPDATE pickups SET state = ?2, sealed_key = NULL, code_hash = '' WHERE ref = ?1 AND state IN ('waiting', 'opened')");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, ref).bind(2, state).run(); !r) return std::unexpected(r.error());
  return db_.changes() == 1;
}

Result<> Ledger::remove(const std::string& ref) {
  std::lock_guard lock(*mutex_);
  for (std::string_view sql : {"DELETE FROM events WHERE ref = ?1", "DELETE FROM pickups WHERE ref = ?1"}) {
    auto s = db_.prepare(sql);
    if (!s) return std::unexpected(s.error());
    if (auto r = s->bind(1, ref).run(); !r) return r;
  }
  return {};
}

Result<> Ledger::record(const Event& e) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare("INSERT INTO events (ref, at, kind, detail) VALUES (?1, ?2, ?3, ?4)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, e.ref).bind(2, e.at).bind(3, e.kind).bind(4, e.detail).run();
}

std::vector<Event> Ledger::events_where(std::string_view where, const std::string& value) {
  std::vector<Event> out;
  auto s = db_.prepare("SELECT ref, at, kind, detail, rowid FROM events " + std::string(where) + " ORDER BY at, rowid");
  if (!s) return out;
  if (!value.empty()) s->bind(1, value);
  while (true) {
    auto more = s->step();
    if (!more || !*more) break;
    out.push_back({s->text_at(0), s->int_at(1), s->text_at(2), s->text_at(3), s->int_at(4)});
  }
  return out;
}

std::vector<Event> Ledger::events(const std::string& ref) {
  std::lock_guard lock(*mutex_);
  return events_where("WHERE ref = ?1", ref);
}

std::vector<Event> Ledger::untold() {
  std::lock_guard lock(*mutex_);
  return events_where("WHERE told = 0", "");
}

Result<> Ledger::told(std::int64_t id) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare("UPDATE events SET told = 1 WHERE rowid = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).run();
}

}  // namespace sm::pickup
