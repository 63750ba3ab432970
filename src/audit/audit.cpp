// audit.cpp - the audit trail (see audit.h): DATA/audit.sqlite, entries
// chained by SHA-256, triggers that refuse UPDATE and DELETE, and the
// check of the chain.
//
// An entry's hash covers every field as "NAME LENGTH:VALUE\n" in a fixed
// order (seq, at, actor, action, object, reference, details, prev), so no
// two different entries hash the same text. The first entry's prev is 64
// zeros. Appends run in one BEGIN IMMEDIATE transaction that reads the last
// entry, so the gateway and a command appending at once still chain.
#include "audit/audit.h"

#include <array>
#include <mutex>

#include "audit/json_text.h"
#include "store/sqlite.h"
#include "util/digest.h"
#include "util/hex.h"
#include "util/log_privacy.h"

namespace sm::audit {
namespace {

constexpr std::array<std::string_view, 2> kMigrations = {
    "CREATE TABLE entries (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, object TEXT NOT NULL, reference TEXT NOT NULL, details TEXT NOT NULL,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX entries_action ON entries (action);"
    "CREATE INDEX entries_reference ON entries (reference);"
    "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries"
    " BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END;"
    "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries"
    " BEGIN SELECT RAISE(ABORT, 'audit entries cannot be removed'); END;",
    // Retention: only entries at or below the checkpoint may be removed.
    "CREATE TABLE checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);"
    "DROP TRIGGER entries_no_delete;"
    "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries"
    " WHEN old.seq > (SELECT COALESCE(MAX(seq), 0) FROM checkpoint)"
    " BEGIN SELECT RAISE(ABORT, 'audit entries cannot be removed'); END;",
};

const std::string kGenesis(64, '0');

constexpr std::string_view kColumns = "seq, at, actor, action, object, reference, details, prev_hash, hash";

void field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(" ").append(std::to_string(value.size())).append(":").append(value).append("\n");
}

}  // namespace

std::string hashed_text(const Entry& e) {
  std::string text;
  field(text, "seq", std::to_string(e.seq));
  field(text, "at", std::to_string(e.at));
  field(text, "actor", e.actor);
  field(text, "action", e.action);
  field(text, "object", e.object);
  field(text, "reference", e.reference);
  field(text, "details", e.details);
  field(text, "prev", e.prev_hash);
  return text;
}

namespace {

Result<std::string> entry_hash(const Entry& e) { return sha256_hex(hashed_text(e)); }

Entry entry_at(const store::Statement& s) {
  Entry e;
  e.seq = s.int_at(0);
  e.at = s.int_at(1);
  e.actor = s.text_at(2);
  e.action = s.text_at(3);
  e.object = s.text_at(4);
  e.reference = s.text_at(5);
  e.details = s.text_at(6);
  e.prev_hash = s.text_at(7);
  e.hash = s.text_at(8);
  return e;
}

// "%" and "_" are LIKE wildcards; the prefix is matched literally.
std::string like_prefix(std::string_view prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

// The details text of the checkpoint entry for (seq, hash): verify()
// compares the checkpoint row with it.
std::string checkpoint_details(std::int64_t seq, std::string_view hash) {
  return "{\"through_seq\":" + std::to_string(seq) + ",\"through_hash\":\"" + std::string(hash) + "\"";
}

constexpr std::string_view kPrunedAction = "audit.pruned";

}  // namespace

struct AuditTrail::Impl {
  explicit Impl(store::Database d) : db(std::move(d)) {}
  mutable std::mutex mutex;
  mutable store::Database db;
  std::string address_key;

  // Inside a transaction: chains e after the last entry and inserts it.
  Result<> insert(Entry& e) {
    e.seq = 0;
    e.prev_hash = kGenesis;
    if (!address_key.empty()) {
      e.object = log::hide_addresses(address_key, e.object);
      e.details = log::hide_addresses(address_key, e.details);
    }
    {
      auto last = db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1");
      if (!last) return std::unexpected(last.error());
      auto row = last->step();
      if (!row) return std::unexpected(row.error());
      if (*row) {
        e.seq = last->int_at(0);
        e.prev_hash = last->text_at(1);
      } else {
        auto cp = read_checkpoint();  // everything pruned: chain on from the checkpoint
        if (!cp) return std::unexpected(cp.error());
        e.seq = cp->seq;
        e.prev_hash = cp->hash;
      }
    }
    ++e.seq;
    auto hash = entry_hash(e);
    if (!hash) return std::unexpected(hash.error());
    e.hash = std::move(*hash);
    auto insert = db.prepare("INSERT INTO entries (" + std::string(kColumns) + ") VALUES (?,?,?,?,?,?,?,?,?)");
    if (!insert) return std::unexpected(insert.error());
    insert->bind(1, e.seq).bind(2, e.at).bind(3, e.actor).bind(4, e.action).bind(5, e.object).bind(6, e.reference);
    insert->bind(7, e.details).bind(8, e.prev_hash).bind(9, e.hash);
    return insert->run();
  }

  Result<Checkpoint> read_checkpoint() const {
    auto stmt = db.prepare("SELECT seq, hash FROM checkpoint WHERE id = 1");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return Checkpoint{0, kGenesis};
    return Checkpoint{stmt->int_at(0), stmt->text_at(1)};
  }
};

AuditTrail::AuditTrail(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditTrail::~AuditTrail() = default;

Result<std::unique_ptr<AuditTrail>> AuditTrail::open(const std::filesystem::path& data_dir) {
  auto db = store::Database::open(data_dir / "audit.sqlite", kMigrations);
  if (!db) return std::unexpected(db.error());
  std::error_code ec;
  std::filesystem::permissions(data_dir / "audit.sqlite", std::filesystem::perms::owner_read |
                                                              std::filesystem::perms::owner_write, ec);
  return std::unique_ptr<AuditTrail>(new AuditTrail(std::make_unique<Impl>(std::move(*db))));
}

Result<Entry> AuditTrail::append(std::string_view actor, std::string_view action, std::string_view object,
                                 std::string_view reference, std::string_view details_json, std::int64_t at) {
  std::lock_guard lock(impl_->mutex);
  auto tx = store::Transaction::begin(impl_->db);
  if (!tx) return std::unexpected(tx.error());
  Entry e{0, at, std::string(actor), std::string(action), std::string(object), std::string(reference),
          details_json.empty() ? "{}" : std::string(details_json), kGenesis, {}};
  if (auto ok = impl_->insert(e); !ok) return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return e;
}

Result<std::size_t> AuditTrail::append_all(const std::vector<Record>& records) {
  if (records.empty()) return 0;
  std::lock_guard lock(impl_->mutex);
  auto tx = store::Transaction::begin(impl_->db);
  if (!tx) return std::unexpected(tx.error());
  for (const auto& r : records) {
    Entry e{0, r.at, r.actor, r.action, r.object, r.reference, r.details_json.empty() ? "{}" : r.details_json, {}, {}};
    if (auto ok = impl_->insert(e); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return records.size();
}

void AuditTrail::hash_addresses_with(std::string key) {
  std::lock_guard lock(impl_->mutex);
  impl_->address_key = std::move(key);
}

std::string AuditTrail::stored_address(std::string_view address) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->address_key.empty() ? std::string(address) : log::hide_addresses(impl_->address_key, address);
}

Result<AuditTrail::Checkpoint> AuditTrail::checkpoint() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->read_checkpoint();
}

Result<std::size_t> AuditTrail::prune(std::int64_t before, std::int64_t now) {
  std::lock_guard lock(impl_->mutex);
  auto& db = impl_->db;
  auto tx = store::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto old = db.prepare("SELECT seq, hash, (SELECT COUNT(*) FROM entries WHERE at < ?1) FROM entries"
                        " WHERE seq = (SELECT MAX(seq) FROM entries WHERE at < ?1)");
  if (!old) return std::unexpected(old.error());
  old->bind(1, before);
  auto row = old->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return 0;
  const std::int64_t through = old->int_at(0);
  const std::string through_hash = old->text_at(1);
  const auto removed = static_cast<std::size_t>(old->int_at(2));
  // The checkpoint goes into the chain first, then the row, then the removal
  // the delete trigger now allows.
  Entry mark{0, now, "gateway", std::string(kPrunedAction), "audit", "",
             checkpoint_details(through, through_hash) + ",\"removed\":" + std::to_string(removed) + "}", {}, {}};
  if (auto ok = impl_->insert(mark); !ok) return std::unexpected(ok.error());
  auto cp = db.prepare("INSERT INTO checkpoint (id, seq, hash) VALUES (1, ?, ?)"
                       " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
  if (!cp) return std::unexpected(cp.error());
  cp->bind(1, through).bind(2, through_hash);
  if (auto ok = cp->run(); !ok) return std::unexpected(ok.error());
  auto del = db.prepare("DELETE FROM entries WHERE seq <= ?");
  if (!del) return std::unexpected(del.error());
  del->bind(1, through);
  if (auto ok = del->run(); !ok) return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return removed;
}

Result<std::vector<Entry>> AuditTrail::list(const Filter& filter) const {
  std::lock_guard lock(impl_->mutex);
  auto stmt = impl_->db.prepare("SELECT " + std::string(kColumns) +
                                " FROM entries WHERE action LIKE ? ESCAPE '\\' AND (? = '' OR reference = ?)"
                                " AND at >= ? AND (? = 0 OR at < ?) AND (? = 0 OR object IN (SELECT value FROM json_each(?)))"
                                " AND seq > ? ORDER BY seq LIMIT ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, like_prefix(filter.action_prefix)).bind(2, filter.reference).bind(3, filter.reference);
  std::string objects = "[";
  for (const auto& o : filter.objects) objects += (objects.size() > 1 ? "," : "") + json_string(o);
  objects += "]";
  stmt->bind(4, filter.since).bind(5, filter.until).bind(6, filter.until);
  stmt->bind(7, static_cast<std::int64_t>(filter.objects.size())).bind(8, objects);
  stmt->bind(9, filter.after_seq).bind(10, static_cast<std::int64_t>(filter.limit));
  std::vector<Entry> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(entry_at(*stmt));
  }
  return out;
}

Result<std::optional<std::string>> AuditTrail::verify() const {
  std::lock_guard lock(impl_->mutex);
  auto cp = impl_->read_checkpoint();
  if (!cp) return std::unexpected(cp.error());
  auto stmt = impl_->db.prepare("SELECT " + std::string(kColumns) + " FROM entries ORDER BY seq");
  if (!stmt) return std::unexpected(stmt.error());
  std::int64_t expected_seq = cp->seq + 1;
  std::string prev = cp->hash;
  std::string last_checkpoint;  // details of the newest audit.pruned entry
  for (;; ++expected_seq) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    Entry e = entry_at(*stmt);
    const std::string name = "entry " + std::to_string(e.seq) + " (" + e.action + ", " + e.object + ")";
    if (e.seq != expected_seq)
      return std::optional<std::string>(name + ": entry " + std::to_string(expected_seq) + " is missing");
    if (e.prev_hash != prev)
      return std::optional<std::string>(name + ": does not follow entry " + std::to_string(expected_seq - 1) +
                                        " (previous hash " + e.prev_hash + ", expected " + prev + ")");
    auto hash = entry_hash(e);
    if (!hash) return std::unexpected(hash.error());
    if (*hash != e.hash)
      return std::optional<std::string>(name + ": its content does not match its hash (changed after it was written)");
    if (e.action == kPrunedAction) last_checkpoint = e.details;
    prev = e.hash;
  }
  if (cp->seq == 0) return std::optional<std::string>{};
  if (!last_checkpoint.starts_with(checkpoint_details(cp->seq, cp->hash) + ","))
    return std::optional<std::string>("the checkpoint (entries up to " + std::to_string(cp->seq) +
                                      " removed) is not the one the chain recorded in its last audit.pruned entry");
  return std::optional<std::string>{};
}

}  // namespace sm::audit
