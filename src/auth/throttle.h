// throttle.h - failed sign-ins slowed, then blocked, per account and per
// client address, so guessing is slow while everyone else signs in as
// usual (the numbers are [auth] keys; docs/mailboxes.md states them).
//
// In memory (a restart forgets, like Dovecot's auth penalty); thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sm::auth {

struct ThrottleLimits {
  std::uint64_t account_delay_after = 3;   // failures within window before replies are delayed
  std::uint64_t account_lock = 10;         // failures within window that lock the account
  std::uint64_t client_lock = 20;          // failures from one address within window that block it
  std::chrono::seconds window{900};
  std::chrono::seconds lock_time{900};
  std::chrono::seconds first_delay{1};     // doubled per further failure, at most max_delay
  std::chrono::seconds max_delay{15};
};

class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Throttle(ThrottleLimits limits) : limits_(limits) {}

  struct Verdict {
    bool blocked = false;              // refuse without checking (454 4.7.0)
    std::chrono::milliseconds delay{0};  // wait this long before answering a failure
  };
  // Before checking a secret.
  Verdict before(std::string_view account, std::string_view client, Clock::time_point now);
  // After: a failure counts against both; a success clears the account's.
  Verdict failed(std::string_view account, std::string_view client, Clock::time_point now);
  void succeeded(std::string_view account);

 private:
  ThrottleLimits limits_;
  std::mutex mu_;
  struct Count {
    std::uint64_t failures = 0;
    Clock::time_point first{}, locked_until{};
  };
  std::unordered_map<std::string, Count> accounts_, clients_;
};

}  // namespace sm::auth
