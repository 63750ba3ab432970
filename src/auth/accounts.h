// accounts.h - the mailbox accounts of a mail service provider
// (DATA/accounts.sqlite): who may sign in, with what, and as which
// addresses they may send.
//
// Secrets are never stored: passwords as argon2id strings (libsodium
// crypto_pwhash_str, OPSLIMIT/MEMLIMIT in docs/mailboxes.md); TOTP seeds
// as they are, since codes are computed from them (the file is 0600 in the
// 0700 data folder, as Dovecot keeps its passdb); device passwords and
// recovery codes as
// SHA-256 of their random value (128 bits of entropy need no slow hash;
// this keeps IMAP logins cheap).
//
// Thread-safe (one internal lock). Every change is one SQLite transaction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::auth {

// How a sign-in proved itself.
enum class Method { password, totp, device, recovery };
std::string_view to_string(Method method);  // "password", "totp", "device", "recovery"

// A flag the provider set on an account, with who set it and when.
struct Flag {
  bool set = false;
  std::string by;          // operator name or "self-service:<account>"
  std::int64_t at = 0;     // unix seconds
  std::string level;       // identity_verified: the evidence level checked (e.g. "document", "in-person"); else ""
};

struct Assurance {
  Flag strong_required;    // the account may only sign in strongly (password alone refused)
  Flag sole_user;          // the holder acknowledged being the only user of the mailbox
  Flag identity_verified;  // the provider checked who holds it (level says how)
};

struct Device {
  std::string name;               // "phone", unique per account
  std::int64_t created_at = 0;
  std::int64_t last_used_at = 0;  // 0: never
  bool strong = false;            // created after a strong sign-in (or by an operator): its logins count as strong
};

struct Account {
  std::string name;                      // login name, lower-case
  std::vector<std::string> addresses;    // lower-case; the first is primary; may send as any of these
  bool enabled = true;
  bool totp = false;                     // a TOTP seed is enrolled
  std::int64_t created_at = 0;
  Assurance assurance;
  std::vector<Device> devices;
  std::uint64_t recovery_codes_left = 0;
  // Enrolled strongly: TOTP, or a strong device. Inbound mail that needs
  // strong authentication waits for this.
  bool strong_capable() const;
};

struct TotpEnrolment {
  std::string secret_base32;                 // the seed, shown once
  std::string uri;                           // otpauth://totp/ISSUER:NAME?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
  std::vector<std::string> recovery_codes;   // ten, shown once
  std::string seed;                          // the raw seed, where no store keeps it yet (pickup's pending one)
};

// A fresh seed (in `seed`) and the otpauth:// URI labelled ISSUER:NAME,
// both percent-encoded; an error without an issuer. AccountStore's
// enrolments and pickup's recipients' accounts make theirs with it.
Result<TotpEnrolment> new_totp_enrolment(std::string_view name, std::string_view issuer);

// Outcome of checking one secret.
struct SignIn {
  std::string account;
  Method method = Method::password;
  bool strong = false;   // totp, recovery, or a strong device
};

class AccountStore {
 public:
  // Open or create DATA/accounts.sqlite (file mode 0600).
  static Result<std::unique_ptr<AccountStore>> open(const std::filesystem::path& data_dir);
  static std::filesystem::path file(const std::filesystem::path& data_dir);

  // Errors for the CLI carry 550 5.1.1-like codes only where SMTP will see
  // them; else 451 with a text naming the account.
  Result<> add(std::string_view name, const std::vector<std::string>& addresses, std::string_view password);
  Result<> set_password(std::string_view name, std::string_view password);
  Result<> set_enabled(std::string_view name, bool enabled);
  Result<> remove(std::string_view name);
  Result<> add_address(std::string_view name, std::string_view address);
  Result<> remove_address(std::string_view name, std::string_view address);
  Result<std::optional<Account>> find(std::string_view name) const;
  Result<std::vector<Account>> list() const;
  // The account that owns this address (case-insensitive), if any.
  Result<std::optional<std::string>> owner_of(std::string_view address) const;
  // A fingerprint of what signs the account in (its password hash): it
  // changes with the password, and is "" for a disabled or missing
  // account. Web sessions keep the one they signed in with and end when it
  // changes (a password change, `user passwd`, `user disable`).
  Result<std::string> credential_stamp(std::string_view name) const;

  // Assurance flags. which: "strong-required", "sole-user", "identity-verified".
  Result<> set_flag(std::string_view name, std::string_view which, bool value, std::string_view by,
                    std::string_view level = {});

  // TOTP (RFC 6238: SHA-1, 6 digits, 30 s). enrol_totp() replaces any
  // seed and the recovery codes and is active at once (an operator at the
  // console: `securemail user totp enrol`).
  Result<TotpEnrolment> enrol_totp(std::string_view name, std::string_view issuer);
  Result<> remove_totp(std::string_view name);
  // Self-service: begin_totp() keeps a new seed pending (recovery_codes
  // empty); it signs nobody in and changes nothing until confirm_totp()
  // gets a current code from it (one step of drift either side). Then the
  // seed replaces any active one, its step counts as used, and the ten
  // recovery codes are made and returned (shown once). A wrong code: 535
  // 5.7.8, the seed stays pending. cancel_totp() drops a pending seed.
  Result<TotpEnrolment> begin_totp(std::string_view name, std::string_view issuer);
  Result<std::vector<std::string>> confirm_totp(std::string_view name, std::string_view code, std::int64_t now);
  Result<> cancel_totp(std::string_view name);

  // Device passwords: a random one, returned once.
  Result<std::string> add_device(std::string_view name, std::string_view device, bool strong);
  Result<> remove_device(std::string_view name, std::string_view device);

  // Check a secret for an account at time now (unix seconds). Accepted:
  //  - a device password (method device);
  //  - the password followed directly by the current TOTP code, one step
  //    of drift either side, a step never accepted twice (method totp);
  //  - the password followed by an unused recovery code (method recovery;
  //    the code is then spent);
  //  - the password alone (method password), unless strong_required.
  // Failure: 535 5.7.8 "authentication failed" (never says which part was
  // wrong, nor whether the account exists); disabled accounts fail alike.
  Result<SignIn> check(std::string_view name, std::string_view secret, std::int64_t now);

  ~AccountStore();

 private:
  struct Impl;
  explicit AccountStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sm::auth
