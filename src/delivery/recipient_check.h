// recipient_check.h - does the organisation have this local recipient?
// Asked at RCPT when [deliver] recipients = "verify", so mail for a mailbox
// that does not exist is refused there (550 5.1.1) instead of taken and
// bounced later: the sender hears at once, and no notice goes to a forged
// sender (backscatter).
//
//   Maildir     an account's address (the caller's lookup), or a folder
//               that already exists under the Maildir root.
//   smtp, lmtp  the internal server is asked at RCPT without a message
//               (SmtpClient::probe_recipient) and its answer cached, as
//               Postfix's verify(8) does for reject_unverified_recipient:
//               a mailbox it took is known for 7 days, one it refused for
//               1 hour. When it cannot answer (down, a time-out, a 4xx) the
//               recipient is taken and nothing is cached: the queue holds
//               the mail until the server is back, which is what the
//               gateway's queue is for (Postfix would answer 450 instead).
//   every kind  the role addresses (postmaster@ and abuse@ at each of our
//               domains, the admin contact) are always taken: RFC 5321
//               4.5.1 and RFC 2142 want them, and the directory lists the
//               contact.
//
// Counted in securemail_recipient_checks_total{result}: taken, refused,
// unanswered (taken without an answer), failed (an account lookup).
// Thread-safe: sessions on every thread ask at once.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "delivery/smtp_client.h"
#include "delivery/transport.h"
#include "util/error.h"

namespace sm::delivery {

class RecipientCheck {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::hours kKnownFor{7 * 24};
  static constexpr std::chrono::hours kUnknownFor{1};
  static constexpr std::chrono::milliseconds kCalloutTimeout{10'000};  // connect, and each reply

  struct Options {
    NextHop internal;       // maildir, smtp or lmtp
    ClientOptions client;   // our name in LHLO/EHLO, TLS; its time-outs are capped at kCalloutTimeout
    // Maildir: is there an account with this address (lower-case)? null: none.
    std::function<Result<bool>(const std::string& address)> has_account;
    std::vector<std::string> role_addresses;  // always taken
    std::size_t max_cached = 100'000;         // beyond this, expired answers go, then all
  };

  // What the last answers came from, for the log and tests.
  struct Counts {
    std::uint64_t taken = 0, refused = 0, unanswered = 0, from_cache = 0, callouts = 0;
  };

  explicit RecipientCheck(Options options);

  // Ok: take the recipient. Else the RCPT reply (550 5.1.1, or 451 4.3.0
  // when an account lookup failed). `executor` runs the callout.
  asio::awaitable<Result<void>> check(asio::any_io_executor executor, const std::string& address);

  Counts counts() const;

 private:
  struct Answer {
    bool known = false;
    std::string said;  // the server's refusal
    Clock::time_point until;
  };
  Result<void> in_maildir(const std::string& address);
  Result<void> refusal(const std::string& address, const std::string& why) const;
  void remember(const std::string& key, Answer answer);

  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, Answer> cache_;
  Counts counts_;
};

}  // namespace sm::delivery
