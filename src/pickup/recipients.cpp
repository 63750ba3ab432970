// recipients.cpp - returning pickup recipients' accounts in SQLite (see
// recipients.h).
#include "pickup/recipients.h"

#include <array>

#include "pickup/store_file.h"

namespace sm::pickup {
namespace {

constexpr std::string_view kSchema1 = R"sql(
CREATE TABLE accounts (
  address       TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  totp_seed     BLOB NOT NULL,
  last_step     INTEGER NOT NULL,
  created       INTEGER NOT NULL,
  last_used     INTEGER NOT NULL,
  failures      INTEGER NOT NULL DEFAULT 0,
  locked_until  INTEGER NOT NULL DEFAULT 0,
  reset_hash    TEXT NOT NULL DEFAULT '',
  reset_expires INTEGER NOT NULL DEFAULT 0,
  reset_sent_at INTEGER NOT NULL DEFAULT 0,
  reset_ref     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX accounts_reset ON accounts (reset_hash);
)sql";
constexpr std::array<std::string_view, 1> kMigrations = {kSchema1};

constexpr std::string_view kColumns =
    "address, password_hash, totp_seed, last_step, created, last_used, failures, locked_until, reset_sent_at, "
    "reset_ref";

RecipientAccount row(const store::Statement& s) {
  RecipientAccount a;
  a.address = s.text_at(0);
  a.password_hash = s.text_at(1);
  a.totp_seed = s.blob_at(2);
  a.last_step = s.int_at(3);
  a.created = s.int_at(4);
  a.last_used = s.int_at(5);
  a.failures = static_cast<int>(s.int_at(6));
  a.locked_until = s.int_at(7);
  a.reset_sent_at = s.int_at(8);
  a.reset_ref = s.text_at(9);
  return a;
}

}  // namespace

Result<RecipientAccounts> RecipientAccounts::open(const std::filesystem::path& file) {
  auto db = open_store_file(file, kMigrations);
  if (!db) return std::unexpected(db.error());
  return RecipientAccounts(std::move(*db));
}

std::vector<RecipientAccount> RecipientAccounts::rows(std::string_view where, const std::string& text,
                                                      std::int64_t number) {
  return select_rows(db_, "SELECT " + std::string(kColumns) + " FROM accounts " + std::string(where), text, number, row);
}

std::optional<RecipientAccount> RecipientAccounts::find(const std::string& address) {
  std::lock_guard lock(*mutex_);
  auto found = rows("WHERE address = ?1", address, 0);
  if (found.empty()) return std::nullopt;
  return found.front();
}

std::vector<RecipientAccount> RecipientAccounts::list() {
  std::lock_guard lock(*mutex_);
  return rows("ORDER BY address", "", 0);
}

Result<> RecipientAccounts::create(const std::string& address, const std::string& password_hash,
                                   const std::string& seed, std::int64_t step, std::int64_t now) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare(
      "INSERT INTO accounts (address, password_hash, totp_seed, last_step, created, last_used) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (address) DO NOTHING");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, address).bind(2, password_hash).bind_blob(3, seed).bind(4, step).bind(5, now).run(); !r)
    return r;
  if (db_.changes() != 1) return std::unexpected(Error{409, "4.7.0", address + " has an account already"});
  return {};
}

Result<bool> RecipientAccounts::remove(const std::string& address) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare("DELETE FROM accounts WHERE address = ?1");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, address).run(); !r) return std::unexpected(r.error());
  return db_.changes() == 1;
}

Result<bool> RecipientAccounts::signed_in(const std::string& address, std::int64_t step, std::int64_t now) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare(
      "UPDATE accounts SET last_step = ?2, last_used = ?3, failures = 0 WHERE address = ?1 AND last_step < ?2");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, address).bind(2, step).bind(3, now).run(); !r) return std::unexpected(r.error());
  return db_.changes() == 1;
}

Result<RecipientAccount> RecipientAccounts::failed(const std::string& address, int max_failures,
                                                   std::int64_t lock_until) {
  std::lock_guard lock(*mutex_);
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto s = db_.prepare(
      "UPDATE accounts SET "
      "locked_until = CASE WHEN failures + 1 >= ?2 THEN ?3 ELSE locked_until END, "
      "failures = CASE WHEN failures + 1 >= ?2 THEN 0 ELSE failures + 1 END WHERE address = ?1");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, address).bind(2, std::int64_t{max_failures}).bind(3, lock_until).run(); !r)
    return std::unexpected(r.error());
  auto after = rows("WHERE address = ?1", address, 0);
  if (after.empty()) return std::unexpected(Error{451, "4.3.0", "pickup accounts: no account for " + address});
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  return after.front();
}

Result<> RecipientAccounts::reset_sent(const std::string& address, const std::string& reset_hash,
                                       const std::string& ref, std::int64_t now) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare(
      "UPDATE accounts SET reset_hash = ?2, reset_expires = ?3, reset_sent_at = ?4, reset_ref = ?5 WHERE address = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, address).bind(2, reset_hash).bind(3, now + kResetSeconds).bind(4, now).bind(5, ref).run();
}

std::optional<RecipientAccount> RecipientAccounts::by_reset(const std::string& reset_hash, std::int64_t now) {
  std::lock_guard lock(*mutex_);
  if (reset_hash.empty()) return std::nullopt;
  auto found = rows("WHERE reset_hash = ?1 AND reset_expires > ?2", reset_hash, now);
  if (found.empty()) return std::nullopt;
  return found.front();
}

Result<bool> RecipientAccounts::reset(const std::string& reset_hash, const std::string& password_hash,
                                      const std::string& seed, std::int64_t step, std::int64_t now) {
  std::lock_guard lock(*mutex_);
  if (reset_hash.empty()) return false;
  auto s = db_.prepare(
      "UPDATE accounts SET password_hash = ?2, totp_seed = ?3, last_step = ?4, last_used = ?5, failures = 0, "
      "locked_until = 0, reset_hash = '', reset_expires = 0 WHERE reset_hash = ?1 AND reset_expires > ?5");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, reset_hash).bind(2, password_hash).bind_blob(3, seed).bind(4, step).bind(5, now).run(); !r)
    return std::unexpected(r.error());
  return db_.changes() == 1;
}

Result<std::vector<std::string>> RecipientAccounts::remove_idle(std::int64_t before) {
  std::lock_guard lock(*mutex_);
  auto s = db_.prepare("DELETE FROM accounts WHERE last_used < ?1 RETURNING address");
  if (!s) return std::unexpected(s.error());
  s->bind(1, before);
  std::vector<std::string> gone;
  while (true) {
    auto more = s->step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    gone.push_back(s->text_at(0));
  }
  return gone;
}

}  // namespace sm::pickup
