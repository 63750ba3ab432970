// account_secrets.cpp - AccountStore's secrets: device passwords, and
// check() deciding a sign-in (see accounts.h). TOTP enrolment is in
// account_totp.cpp.
//
// check() reads what it needs under the lock, runs argon2id without it
// (64 MiB, tens of milliseconds: sign-ins must not queue behind each
// other), and takes the lock again only to spend what it accepted: the
// TOTP step moves forward with a compare-and-set, a recovery code is
// deleted, so two racing sign-ins cannot both use one.
//
// Timing: the work depends on the shape of the secret only. A secret that
// ends like a TOTP code or a recovery code is verified twice (with and
// without the suffix), every other once, always against a real hash; an
// unknown or disabled account is verified against a dummy hash.
#include <ctime>
#include <functional>

#include "auth/account_db.h"
#include "auth/secrets.h"
#include "util/text.h"

namespace sm::auth {
namespace {

std::unexpected<Error> denied() { return fail(535, "5.7.8", "authentication failed"); }

// What check() needs of one account.
struct Stored {
  bool usable = false;  // exists and enabled
  std::string hash, seed;
  bool strong_required = false;
  struct Dev {
    std::string name, hash;
    bool strong = false;
  };
  std::vector<Dev> devices;
  std::vector<std::string> recovery;  // SHA-256 hex
};

Result<Stored> load(store::Database& db, const std::string& name) {
  Stored st;
  auto a = db.prepare(
      "SELECT password, enabled, coalesce(totp_seed, x''),"
      " EXISTS (SELECT 1 FROM flags WHERE account = ?1 AND which = 'strong-required')"
      " FROM accounts WHERE name = ?1");
  if (!a) return std::unexpected(a.error());
  a->bind(1, name);
  auto row = a->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return st;
  st.hash = a->text_at(0);
  st.usable = a->int_at(1) != 0;
  st.seed = a->blob_at(2);
  st.strong_required = a->int_at(3) != 0;
  if (auto r = detail::each_row(db, "SELECT name, hash, strong FROM devices WHERE account = ?1", name,
                                [&](const store::Statement& d) {
                                  st.devices.push_back({d.text_at(0), d.text_at(1), d.int_at(2) != 0});
                                });
      !r)
    return std::unexpected(r.error());
  if (auto r = detail::each_row(db, "SELECT hash FROM recovery_codes WHERE account = ?1", name,
                                [&](const store::Statement& c) { st.recovery.push_back(c.text_at(0)); });
      !r)
    return std::unexpected(r.error());
  return st;
}

Result<> device_name_ok(std::string_view device) {
  bool ok = !device.empty() && device.size() <= 64;
  for (unsigned char ch : device) ok = ok && (std::isalnum(ch) || ch == '.' || ch == '_' || ch == '-');
  if (!ok) return local_error("bad device name \"" + std::string(device) + "\" (1 to 64 of letters, digits, \".\", \"_\", \"-\")");
  return {};
}

}  // namespace

Result<std::string> AccountStore::add_device(std::string_view name, std::string_view device, bool strong) {
  if (auto ok = device_name_ok(device); !ok) return std::unexpected(ok.error());
  std::string password = secrets::random_device_password();
  std::string hash = secrets::sha256_hex(*secrets::normalise_device_password(password));
  auto added = detail::with_account(*impl_, ascii_lower(name), [&](store::Database& db, const Account& a) -> Result<> {
    for (const auto& d : a.devices)
      if (d.name == device) return local_error("account \"" + a.name + "\" already has a device \"" + d.name + "\"");
    return detail::run(db, "INSERT INTO devices (account, name, hash, created_at, strong) VALUES (?1, ?2, ?3, ?4, ?5)",
                       [&](store::Statement& s) {
                         s.bind(1, a.name).bind(2, device).bind(3, hash).bind(4, std::int64_t(std::time(nullptr)))
                             .bind(5, std::int64_t{strong});
                       });
  });
  if (!added) return std::unexpected(added.error());
  return password;
}

Result<> AccountStore::remove_device(std::string_view name, std::string_view device) {
  return detail::with_account(*impl_, ascii_lower(name), [&](store::Database& db, const Account& a) -> Result<> {
    if (auto r = detail::run(db, "DELETE FROM devices WHERE account = ?1 AND name = ?2",
                             [&](store::Statement& s) { s.bind(1, a.name).bind(2, device); });
        !r)
      return r;
    if (db.changes() == 0) return local_error("account \"" + a.name + "\" has no device \"" + std::string(device) + "\"");
    return {};
  });
}

Result<SignIn> AccountStore::check(std::string_view name, std::string_view secret, std::int64_t now) {
  std::string n = ascii_lower(name);
  Stored st;
  {
    std::lock_guard lock(impl_->mu);
    auto loaded = load(impl_->db, n);
    if (!loaded) return std::unexpected(loaded.error());
    st = std::move(*loaded);
  }
  auto spend = [&](std::string_view sql, const std::function<void(store::Statement&)>& bind) -> Result<bool> {
    std::lock_guard lock(impl_->mu);
    if (auto r = detail::run(impl_->db, sql, bind); !r) return std::unexpected(r.error());
    return impl_->db.changes() == 1;
  };

  // A device password: 131 random bits, so SHA-256 and no argon2id.
  if (auto typed = secrets::normalise_device_password(secret)) {
    std::string hash = secrets::sha256_hex(*typed);
    const Stored::Dev* match = nullptr;
    for (const auto& d : st.devices)
      if (secrets::same(d.hash, hash)) match = &d;
    if (st.usable && match && (match->strong || !st.strong_required)) {
      auto used = spend("UPDATE devices SET last_used_at = ?3 WHERE account = ?1 AND name = ?2",
                        [&](store::Statement& s) { s.bind(1, n).bind(2, match->name).bind(3, now); });
      if (!used) return std::unexpected(used.error());
      return SignIn{n, Method::device, match->strong};
    }
  }

  // The password, with a recovery code or a TOTP code after it, or alone.
  const std::string& hash = st.usable ? st.hash : secrets::dummy_hash();
  std::optional<std::string> recovery;
  std::string_view prefix, code;
  if (secret.size() > secrets::kRecoveryCodeLength) {
    std::string_view tail = secret.substr(secret.size() - secrets::kRecoveryCodeLength);
    if (tail[4] == '-' && tail[9] == '-') recovery = secrets::normalise_recovery_code(tail);
    if (recovery) prefix = secret.substr(0, secret.size() - tail.size());
  }
  if (!recovery && secret.size() > secrets::kDigits &&
      secrets::looks_like_code(secret.substr(secret.size() - secrets::kDigits))) {
    prefix = secret.substr(0, secret.size() - secrets::kDigits);
    code = secret.substr(secret.size() - secrets::kDigits);
  }
  bool prefix_ok = !prefix.empty() && secrets::verify_password(hash, prefix);
  bool whole_ok = secrets::verify_password(hash, secret);
  if (!st.usable) return denied();

  std::optional<SignIn> accepted;
  std::string_view password;
  if (prefix_ok && recovery) {
    std::string h = secrets::sha256_hex(*recovery);
    bool known = false;
    for (const auto& r : st.recovery) known = secrets::same(r, h) || known;
    if (known) {
      auto spent = spend("DELETE FROM recovery_codes WHERE account = ?1 AND hash = ?2",
                         [&](store::Statement& s) { s.bind(1, n).bind(2, h); });
      if (!spent) return std::unexpected(spent.error());
      if (*spent) accepted = SignIn{n, Method::recovery, true}, password = prefix;
    }
  } else if (prefix_ok && !code.empty() && !st.seed.empty()) {
    if (auto step = secrets::totp_match(st.seed, code, now)) {
      auto moved = spend("UPDATE accounts SET totp_last_step = ?2 WHERE name = ?1 AND totp_last_step < ?2",
                         [&](store::Statement& s) { s.bind(1, n).bind(2, *step); });
      if (!moved) return std::unexpected(moved.error());
      if (*moved) accepted = SignIn{n, Method::totp, true}, password = prefix;
    }
  } else if (whole_ok && !st.strong_required) {
    accepted = SignIn{n, Method::password, false}, password = secret;
  }
  if (!accepted) return denied();

  if (secrets::needs_rehash(st.hash)) {  // stored with older limits: bring it up to date
    if (auto fresh = secrets::hash_password(password))
      (void)spend("UPDATE accounts SET password = ?2 WHERE name = ?1 AND password = ?3",
                  [&](store::Statement& s) { s.bind(1, n).bind(2, *fresh).bind(3, st.hash); });
  }
  return *accepted;
}

}  // namespace sm::auth
