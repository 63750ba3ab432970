// accounts.cpp - AccountStore: opening DATA/accounts.sqlite, the accounts,
// their addresses and assurance flags (see accounts.h). Secrets (TOTP,
// devices, sign-in) are in account_secrets.cpp.
#include "auth/accounts.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "auth/account_db.h"
#include "auth/secrets.h"
#include "util/text.h"

namespace sm::auth {
namespace {

constexpr std::array<std::string_view, 2> kMigrations = {
    "CREATE TABLE accounts (name TEXT PRIMARY KEY, password TEXT NOT NULL, enabled INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, totp_seed BLOB, totp_last_step INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE addresses (address TEXT PRIMARY KEY, account TEXT NOT NULL, position INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX addresses_account ON addresses (account, position);"
    "CREATE TABLE flags (account TEXT NOT NULL, which TEXT NOT NULL, set_by TEXT NOT NULL,"
    " set_at INTEGER NOT NULL, level TEXT NOT NULL, PRIMARY KEY (account, which)) WITHOUT ROWID;"
    "CREATE TABLE devices (account TEXT NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL DEFAULT 0, strong INTEGER NOT NULL,"
    " PRIMARY KEY (account, name)) WITHOUT ROWID;"
    "CREATE TABLE recovery_codes (account TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (account, hash))"
    " WITHOUT ROWID;",
    // A self-service enrolment not yet confirmed with a code (begin_totp).
    "ALTER TABLE accounts ADD COLUMN totp_pending BLOB;",
};

constexpr std::array<std::string_view, 3> kFlags = {"strong-required", "sole-user", "identity-verified"};

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

Flag* flag_of(Assurance& a, std::string_view which) {
  if (which == kFlags[0]) return &a.strong_required;
  if (which == kFlags[1]) return &a.sole_user;
  if (which == kFlags[2]) return &a.identity_verified;
  return nullptr;
}

// The rest of an account after its row: addresses, flags, devices, codes.
Result<> fill(store::Database& db, Account& a) {
  if (auto r = detail::each_row(db, "SELECT address FROM addresses WHERE account = ?1 ORDER BY position", a.name,
                                [&](const store::Statement& q) { a.addresses.push_back(q.text_at(0)); });
      !r)
    return r;
  if (auto r = detail::each_row(db, "SELECT which, set_by, set_at, level FROM flags WHERE account = ?1", a.name,
                                [&](const store::Statement& f) {
                                  if (Flag* flag = flag_of(a.assurance, f.text_at(0)))
                                    *flag = Flag{true, f.text_at(1), f.int_at(2), f.text_at(3)};
                                });
      !r)
    return r;
  if (auto r = detail::each_row(
          db, "SELECT name, created_at, last_used_at, strong FROM devices WHERE account = ?1 ORDER BY name", a.name,
          [&](const store::Statement& d) {
            a.devices.push_back(Device{d.text_at(0), d.int_at(1), d.int_at(2), d.int_at(3) != 0});
          });
      !r)
    return r;
  auto r = db.prepare("SELECT count(*) FROM recovery_codes WHERE account = ?1");
  if (!r) return std::unexpected(r.error());
  r->bind(1, a.name);
  if (auto row = r->step(); !row) return std::unexpected(row.error());
  a.recovery_codes_left = static_cast<std::uint64_t>(r->int_at(0));
  return {};
}

constexpr std::string_view kAccountColumns = "SELECT name, enabled, created_at, totp_seed IS NOT NULL FROM accounts";

Account account_at(const store::Statement& s) {
  Account a;
  a.name = s.text_at(0);
  a.enabled = s.int_at(1) != 0;
  a.created_at = s.int_at(2);
  a.totp = s.int_at(3) != 0;
  return a;
}

// One statement on account `name` (which must exist), under the lock, in a transaction.
Result<> change(detail::Shared& impl, const std::string& name, std::string_view sql,
                const std::function<void(store::Statement&)>& bind) {
  return detail::with_account(impl, name, [&](store::Database& db, const Account&) { return detail::run(db, sql, bind); });
}

}  // namespace

namespace detail {

Result<std::string> account_name(std::string_view name) {
  std::string n = ascii_lower(name);
  bool ok = !n.empty() && n.size() <= 64 && std::isalnum(static_cast<unsigned char>(n[0]));
  for (char ch : n)
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-');
  if (!ok)
    return local_error("bad account name \"" + std::string(name) +
                       "\" (1 to 64 of letters, digits, \".\", \"_\", \"-\", starting with a letter or digit)");
  return n;
}

Result<std::string> address(std::string_view address) {
  std::string a = ascii_lower(address);
  auto at = a.rfind('@');
  bool ok = at != std::string::npos && at > 0 && at + 1 < a.size() && a.size() <= 254;
  for (char ch : a) ok = ok && ch > ' ' && ch < 127 && ch != '<' && ch != '>' && ch != ',' && ch != ';';
  if (!ok) return local_error("bad address \"" + std::string(address) + "\" (local@domain)");
  return a;
}

std::unexpected<Error> no_account(std::string_view name) {
  return local_error("no account \"" + std::string(name) + "\"");
}

Result<std::optional<std::string>> owner(store::Database& db, std::string_view address) {
  auto s = db.prepare("SELECT account FROM addresses WHERE address = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, address);
  auto row = s->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return s->text_at(0);
}

Result<std::optional<Account>> find(store::Database& db, const std::string& name) {
  auto s = db.prepare(std::string(kAccountColumns) + " WHERE name = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, name);
  auto row = s->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Account>();
  Account a = account_at(*s);
  if (auto r = fill(db, a); !r) return std::unexpected(r.error());
  return a;
}

Result<> with_account(Shared& impl, const std::string& name,
                      const std::function<Result<>(store::Database&, const Account&)>& body) {
  std::lock_guard lock(impl.mu);
  auto tx = store::Transaction::begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto found = find(impl.db, name);
  if (!found) return std::unexpected(found.error());
  if (!*found) return no_account(name);
  if (auto r = body(impl.db, **found); !r) return r;
  return tx->commit();
}

Result<> run(store::Database& db, std::string_view sql, const std::function<void(store::Statement&)>& bind) {
  auto s = db.prepare(sql);
  if (!s) return std::unexpected(s.error());
  bind(*s);
  return s->run();
}

Result<> each_row(store::Database& db, std::string_view sql, std::string_view name,
                  const std::function<void(const store::Statement&)>& row) {
  auto s = db.prepare(sql);
  if (!s) return std::unexpected(s.error());
  if (!name.empty()) s->bind(1, name);
  for (auto ready = s->step();; ready = s->step()) {
    if (!ready) return std::unexpected(ready.error());
    if (!*ready) return {};
    row(*s);
  }
}

Result<bool> exists(store::Database& db, std::string_view name) {
  auto s = db.prepare("SELECT 1 FROM accounts WHERE name = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, name);
  return s->step();
}

}  // namespace detail

std::string_view to_string(Method method) {
  switch (method) {
    case Method::password: return "password";
    case Method::totp: return "totp";
    case Method::device: return "device";
    case Method::recovery: return "recovery";
  }
  return "password";
}

bool Account::strong_capable() const {
  if (totp) return true;
  for (const auto& d : devices)
    if (d.strong) return true;
  return false;
}

std::filesystem::path AccountStore::file(const std::filesystem::path& data_dir) { return data_dir / "accounts.sqlite"; }

Result<std::unique_ptr<AccountStore>> AccountStore::open(const std::filesystem::path& data_dir) {
  auto db = store::Database::open_private(file(data_dir), kMigrations);
  if (!db) return std::unexpected(db.error());
  auto impl = std::make_unique<Impl>(std::move(*db));
  return std::unique_ptr<AccountStore>(new AccountStore(std::move(impl)));
}

AccountStore::AccountStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AccountStore::~AccountStore() = default;

Result<> AccountStore::add(std::string_view name, const std::vector<std::string>& addresses, std::string_view password) {
  auto n = detail::account_name(name);
  if (!n) return std::unexpected(n.error());
  if (addresses.empty()) return local_error("account \"" + *n + "\" needs at least one address");
  std::vector<std::string> clean;
  for (const auto& a : addresses) {
    auto c = detail::address(a);
    if (!c) return std::unexpected(c.error());
    clean.push_back(*c);
  }
  if (auto ok = secrets::password_ok(password); !ok) return ok;
  auto hash = secrets::hash_password(password);  // slow: outside the lock
  if (!hash) return std::unexpected(hash.error());
  std::lock_guard lock(impl_->mu);
  auto& db = impl_->db;
  auto tx = store::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto known = detail::exists(db, *n);
  if (!known) return std::unexpected(known.error());
  if (*known) return local_error("account \"" + *n + "\" already exists");
  auto s = db.prepare("INSERT INTO accounts (name, password, enabled, created_at) VALUES (?1, ?2, 1, ?3)");
  if (!s) return std::unexpected(s.error());
  if (auto r = s->bind(1, *n).bind(2, *hash).bind(3, now()).run(); !r) return r;
  auto put = db.prepare("INSERT INTO addresses (address, account, position) VALUES (?1, ?2, ?3)");
  if (!put) return std::unexpected(put.error());
  for (std::size_t i = 0; i < clean.size(); ++i) {
    auto owner = detail::owner(db, clean[i]);
    if (!owner) return std::unexpected(owner.error());
    if (*owner) return local_error("address " + clean[i] + " already belongs to account \"" + **owner + "\"");
    if (auto r = put->bind(1, clean[i]).bind(2, *n).bind(3, static_cast<std::int64_t>(i)).run(); !r) return r;
  }
  return tx->commit();
}

Result<> AccountStore::set_password(std::string_view name, std::string_view password) {
  if (auto ok = secrets::password_ok(password); !ok) return ok;
  auto hash = secrets::hash_password(password);
  if (!hash) return std::unexpected(hash.error());
  std::string n = ascii_lower(name);
  return change(*impl_, n, "UPDATE accounts SET password = ?2 WHERE name = ?1",
                [&](store::Statement& s) { s.bind(1, n).bind(2, *hash); });
}

Result<> AccountStore::set_enabled(std::string_view name, bool enabled) {
  std::string n = ascii_lower(name);
  return change(*impl_, n, "UPDATE accounts SET enabled = ?2 WHERE name = ?1",
                [&](store::Statement& s) { s.bind(1, n).bind(2, std::int64_t{enabled}); });
}

Result<> AccountStore::remove(std::string_view name) {
  return detail::with_account(*impl_, ascii_lower(name), [](store::Database& db, const Account& a) -> Result<> {
    for (std::string_view table : {"accounts WHERE name", "addresses WHERE account", "flags WHERE account",
                                   "devices WHERE account", "recovery_codes WHERE account"})
      if (auto r = detail::run(db, "DELETE FROM " + std::string(table) + " = ?1",
                               [&](store::Statement& s) { s.bind(1, a.name); });
          !r)
        return r;
    return {};
  });
}

Result<> AccountStore::add_address(std::string_view name, std::string_view address) {
  auto a = detail::address(address);
  if (!a) return std::unexpected(a.error());
  return detail::with_account(*impl_, ascii_lower(name), [&](store::Database& db, const Account& account) -> Result<> {
    auto owner = detail::owner(db, *a);
    if (!owner) return std::unexpected(owner.error());
    if (*owner) return local_error("address " + *a + " already belongs to account \"" + **owner + "\"");
    return detail::run(db,
                       "INSERT INTO addresses (address, account, position)"
                       " SELECT ?2, ?1, coalesce(max(position) + 1, 0) FROM addresses WHERE account = ?1",
                       [&](store::Statement& s) { s.bind(1, account.name).bind(2, *a); });
  });
}

Result<> AccountStore::remove_address(std::string_view name, std::string_view address) {
  auto a = detail::address(address);
  if (!a) return std::unexpected(a.error());
  return detail::with_account(*impl_, ascii_lower(name), [&](store::Database& db, const Account& account) -> Result<> {
    if (std::find(account.addresses.begin(), account.addresses.end(), *a) == account.addresses.end())
      return local_error("account \"" + account.name + "\" has no address " + *a);
    if (account.addresses.size() == 1)
      return local_error("cannot remove " + *a + ": it is the only address of account \"" + account.name + "\"");
    return detail::run(db, "DELETE FROM addresses WHERE address = ?1",
                       [&](store::Statement& s) { s.bind(1, *a); });
  });
}

Result<std::optional<Account>> AccountStore::find(std::string_view name) const {
  std::lock_guard lock(impl_->mu);
  return detail::find(impl_->db, ascii_lower(name));
}

Result<std::vector<Account>> AccountStore::list() const {
  std::lock_guard lock(impl_->mu);
  std::vector<Account> all;
  if (auto r = detail::each_row(impl_->db, std::string(kAccountColumns) + " ORDER BY name", {},
                                [&](const store::Statement& s) { all.push_back(account_at(s)); });
      !r)
    return std::unexpected(r.error());
  for (auto& a : all)
    if (auto r = fill(impl_->db, a); !r) return std::unexpected(r.error());
  return all;
}

Result<std::optional<std::string>> AccountStore::owner_of(std::string_view address) const {
  std::lock_guard lock(impl_->mu);
  return detail::owner(impl_->db, ascii_lower(address));
}

Result<std::string> AccountStore::credential_stamp(std::string_view name) const {
  std::lock_guard lock(impl_->mu);
  std::string stamp;
  if (auto r = detail::each_row(impl_->db, "SELECT password, enabled FROM accounts WHERE name = ?1", ascii_lower(name),
                                [&](const store::Statement& row) {
                                  if (row.int_at(1) != 0) stamp = secrets::sha256_hex(row.text_at(0));
                                });
      !r)
    return std::unexpected(r.error());
  return stamp;
}

Result<> AccountStore::set_flag(std::string_view name, std::string_view which, bool value, std::string_view by,
                                std::string_view level) {
  Assurance probe;
  if (!flag_of(probe, which))
    return local_error("unknown flag \"" + std::string(which) + "\" (strong-required, sole-user, identity-verified)");
  if (value && by.empty()) return local_error("a flag needs the name of who sets it");
  if (!level.empty() && which != kFlags[2]) return local_error("only identity-verified takes a level");
  if (value && which == kFlags[2] && level.empty())
    return local_error("identity-verified needs a level saying how it was checked (e.g. document, in-person)");
  for (char ch : level)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
      return local_error("bad level \"" + std::string(level) + "\" (lower-case letters, digits, \"-\")");
  std::string n = ascii_lower(name);
  if (!value)
    return change(*impl_, n, "DELETE FROM flags WHERE account = ?1 AND which = ?2",
                  [&](store::Statement& s) { s.bind(1, n).bind(2, which); });
  std::string lvl(level);  // a default string_view has no data, which SQLite would bind as NULL
  return change(*impl_, n, "INSERT OR REPLACE INTO flags (account, which, set_by, set_at, level) VALUES (?1, ?2, ?3, ?4, ?5)",
                [&](store::Statement& s) { s.bind(1, n).bind(2, which).bind(3, by).bind(4, now()).bind(5, lvl); });
}

}  // namespace sm::auth
