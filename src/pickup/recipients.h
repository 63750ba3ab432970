// recipients.h - accounts of returning pickup recipients
// (DATA/pickup/recipients.sqlite, 0600): a recipient who proved their
// address with an emailed code may keep a password (argon2id) and an
// authenticator (TOTP seed) for that exact address, and then signs in to
// any later message for it with both instead of waiting for a code.
//
// A lost password or authenticator is reset only by a link mailed to the
// address: 256 random bits of which only the SHA-256 is kept, valid
// kResetSeconds, used at most once (taken in one UPDATE, so two tabs
// cannot both use it). No security questions. Repeated wrong sign-ins lock
// the account; an account unused for [pickup] account_idle is deleted.
// Thread-safe (one lock); `securemail pickup accounts|forget` open the same
// file while the gateway runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite.h"
#include "util/error.h"

namespace sm::pickup {

inline constexpr std::int64_t kResetSeconds = 30 * 60;
inline constexpr std::int64_t kResetGap = 5 * 60;  // at most one reset mail per account this often

struct RecipientAccount {
  std::string address;         // as the messages name it, lower-cased
  std::string password_hash;   // argon2id string
  std::string totp_seed;       // raw seed octets
  std::int64_t last_step = 0;  // the newest TOTP step used: never accepted again
  std::int64_t created = 0, last_used = 0;
  int failures = 0;            // wrong sign-ins since the last right one
  std::int64_t locked_until = 0;
  std::int64_t reset_sent_at = 0;
  std::string reset_ref;       // the message the reset was asked from (its mails' domain)
};

class RecipientAccounts {
 public:
  static Result<RecipientAccounts> open(const std::filesystem::path& file);
  static std::filesystem::path file_in(const std::filesystem::path& data_dir) {
    return data_dir / "pickup" / "recipients.sqlite";
  }

  std::optional<RecipientAccount> find(const std::string& address);
  std::vector<RecipientAccount> list();
  // A new account; 409 4.7.0 when the address has one already.
  Result<> create(const std::string& address, const std::string& password_hash, const std::string& seed,
                  std::int64_t step, std::int64_t now);
  // Returns whether there was one.
  Result<bool> remove(const std::string& address);

  // A right password and code at `step`: failures cleared, the step spent.
  // False when that step (or a later one) was spent already (a replayed
  // code), which the caller treats as wrong.
  Result<bool> signed_in(const std::string& address, std::int64_t step, std::int64_t now);
  // A wrong one: counted; at max_failures the account is locked until
  // lock_until and the count starts again. Returns the row after.
  Result<RecipientAccount> failed(const std::string& address, int max_failures, std::int64_t lock_until);

  // Keep the hash of a new reset link (replacing any earlier one).
  Result<> reset_sent(const std::string& address, const std::string& reset_hash, const std::string& ref,
                      std::int64_t now);
  // The account whose unexpired link has this hash, without using it.
  std::optional<RecipientAccount> by_reset(const std::string& reset_hash, std::int64_t now);
  // Use the link: new password and seed, the lock and failures cleared, the
  // link gone. False when it is not (or no longer) valid.
  Result<bool> reset(const std::string& reset_hash, const std::string& password_hash, const std::string& seed,
                     std::int64_t step, std::int64_t now);

  // Delete accounts last used (or created) before `before`; their addresses.
  Result<std::vector<std::string>> remove_idle(std::int64_t before);

 private:
  explicit RecipientAccounts(store::Database db) : db_(std::move(db)) {}
  std::vector<RecipientAccount> rows(std::string_view where, const std::string& text, std::int64_t number);
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();  // movable
  store::Database db_;
};

}  // namespace sm::pickup
