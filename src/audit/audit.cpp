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

#include "store/sqlite.h"
#include "util/digest.h"
#include "util/hex.h"

namespace sm::audit {
namespace {

constexpr std::array<std::string_view, 1> kMigrations = {
    "CREATE TABLE entries (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, object TEXT NOT NULL, reference TEXT NOT NULL, details TEXT NOT NULL,"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX entries_action ON entries (action);"
    "CREATE INDEX entries_reference ON entries (reference);"
    "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries"
    " BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END;"
    "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries"
    " BEGIN SELECT RAISE(ABORT, 'audit entries cannot be removed'); END;",
};

const std::string kGenesis(64, '0');

constexpr std::string_view kColumns = "seq, at, actor, action, object, reference, details, prev_hash, hash";

void field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(" ").append(std::to_string(value.size())).append(":").append(value).append("\n");
}

Result<std::string> entry_hash(const Entry& e) {
  std::string text;
  field(text, "seq", std::to_string(e.seq));
  field(text, "at", std::to_string(e.at));
  field(text, "actor", e.actor);
  field(text, "action", e.action);
  field(text, "object", e.object);
  field(text, "reference", e.reference);
  field(text, "details", e.details);
  field(text, "prev", e.prev_hash);
  return sha256_hex(text);
}

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

}  // namespace

struct AuditTrail::Impl {
  explicit Impl(store::Database d) : db(std::move(d)) {}
  mutable std::mutex mutex;
  mutable store::Database db;
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
  auto& db = impl_->db;
  auto tx = store::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  Entry e{0, at, std::string(actor), std::string(action), std::string(object), std::string(reference),
          details_json.empty() ? "{}" : std::string(details_json), kGenesis, {}};
  {
    auto last = db.prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1");
    if (!last) return std::unexpected(last.error());
    auto row = last->step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      e.seq = last->int_at(0);
      e.prev_hash = last->text_at(1);
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
  if (auto ok = insert->run(); !ok) return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return e;
}

Result<std::vector<Entry>> AuditTrail::list(const Filter& filter) const {
  std::lock_guard lock(impl_->mutex);
  auto stmt = impl_->db.prepare("SELECT " + std::string(kColumns) +
                                " FROM entries WHERE action LIKE ? ESCAPE '\\' AND (? = '' OR reference = ?)"
                                " AND at >= ? ORDER BY seq LIMIT ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, like_prefix(filter.action_prefix)).bind(2, filter.reference).bind(3, filter.reference);
  stmt->bind(4, filter.since).bind(5, static_cast<std::int64_t>(filter.limit));
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
  auto stmt = impl_->db.prepare("SELECT " + std::string(kColumns) + " FROM entries ORDER BY seq");
  if (!stmt) return std::unexpected(stmt.error());
  std::int64_t expected_seq = 1;
  std::string prev = kGenesis;
  for (;; ++expected_seq) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<std::string>{};
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
    prev = e.hash;
  }
}

}  // namespace sm::audit
