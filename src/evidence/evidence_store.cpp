// evidence_store.cpp - the kept-evidence files and their index (see
// evidence_store.h): content-addressed encrypted files written durably,
// the SQLite index, reading back, and retention.
//
// Files and purge: an entry's file is never removed while the entry is
// kept. A file no entry refers to goes once it is a day old by its
// modification time; put() touches a file it finds already there, so a
// file about to be (re)recorded is never taken by a purge running at the
// same moment. Retention is at least a day, so an expired entry's file is
// older than that anyway.
#include "evidence/evidence_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <set>

#include "evidence/ledger.h"
#include "pki/key.h"
#include "smime/receipt.h"
#include "util/digest.h"
#include "util/hex.h"

namespace sm::evidence {
namespace {

constexpr std::array<std::string_view, 1> kMigrations = {
    "CREATE TABLE entries (kind TEXT NOT NULL, sha256 TEXT NOT NULL, message_id TEXT NOT NULL,"
    " content_identifier TEXT NOT NULL, member TEXT NOT NULL, address TEXT NOT NULL,"
    " at INTEGER NOT NULL, keep_until INTEGER NOT NULL,"
    " PRIMARY KEY (message_id, kind, sha256, address)) WITHOUT ROWID;"
    "CREATE INDEX entries_sha256 ON entries (sha256);"
    "CREATE INDEX entries_keep_until ON entries (keep_until);",
};

constexpr std::int64_t kOrphanAge = 86400;            // a day
constexpr std::size_t kMaxEvidenceFile = 1ull << 30;  // larger than any message we accept
constexpr std::string_view kSuffix = ".cms";

std::optional<EvidenceKind> parse_kind(std::string_view text) {
  for (auto k : {EvidenceKind::sent, EvidenceKind::received, EvidenceKind::receipt, EvidenceKind::crl,
                 EvidenceKind::authority})
    if (text == to_string(k)) return k;
  return std::nullopt;
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::int64_t modified_at(const std::filesystem::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_mtime) : 0;
}

}  // namespace

std::string_view to_string(EvidenceKind kind) {
  switch (kind) {
    case EvidenceKind::sent: return "sent";
    case EvidenceKind::received: return "received";
    case EvidenceKind::receipt: return "receipt";
    case EvidenceKind::crl: return "crl";
    case EvidenceKind::authority: return "authority";
  }
  return "sent";
}

Result<std::shared_ptr<EvidenceStore>> EvidenceStore::open(const std::filesystem::path& data_dir,
                                                           std::vector<smime::Recipient> own,
                                                           std::vector<smime::Identity> keys) {
  if (own.empty()) return local_error("evidence store: no certificate of our own to encrypt evidence to");
  std::filesystem::path folder = data_dir / "evidence";
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) return local_error(folder.string() + ": cannot create folder: " + ec.message());
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all, ec);
  auto db = store::Database::open(data_dir / "evidence.sqlite", kMigrations);
  if (!db) return std::unexpected(db.error());
  return std::make_shared<EvidenceStore>(std::move(*db), std::move(folder), std::move(own), std::move(keys));
}

Result<std::shared_ptr<EvidenceStore>> EvidenceStore::open_existing(const std::filesystem::path& data_dir,
                                                                    std::vector<smime::Identity> keys) {
  auto db = store::Database::open_read_only(data_dir / "evidence.sqlite", kMigrations.size());
  if (!db) return std::unexpected(db.error());
  return std::make_shared<EvidenceStore>(std::move(*db), data_dir / "evidence", std::vector<smime::Recipient>{},
                                         std::move(keys));
}

std::filesystem::path EvidenceStore::file_for(std::string_view sha256) const {
  return folder_ / std::string(sha256.substr(0, 2)) / (std::string(sha256) + std::string(kSuffix));
}

Result<std::string> EvidenceStore::put(std::string_view plain) {
  auto sha = sha256_hex(plain);
  if (!sha) return sha;
  std::filesystem::path file = file_for(*sha);
  {
    std::lock_guard lock(mutex_);
    // Already kept: make it young again so a purge now leaves it alone.
    if (::utimensat(AT_FDCWD, file.c_str(), nullptr, 0) == 0) return sha;
  }
  if (own_.empty()) return local_error("evidence: opened read-only, cannot keep anything");
  auto sealed = smime::encrypt_blob(plain, own_);
  if (!sealed) return std::unexpected(sealed.error());
  std::filesystem::path sub = file.parent_path();
  std::error_code ec;
  bool made = std::filesystem::create_directory(sub, ec);
  if (ec) return local_error(sub.string() + ": cannot create folder: " + ec.message());
  if (made) {
    if (auto r = pki::sync_folder(folder_); !r) return std::unexpected(r.error());
  }
  if (auto r = pki::write_file_atomic(file, *sealed, 0600); !r) return std::unexpected(r.error());
  return sha;
}

Result<> EvidenceStore::record(const EvidenceEntry& entry) {
  if (!is_sha256_hex(entry.sha256)) return local_error("evidence: bad sha256 \"" + entry.sha256 + "\"");
  if (entry.message_id.empty()) return local_error("evidence: an entry needs a Message-ID");
  std::lock_guard lock(mutex_);
  if (::access(file_for(entry.sha256).c_str(), F_OK) != 0)
    return local_error("evidence: no file for " + entry.sha256 + " (put() it first)");
  // The same evidence recorded again (a retried message) keeps the longer
  // retention of the two.
  auto q = db_.prepare(
      "INSERT INTO entries (kind, sha256, message_id, content_identifier, member, address, at, keep_until)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, kind, sha256, address)"
      " DO UPDATE SET keep_until = max(keep_until, excluded.keep_until)");
  if (!q) return std::unexpected(q.error());
  q->bind(1, to_string(entry.kind)).bind(2, entry.sha256).bind(3, bare_message_id(entry.message_id));
  q->bind(4, entry.content_identifier).bind(5, entry.member).bind(6, entry.address);
  return q->bind(7, entry.at).bind(8, entry.keep_until).run();
}

Result<std::string> EvidenceStore::keep(std::string_view plain, EvidenceEntry entry) {
  auto sha = put(plain);
  if (!sha) return sha;
  entry.sha256 = *sha;
  if (auto r = record(entry); !r) return std::unexpected(r.error());
  return sha;
}

Result<std::string> EvidenceStore::read(std::string_view sha256) {
  if (!is_sha256_hex(sha256)) return local_error("evidence: bad sha256 \"" + std::string(sha256) + "\"");
  if (keys_.empty()) return local_error("evidence: no key to read evidence with");
  auto sealed = pki::read_file(file_for(sha256), kMaxEvidenceFile);
  if (!sealed) return std::unexpected(sealed.error());
  auto plain = smime::decrypt_blob(*sealed, keys_);
  if (!plain) return local_error("evidence " + std::string(sha256) + ": " + plain.error().text);
  auto check = sha256_hex(*plain);
  if (!check) return std::unexpected(check.error());
  if (*check != sha256) return local_error("evidence " + std::string(sha256) + ": content does not match its name");
  return plain;
}

Result<std::vector<EvidenceEntry>> EvidenceStore::entries_for(std::string_view message_id) {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare(
      "SELECT kind, sha256, message_id, content_identifier, member, address, at, keep_until FROM entries"
      " WHERE message_id = ? ORDER BY at, kind, sha256, address");
  if (!q) return std::unexpected(q.error());
  q->bind(1, bare_message_id(message_id));
  std::vector<EvidenceEntry> out;
  for (;;) {
    auto more = q->step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return out;
    auto kind = parse_kind(q->text_at(0));
    if (!kind) continue;  // written by a newer program: not ours to interpret
    out.push_back({*kind, q->text_at(1), q->text_at(2), q->text_at(3), q->text_at(4), q->text_at(5), q->int_at(6),
                   q->int_at(7)});
  }
}

Result<PurgeReport> EvidenceStore::purge(std::int64_t now) {
  PurgeReport report;
  std::lock_guard lock(mutex_);
  std::set<std::string, std::less<>> kept;
  {
    auto tx = store::Transaction::begin(db_);
    if (!tx) return std::unexpected(tx.error());
    auto expired = db_.prepare("DELETE FROM entries WHERE keep_until <= ?");
    if (!expired) return std::unexpected(expired.error());
    if (auto r = expired->bind(1, now).run(); !r) return std::unexpected(r.error());
    report.entries = static_cast<std::size_t>(db_.changes());
    auto live = db_.prepare("SELECT DISTINCT sha256 FROM entries");
    if (!live) return std::unexpected(live.error());
    for (;;) {
      auto more = live->step();
      if (!more) return std::unexpected(more.error());
      if (!*more) break;
      kept.insert(live->text_at(0));
    }
    if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  }
  // Every file (and leftover temporary file) no entry refers to, once it
  // is a day old.
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(folder_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const auto& file = it->path();
    std::string name = file.filename().string();
    bool evidence = name.size() == 64 + kSuffix.size() && name.ends_with(kSuffix);
    if (evidence && kept.contains(std::string_view(name).substr(0, 64))) continue;
    if (modified_at(file) > now - kOrphanAge) continue;
    std::uint64_t size = it->file_size(ec);
    if (::unlink(file.c_str()) != 0)
      return local_error(file.string() + ": cannot remove: " + std::strerror(errno));
    ++report.files;
    report.octets += ec ? 0 : size;
    ec.clear();
  }
  if (ec) return local_error(folder_.string() + ": cannot list: " + ec.message());
  return report;
}

}  // namespace sm::evidence
