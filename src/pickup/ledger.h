// ledger.h - what the gateway knows about each message waiting for secure
// pickup (DATA/pickup/pickup.sqlite, 0600): its reference, the hash of its
// link token (never the token), sender and recipient, expiry, state, its
// sealed key (vault.h), the sign-in code's hash and counters, and the
// events its sender is told about. Thread-safe (one lock); `securemail
// pickup list|revoke` open the same file while the gateway runs, and every
// page reads the row anew, so a revocation takes effect on the next
// request.
//
// States: waiting (notified, not yet signed in), opened (signed in at least
// once), revoked, expired. Only waiting and opened show content; the other
// two keep the row (for the sender's events and `pickup list`) without the
// key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.h"
#include "util/error.h"

namespace sm::pickup {

struct Pickup {
  std::string ref;          // "P-7K3M-Q9XD-2FHT"
  std::string sender;       // envelope sender: told of every event
  std::string recipient;    // the one address codes go to
  std::string from_domain;  // the member domain the notification came from
  std::int64_t created = 0, expires = 0;
  std::string state;        // waiting, opened, revoked, expired
  std::string sealed_key;   // empty once revoked or expired
  std::uint64_t size = 0;
  // Sign-in.
  std::string code_hash;           // SHA-256 hex of the current code; empty: none
  std::int64_t code_expires = 0;
  int code_tries = 0;              // wrong tries of the current code
  int codes_sent = 0;              // in total
  std::int64_t last_code_at = 0;
  std::int64_t locked_until = 0;
  std::int64_t first_opened = 0;

  bool readable(std::int64_t now) const { return (state == "waiting" || state == "opened") && expires > now; }
};

struct Event {
  std::string ref;
  std::int64_t at = 0;
  std::string kind;    // notified, code-sent, opened, downloaded, replied, locked, revoked, expired
  std::string detail;
  std::int64_t id = 0;  // its row, once recorded
};

class Ledger {
 public:
  static Result<Ledger> open(const std::filesystem::path& file);
  static std::filesystem::path file_in(const std::filesystem::path& data_dir) {
    return data_dir / "pickup" / "pickup.sqlite";
  }

  // A new message; token_hash: SHA-256 hex of its link token.
  Result<> add(const Pickup& p, const std::string& token_hash);
  std::optional<Pickup> by_token_hash(const std::string& token_hash);
  std::optional<Pickup> by_ref(const std::string& ref);
  // Newest first; state "" for all.
  std::vector<Pickup> list(const std::string& state = {});

  // A new sign-in code (its hash), valid until `expires`; counts the send.
  Result<> set_code(const std::string& ref, const std::string& code_hash, std::int64_t expires, std::int64_t now);
  // A wrong code: one more try; when tries reach `max_tries` the code is
  // void and the message locked until `lock_until`. Returns the row after.
  Result<Pickup> wrong_code(const std::string& ref, int max_tries, std::int64_t lock_until);
  // The right code: the code is used up, the state becomes opened (first
  // time: first_opened = now). Returns whether this was the first opening.
  Result<bool> signed_in(const std::string& ref, std::int64_t now);
  // revoked or expired: the key goes (the caller erases the content).
  // Returns false when the message was not readable any more.
  Result<bool> close(const std::string& ref, const std::string& state);
  // Forget REF entirely (a hold that could not notify: nothing happened).
  Result<> remove(const std::string& ref);
  // Readable messages whose expiry is at or before `now`.
  std::vector<Pickup> due(std::int64_t now);

  // Events are recorded first and told to the sender afterwards (an
  // outbox: one recorded while the gateway was down, or by `pickup
  // revoke`, is told on the next sweep).
  Result<> record(const Event& e);
  std::vector<Event> events(const std::string& ref);
  std::vector<Event> untold();
  Result<> told(std::int64_t id);

 private:
  explicit Ledger(store::Database db) : db_(std::move(db)) {}
  std::optional<Pickup> one(std::string_view where, const std::string& value);
  // Rows matching `where` (after FROM); ?1 binds value and ?2 number where they appear.
  std::vector<Pickup> many(std::string_view where, const std::string& value, std::int64_t number);
  std::vector<Event> events_where(std::string_view where, const std::string& value);
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();  // movable
  store::Database db_;
};

}  // namespace sm::pickup
