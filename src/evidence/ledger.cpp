// ledger.cpp - the receipt ledger (see ledger.h): schema, recording a seal
// and its recipients, settling and timing out requests, the queries behind
// `securemail receipts`, and the acknowledging mailboxes' memory.
//
// Recipients compare case-insensitively (COLLATE NOCASE) and keep the
// spelling they were recorded with, for the DSN's Final-Recipient.
// Message-IDs are kept without their angle brackets.
#include "evidence/ledger.h"

#include <array>

namespace sm::evidence {
namespace {

constexpr std::array<std::string_view, 1> kMigrations = {
    "CREATE TABLE seals (content_identifier TEXT PRIMARY KEY NOT NULL, message_id TEXT NOT NULL,"
    " sender TEXT NOT NULL, envid TEXT NOT NULL, member TEXT NOT NULL, queue_id TEXT NOT NULL,"
    " sealed_at INTEGER NOT NULL, signed_data BLOB NOT NULL);"
    "CREATE INDEX seals_message_id ON seals (message_id);"
    "CREATE INDEX seals_queue_id ON seals (queue_id);"
    "CREATE INDEX seals_sealed_at ON seals (sealed_at);"
    "CREATE TABLE requests (content_identifier TEXT NOT NULL"
    "   REFERENCES seals (content_identifier) ON DELETE CASCADE,"
    " recipient TEXT NOT NULL COLLATE NOCASE, orcpt TEXT NOT NULL, state TEXT NOT NULL,"
    " signed_at INTEGER NOT NULL DEFAULT 0, settled_at INTEGER NOT NULL DEFAULT 0,"
    " receipt_sha256 TEXT NOT NULL DEFAULT '', signer_fingerprint TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (content_identifier, recipient)) WITHOUT ROWID;"
    "CREATE INDEX requests_state ON requests (state, content_identifier);"
    "CREATE TABLE acknowledgements (mailbox TEXT NOT NULL COLLATE NOCASE,"
    " sender TEXT NOT NULL COLLATE NOCASE, last_at INTEGER NOT NULL,"
    " PRIMARY KEY (mailbox, sender)) WITHOUT ROWID;"
    "CREATE INDEX acknowledgements_age ON acknowledgements (mailbox, last_at);",
};

// Every query that yields ReceiptRows selects these columns, in this order.
constexpr std::string_view kRowColumns =
    "SELECT s.content_identifier, s.message_id, s.sender, s.envid, s.member, s.queue_id, r.recipient,"
    " r.orcpt, s.sealed_at, r.state, r.signed_at, r.settled_at, r.receipt_sha256, r.signer_fingerprint"
    " FROM requests r JOIN seals s ON s.content_identifier = r.content_identifier";
constexpr std::string_view kRowOrder = " ORDER BY s.sealed_at, s.content_identifier, r.recipient";

std::optional<ReceiptState> parse_state(std::string_view text) {
  for (auto s : {ReceiptState::pending, ReceiptState::received, ReceiptState::timed_out, ReceiptState::failed})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

ReceiptRow row_at(const store::Statement& q) {
  ReceiptRow row;
  row.content_identifier = q.text_at(0);
  row.message_id = q.text_at(1);
  row.sender = q.text_at(2);
  row.envid = q.text_at(3);
  row.member = q.text_at(4);
  row.queue_id = q.text_at(5);
  row.recipient = q.text_at(6);
  row.orcpt = q.text_at(7);
  row.sealed_at = q.int_at(8);
  row.state = parse_state(q.text_at(9)).value_or(ReceiptState::pending);
  row.signed_at = q.int_at(10);
  row.settled_at = q.int_at(11);
  row.receipt_sha256 = q.text_at(12);
  row.signer_fingerprint = q.text_at(13);
  return row;
}

Result<std::vector<ReceiptRow>> collect(store::Statement& q) {
  std::vector<ReceiptRow> rows;
  for (;;) {
    auto more = q.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return rows;
    rows.push_back(row_at(q));
  }
}

}  // namespace

std::string_view to_string(ReceiptState state) {
  switch (state) {
    case ReceiptState::pending: return "pending";
    case ReceiptState::received: return "received";
    case ReceiptState::timed_out: return "timed-out";
    case ReceiptState::failed: return "failed";
  }
  return "pending";
}

std::string bare_message_id(std::string_view id) {
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return std::string(id);
}

Result<std::shared_ptr<ReceiptLedger>> ReceiptLedger::open(const std::filesystem::path& data_dir) {
  auto db = store::Database::open(data_dir / "receipts.sqlite", kMigrations);
  if (!db) return std::unexpected(db.error());
  return std::make_shared<ReceiptLedger>(std::move(*db));
}

Result<std::shared_ptr<ReceiptLedger>> ReceiptLedger::open_existing(const std::filesystem::path& data_dir) {
  auto db = store::Database::open_read_only(data_dir / "receipts.sqlite", kMigrations.size());
  if (!db) return std::unexpected(db.error());
  return std::make_shared<ReceiptLedger>(std::move(*db));
}

Result<> ReceiptLedger::add(const SealRecord& seal) {
  if (seal.content_identifier.empty()) return local_error("receipt ledger: a seal needs a content identifier");
  if (seal.recipients.empty()) return local_error("receipt ledger: seal " + seal.content_identifier + " has no recipients");
  std::lock_guard lock(mutex_);
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto put = db_.prepare(
      "INSERT INTO seals (content_identifier, message_id, sender, envid, member, queue_id, sealed_at, signed_data)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!put) return std::unexpected(put.error());
  put->bind(1, seal.content_identifier).bind(2, bare_message_id(seal.message_id)).bind(3, seal.sender);
  put->bind(4, seal.envid).bind(5, seal.member).bind(6, seal.queue_id).bind(7, seal.sealed_at);
  if (auto r = put->bind_blob(8, seal.signed_data).run(); !r)
    return local_error("receipt ledger: cannot add seal " + seal.content_identifier + ": " + r.error().text);
  auto ask = db_.prepare(
      "INSERT OR IGNORE INTO requests (content_identifier, recipient, orcpt, state) VALUES (?, ?, ?, 'pending')");
  if (!ask) return std::unexpected(ask.error());
  for (const auto& rcpt : seal.recipients) {
    ask->bind(1, seal.content_identifier).bind(2, rcpt.address).bind(3, rcpt.orcpt);
    if (auto r = ask->run(); !r) return r;
  }
  return tx->commit();
}

Result<> ReceiptLedger::forget(std::string_view content_identifier) {
  std::lock_guard lock(mutex_);
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  for (std::string_view sql : {"DELETE FROM requests WHERE content_identifier = ?",
                               "DELETE FROM seals WHERE content_identifier = ?"}) {
    auto q = db_.prepare(sql);
    if (!q) return std::unexpected(q.error());
    if (auto r = q->bind(1, content_identifier).run(); !r) return r;
  }
  return tx->commit();
}

Result<std::optional<SealRecord>> ReceiptLedger::seal(std::string_view content_identifier) {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(
      "SELECT message_id, sender, envid, member, queue_id, sealed_at, signed_data FROM seals"
      " WHERE content_identifier = ?");
  if (!q) return std::unexpected(q.error());
  auto found = q->bind(1, content_identifier).step();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<SealRecord>{};
  SealRecord seal;
  seal.content_identifier = std::string(content_identifier);
  seal.message_id = q->text_at(0);
  seal.sender = q->text_at(1);
  seal.envid = q->text_at(2);
  seal.member = q->text_at(3);
  seal.queue_id = q->text_at(4);
  seal.sealed_at = q->int_at(5);
  seal.signed_data = q->blob_at(6);
  auto rcpts = db_.prepare("SELECT recipient, orcpt FROM requests WHERE content_identifier = ? ORDER BY recipient");
  if (!rcpts) return std::unexpected(rcpts.error());
  rcpts->bind(1, content_identifier);
  for (;;) {
    auto more = rcpts->step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    seal.recipients.push_back({rcpts->text_at(0), rcpts->text_at(1)});
  }
  return std::optional<SealRecord>(std::move(seal));
}

Result<std::optional<ReceiptState>> ReceiptLedger::settle(std::string_view content_identifier, std::string_view recipient,
                                                          std::int64_t signed_at, std::int64_t arrived_at,
                                                          std::string_view receipt_sha256,
                                                          std::string_view signer_fingerprint) {
  std::lock_guard lock(mutex_);
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto update = db_.prepare(
      "UPDATE requests SET state = 'received', signed_at = ?, settled_at = ?, receipt_sha256 = ?,"
      " signer_fingerprint = ? WHERE content_identifier = ? AND recipient = ? AND state = 'pending'");
  if (!update) return std::unexpected(update.error());
  update->bind(1, signed_at).bind(2, arrived_at).bind(3, receipt_sha256).bind(4, signer_fingerprint);
  if (auto r = update->bind(5, content_identifier).bind(6, recipient).run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 1) {
    if (auto r = tx->commit(); !r) return std::unexpected(r.error());
    return std::optional<ReceiptState>(ReceiptState::pending);
  }
  auto state = db_.prepare("SELECT state FROM requests WHERE content_identifier = ? AND recipient = ?");
  if (!state) return std::unexpected(state.error());
  auto found = state->bind(1, content_identifier).bind(2, recipient).step();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<ReceiptState>{};
  return parse_state(state->text_at(0));
}

Result<std::vector<ReceiptRow>> ReceiptLedger::overdue(std::int64_t sealed_before, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(std::string(kRowColumns) + " WHERE r.state = 'pending' AND s.sealed_at < ?" +
                       std::string(kRowOrder) + " LIMIT ?");
  if (!q) return std::unexpected(q.error());
  q->bind(1, sealed_before).bind(2, static_cast<std::int64_t>(limit));
  return collect(*q);
}

Result<bool> ReceiptLedger::time_out(std::string_view content_identifier, std::string_view recipient, std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(
      "UPDATE requests SET state = 'timed-out', settled_at = ?"
      " WHERE content_identifier = ? AND recipient = ? AND state = 'pending'");
  if (!q) return std::unexpected(q.error());
  if (auto r = q->bind(1, now).bind(2, content_identifier).bind(3, recipient).run(); !r)
    return std::unexpected(r.error());
  return db_.changes() == 1;
}

Result<> ReceiptLedger::reopen(std::string_view content_identifier, std::string_view recipient) {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(
      "UPDATE requests SET state = 'pending', signed_at = 0, settled_at = 0, receipt_sha256 = '',"
      " signer_fingerprint = '' WHERE content_identifier = ? AND recipient = ? AND state IN ('received', 'timed-out')");
  if (!q) return std::unexpected(q.error());
  return q->bind(1, content_identifier).bind(2, recipient).run();
}

Result<std::size_t> ReceiptLedger::fail(std::string_view queue_id, std::string_view recipient, std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(
      "UPDATE requests SET state = 'failed', settled_at = ? WHERE recipient = ? AND state = 'pending'"
      " AND content_identifier IN (SELECT content_identifier FROM seals WHERE queue_id = ?)");
  if (!q) return std::unexpected(q.error());
  if (auto r = q->bind(1, now).bind(2, recipient).bind(3, queue_id).run(); !r) return std::unexpected(r.error());
  return static_cast<std::size_t>(db_.changes());
}

Result<std::vector<ReceiptRow>> ReceiptLedger::list(const Filter& filter) {
  std::string sql(kRowColumns);
  sql += " WHERE s.sealed_at >= ?";
  if (filter.pending_only) sql += " AND r.state = 'pending'";
  if (!filter.message_id.empty()) sql += " AND s.message_id = ?";
  sql += std::string(kRowOrder) + " LIMIT ?";
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(sql);
  if (!q) return std::unexpected(q.error());
  int i = 1;
  q->bind(i++, filter.since);
  if (!filter.message_id.empty()) q->bind(i++, bare_message_id(filter.message_id));
  q->bind(i, static_cast<std::int64_t>(filter.limit));
  return collect(*q);
}

Result<std::vector<ReceiptRow>> ReceiptLedger::find(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(std::string(kRowColumns) +
                       " WHERE s.content_identifier = ?1 OR s.message_id = ?2 OR s.queue_id = ?1" +
                       std::string(kRowOrder));
  if (!q) return std::unexpected(q.error());
  q->bind(1, id).bind(2, bare_message_id(id));
  return collect(*q);
}

Result<bool> ReceiptLedger::acknowledgement_due(std::string_view mailbox, std::string_view sender, std::int64_t now,
                                                std::int64_t interval) {
  std::lock_guard lock(mutex_);
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  // Answers older than the interval no longer count: forget them, which
  // also keeps the table as small as one interval's senders.
  auto old = db_.prepare("DELETE FROM acknowledgements WHERE mailbox = ? AND last_at <= ?");
  if (!old) return std::unexpected(old.error());
  if (auto r = old->bind(1, mailbox).bind(2, now - interval).run(); !r) return std::unexpected(r.error());
  auto remember = db_.prepare("INSERT OR IGNORE INTO acknowledgements (mailbox, sender, last_at) VALUES (?, ?, ?)");
  if (!remember) return std::unexpected(remember.error());
  if (auto r = remember->bind(1, mailbox).bind(2, sender).bind(3, now).run(); !r) return std::unexpected(r.error());
  bool due = db_.changes() == 1;
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return due;
}

}  // namespace sm::evidence
