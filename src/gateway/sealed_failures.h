// sealed_failures.h - slowing down, then refusing, clients whose sealed
// messages keep failing to open or verify.
//
// A padding-oracle or forgery campaign needs thousands of tries; an honest
// member gateway fails rarely. So every failed sealed message is answered
// no sooner than `delay` after the end of DATA (which also hides how long
// the decryption took: the reply time does not depend on where it failed),
// doubled for each failure of the same client within `window` (capped at
// 30 s); a client with `limit` failures within `window` is refused at MAIL
// (450 4.7.1) until `block` has passed. The client is the member its TLS
// client certificate names when it has one, else its IP address.
//
// Never a verdict on one message: the reply itself is the same for every
// failure (inbound.h, sealed_failure_reply).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "util/error.h"

namespace sm::gateway {

class SealedFailures {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    std::chrono::milliseconds delay{1000};
    std::size_t limit = 10;
    std::chrono::seconds window{600};
    std::chrono::seconds block{900};
  };
  static constexpr std::chrono::milliseconds kMaxDelay{30000};
  static constexpr std::size_t kMaxClients = 10000;  // oldest forgotten beyond this

  explicit SealedFailures(Settings s) : settings_(s) {}

  // Note a failure of this client now; returns how long after the end of
  // DATA the reply must wait.
  std::chrono::milliseconds failed(const std::string& client, Clock::time_point now = Clock::now());
  // The reply refusing this client now, if it is blocked.
  std::optional<Error> blocked(const std::string& client, Clock::time_point now = Clock::now());

 private:
  struct Client {
    std::deque<Clock::time_point> failures;  // within the window
    Clock::time_point blocked_until{};
    Clock::time_point last{};
  };
  void forget_oldest();  // mu_ held

  Settings settings_;
  std::mutex mu_;
  std::map<std::string, Client> clients_;
};

}  // namespace sm::gateway
