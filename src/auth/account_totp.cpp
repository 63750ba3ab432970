// account_totp.cpp - AccountStore's TOTP enrolment (RFC 6238) with its
// recovery codes: the operator's enrolment, active at once, and the
// self-service one, pending until a code from the new seed confirms it (so
// an abandoned or half-done set-up never changes how the account signs in).
#include <cctype>

#include "auth/account_db.h"
#include "auth/secrets.h"
#include "util/text.h"

namespace sm::auth {
namespace {

constexpr int kRecoveryCodes = 10;

// "%XX" for everything but unreserved characters (RFC 3986).
std::string percent(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') out += static_cast<char>(ch);
    else out += {'%', kHex[ch >> 4], kHex[ch & 15]};
  }
  return out;
}

std::vector<std::string> new_recovery_codes() {
  std::vector<std::string> codes;
  for (int i = 0; i < kRecoveryCodes; ++i) codes.push_back(secrets::random_recovery_code());
  return codes;
}

// Make `seed` the account's active seed (step `step` counts as used) with
// these recovery codes, dropping any pending one. (inside with_account)
Result<> activate(store::Database& db, const std::string& name, const std::string& seed, std::int64_t step,
                  const std::vector<std::string>& codes) {
  if (auto r = detail::run(db, "UPDATE accounts SET totp_seed = ?2, totp_last_step = ?3, totp_pending = NULL WHERE name = ?1",
                           [&](store::Statement& s) { s.bind(1, name).bind_blob(2, seed).bind(3, step); });
      !r)
    return r;
  if (auto r = detail::run(db, "DELETE FROM recovery_codes WHERE account = ?1", [&](store::Statement& s) { s.bind(1, name); });
      !r)
    return r;
  for (const auto& code : codes)
    if (auto r = detail::run(db, "INSERT INTO recovery_codes (account, hash) VALUES (?1, ?2)",
                             [&](store::Statement& s) { s.bind(1, name).bind(2, secrets::sha256_hex(code)); });
        !r)
      return r;
  return {};
}

}  // namespace

Result<TotpEnrolment> new_totp_enrolment(std::string_view name, std::string_view issuer) {
  if (issuer.empty()) return local_error("TOTP enrolment needs an issuer name (the [auth] issuer key)");
  TotpEnrolment e;
  e.seed = secrets::random_seed();
  auto b32 = secrets::base32(e.seed);
  if (!b32) return std::unexpected(b32.error());
  e.secret_base32 = *b32;
  e.uri = "otpauth://totp/" + percent(issuer) + ":" + percent(name) + "?secret=" + *b32 + "&issuer=" + percent(issuer) +
          "&algorithm=SHA1&digits=6&period=30";
  return e;
}

Result<TotpEnrolment> AccountStore::enrol_totp(std::string_view name, std::string_view issuer) {
  std::string n = ascii_lower(name);
  auto e = new_totp_enrolment(n, issuer);
  if (!e) return std::unexpected(e.error());
  e->recovery_codes = new_recovery_codes();
  auto stored = detail::with_account(*impl_, n, [&](store::Database& db, const Account&) {
    return activate(db, n, e->seed, 0, e->recovery_codes);
  });
  if (!stored) return std::unexpected(stored.error());
  e->seed.clear();  // kept by the store
  return e;
}

Result<> AccountStore::remove_totp(std::string_view name) {
  return detail::with_account(*impl_, ascii_lower(name), [](store::Database& db, const Account& a) -> Result<> {
    if (!a.totp) return local_error("account \"" + a.name + "\" has no TOTP enrolled");
    if (auto r = detail::run(db, "UPDATE accounts SET totp_seed = NULL, totp_last_step = 0 WHERE name = ?1",
                             [&](store::Statement& s) { s.bind(1, a.name); });
        !r)
      return r;
    return detail::run(db, "DELETE FROM recovery_codes WHERE account = ?1", [&](store::Statement& s) { s.bind(1, a.name); });
  });
}

Result<TotpEnrolment> AccountStore::begin_totp(std::string_view name, std::string_view issuer) {
  std::string n = ascii_lower(name);
  auto e = new_totp_enrolment(n, issuer);
  if (!e) return std::unexpected(e.error());
  auto stored = detail::with_account(*impl_, n, [&](store::Database& db, const Account&) {
    return detail::run(db, "UPDATE accounts SET totp_pending = ?2 WHERE name = ?1",
                       [&](store::Statement& s) { s.bind(1, n).bind_blob(2, e->seed); });
  });
  if (!stored) return std::unexpected(stored.error());
  e->seed.clear();  // kept by the store
  return e;
}

Result<std::vector<std::string>> AccountStore::confirm_totp(std::string_view name, std::string_view code,
                                                             std::int64_t now) {
  std::string n = ascii_lower(name);
  std::vector<std::string> codes;
  bool matched = false;
  auto done = detail::with_account(*impl_, n, [&](store::Database& db, const Account&) -> Result<> {
    std::string pending;
    if (auto r = detail::each_row(db, "SELECT coalesce(totp_pending, x'') FROM accounts WHERE name = ?1", n,
                                  [&](const store::Statement& row) { pending = row.blob_at(0); });
        !r)
      return r;
    if (pending.empty()) return local_error("account \"" + n + "\" has no TOTP set-up waiting for confirmation");
    auto step = secrets::totp_match(pending, code, now);
    if (!step) return {};  // committed as it was: the seed stays pending
    matched = true;
    codes = new_recovery_codes();
    return activate(db, n, pending, *step, codes);
  });
  if (!done) return std::unexpected(done.error());
  if (!matched) return fail(535, "5.7.8", "authentication failed");
  return codes;
}

Result<> AccountStore::cancel_totp(std::string_view name) {
  std::string n = ascii_lower(name);
  return detail::with_account(*impl_, n, [&](store::Database& db, const Account&) {
    return detail::run(db, "UPDATE accounts SET totp_pending = NULL WHERE name = ?1",
                       [&](store::Statement& s) { s.bind(1, n); });
  });
}

}  // namespace sm::auth
