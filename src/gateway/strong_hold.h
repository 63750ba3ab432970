// strong_hold.h - [[strong_auth]] on the receiving side: a verified
// message (marked at or above the rule's marking_min, when it has one) for
// a local account that cannot sign in strongly (no TOTP, no strong device)
// is held until it can (inbound = "hold") or returned to
// its sender (inbound = "return", 550 5.7.9 "recipient has no strong
// authentication").
//
// Held: one held queue copy per such recipient, with
// Envelope::strong_hold_until = arrival + [mailboxes] hold_time, and a
// plain notice to the recipient. A periodic scan (strong_hold_scans)
// releases a copy once its recipient's account is strong-capable, and
// returns it with a DSN (5.7.9) and removes it once strong_hold_until has
// passed. A recipient returned in a message with others is held with
// strong_hold_until = now, so the next scan returns it alone.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "auth/accounts.h"
#include "config/config.h"
#include "gateway/bouncer.h"
#include "policy/marking.h"
#include "queue/spool.h"
#include "util/error.h"

namespace sm::gateway {

// The reply, and the DSN status, for a recipient returned by strength.
Error no_strong_authentication();

// What becomes of each recipient of one verified message.
struct StrengthSplit {
  enum class Fate { deliver, hold, return_ };
  std::vector<Fate> fate;  // by envelope recipient index
  std::vector<std::string> log;  // one line per recipient not delivered at once

  // The members of group with this fate.
  std::vector<std::size_t> pick(const std::vector<std::size_t>& group, Fate f) const;
  // The queue copies group becomes: those delivered at once together,
  // each held one alone (released on its own), those returned together.
  std::vector<std::pair<std::vector<std::size_t>, Fate>> copies(const std::vector<std::size_t>& group) const;
};

class StrongHolds {
 public:
  // Opens the account store of config.data_dir.
  static Result<std::unique_ptr<StrongHolds>> open(const config::Config& config, queue::Spool& spool, Bouncer& bouncer);
  StrongHolds(const config::Config& config, queue::Spool& spool, Bouncer& bouncer,
              std::shared_ptr<auth::AccountStore> accounts);

  // For a message signed by `member` and marked `marking` (read from the
  // opened, verified content; it agrees with the signed SecureMail-Marking)
  // to these recipients of env: rules with marking_min apply only when the
  // marking is at or above it. 451 when an account cannot be read.
  // Thread-safe.
  Result<StrengthSplit> split(const mail::Envelope& env, const std::vector<std::size_t>& recipients,
                              std::string_view member, const policy::Marking& marking) const;
  // The plain notice to a held recipient, written (not committed).
  Result<std::unique_ptr<queue::SpoolWriter>> notice(const mail::Envelope& held, std::string_view member) const;

  // What a scan found among the held messages (account look-ups: call it
  // off the event loop).
  struct Due {
    std::vector<std::string> release;  // the recipient can now sign in strongly
    std::vector<std::string> expire;   // past strong_hold_until
  };
  Due scan(std::int64_t now);
  // Act on it (on the event loop): release (then `released` hands each id
  // to delivery), or return with a DSN and remove.
  void apply(const Due& due, const std::function<void(const std::string&)>& released);

  std::chrono::seconds interval() const { return std::chrono::seconds(10); }
  auth::AccountStore& accounts() { return *accounts_; }

 private:
  Result<bool> strong_capable(const std::string& address) const;  // false: a local account that cannot

  const config::Config& config_;
  queue::Spool& spool_;
  Bouncer& bouncer_;
  std::shared_ptr<auth::AccountStore> accounts_;
  std::set<std::string> other_holds_;  // held ids that are not ours (quarantine): not loaded again
};

// Every StrongHolds::interval(): scan on the pool, apply on the caller's executor.
asio::awaitable<void> strong_hold_scans(StrongHolds& holds, asio::thread_pool& pool,
                                        std::function<void(const std::string&)> released);

}  // namespace sm::gateway
