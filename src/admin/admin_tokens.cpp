// admin_tokens.cpp - the token table in DATA/admin.sqlite: SHA-256 hex of
// each token, never the token; and the console_access table (accounts an
// operator allowed to sign in to the web console).
#include "admin/admin_tokens.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "store/sqlite.h"
#include "util/base64.h"
#include "util/hex.h"

namespace sm::admin {
namespace {

constexpr std::array<std::string_view, 2> kMigrations = {
    "CREATE TABLE tokens (name TEXT PRIMARY KEY, scope TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,"
    " created INTEGER NOT NULL, last_used INTEGER NOT NULL DEFAULT 0);",
    "CREATE TABLE console_access (account TEXT PRIMARY KEY, granted INTEGER NOT NULL);",
};

std::string sha256_hex(std::string_view text) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  return to_hex(md, sizeof md);
}

// RFC 4648 section 5 alphabet, no padding.
std::string base64url(std::string_view octets) {
  std::string s = base64_encode(octets);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

TokenInfo info_at(const store::Statement& st) {
  return {st.text_at(0), parse_scope(st.text_at(1)).value_or(Scope::read), st.int_at(2), st.int_at(3)};
}

}  // namespace

const char* to_string(Scope s) { return s == Scope::write ? "write" : s == Scope::send ? "send" : "read"; }

std::optional<Scope> parse_scope(std::string_view text) {
  if (text == "read") return Scope::read;
  if (text == "write") return Scope::write;
  if (text == "send") return Scope::send;
  return std::nullopt;
}

struct TokenStore::Impl {
  explicit Impl(store::Database d) : db(std::move(d)) {}
  std::mutex mu;
  store::Database db;
};

TokenStore::TokenStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenStore::~TokenStore() = default;

Result<std::unique_ptr<TokenStore>> TokenStore::open(const std::filesystem::path& data_dir) {
  std::filesystem::path file = data_dir / "admin.sqlite";
  auto db = store::Database::open_private(file, kMigrations);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<TokenStore>(new TokenStore(std::make_unique<Impl>(std::move(*db))));
}

bool TokenStore::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

Result<std::string> TokenStore::create(const std::string& name, Scope scope, std::int64_t now) {
  if (!valid_name(name))
    return local_error("token name '" + name + "': use 1 to 64 letters, digits, '.', '_' or '-'");
  std::string raw(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1)
    return local_error("no random bytes for a token");
  std::string token = "smt_" + base64url(raw);
  std::lock_guard lock(impl_->mu);
  auto exists = impl_->db.prepare("SELECT 1 FROM tokens WHERE name = ?");
  if (!exists) return std::unexpected(exists.error());
  auto row = exists->bind(1, name).step();
  if (!row) return std::unexpected(row.error());
  if (*row) return local_error("a token named '" + name + "' exists already; revoke it first");
  auto st = impl_->db.prepare("INSERT INTO tokens (name, scope, sha256, created) VALUES (?, ?, ?, ?)");
  if (!st) return std::unexpected(st.error());
  if (auto r = st->bind(1, name).bind(2, to_string(scope)).bind(3, sha256_hex(token)).bind(4, now).run(); !r)
    return std::unexpected(r.error());
  return token;
}

Result<std::vector<TokenInfo>> TokenStore::list() {
  std::lock_guard lock(impl_->mu);
  auto st = impl_->db.prepare("SELECT name, scope, created, last_used FROM tokens ORDER BY name");
  if (!st) return std::unexpected(st.error());
  std::vector<TokenInfo> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(info_at(*st));
  }
  return out;
}

Result<void> TokenStore::revoke(const std::string& name) {
  std::lock_guard lock(impl_->mu);
  auto st = impl_->db.prepare("DELETE FROM tokens WHERE name = ?");
  if (!st) return std::unexpected(st.error());
  if (auto r = st->bind(1, name).run(); !r) return std::unexpected(r.error());
  if (impl_->db.changes() == 0) return local_error("no token named '" + name + "'");
  return {};
}

Result<std::optional<TokenInfo>> TokenStore::check(std::string_view token, std::int64_t now) {
  if (!token.starts_with("smt_")) return std::optional<TokenInfo>();
  std::string digest = sha256_hex(token);
  std::lock_guard lock(impl_->mu);
  auto st = impl_->db.prepare("SELECT name, scope, created, last_used FROM tokens WHERE sha256 = ?");
  if (!st) return std::unexpected(st.error());
  auto row = st->bind(1, digest).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<TokenInfo>();
  TokenInfo info = info_at(*st);
  info.last_used = now;
  auto used = impl_->db.prepare("UPDATE tokens SET last_used = ? WHERE sha256 = ?");
  if (used) (void)used->bind(1, now).bind(2, digest).run();  // a missed note of use denies nothing
  return std::optional<TokenInfo>(std::move(info));
}

Result<bool> TokenStore::grant_console(const std::string& account, std::int64_t now) {
  std::lock_guard lock(impl_->mu);
  auto st = impl_->db.prepare("INSERT OR IGNORE INTO console_access (account, granted) VALUES (?, ?)");
  if (!st) return std::unexpected(st.error());
  if (auto r = st->bind(1, account).bind(2, now).run(); !r) return std::unexpected(r.error());
  return impl_->db.changes() != 0;
}

Result<void> TokenStore::revoke_console(const std::string& account) {
  std::lock_guard lock(impl_->mu);
  auto st = impl_->db.prepare("DELETE FROM console_access WHERE account = ?");
  if (!st) return std::unexpected(st.error());
  if (auto r = st->bind(1, account).run(); !r) return std::unexpected(r.error());
  if (impl_->db.changes() == 0) return local_error("account '" + account + "' has no console access");
  return {};
}

Result<std::vector<ConsoleGrant>> TokenStore::console_grants() {
  std::lock_guard lock(impl_->mu);
  auto st = impl_->db.prepare("SELECT account, granted FROM console_access ORDER BY account");
  if (!st) return std::unexpected(st.error());
  std::vector<ConsoleGrant> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->text_at(0), st->int_at(1)});
  }
  return out;
}

Result<bool> TokenStore::console_allowed(const std::string& account) {
  std::lock_guard lock(impl_->mu);
  auto st = impl_->db.prepare("SELECT 1 FROM console_access WHERE account = ?");
  if (!st) return std::unexpected(st.error());
  auto row = st->bind(1, account).step();
  if (!row) return std::unexpected(row.error());
  return *row;
}

}  // namespace sm::admin
