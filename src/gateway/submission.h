// submission.h - the submission listeners ([listen] submission: port 587
// semantics, STARTTLS; [listen] submissions: implicit TLS, port 465) and
// the handler behind them: who signs in (auth/accounts.h, slowed and
// blocked by auth/throttle.h), as whom they may send, which recipients
// need a strong sign-in, and then the relay's outbound handling
// (receiver.h: sealed for member recipients, plain for the rest).
//
// Sign-ins run on a small pool of their own (argon2id takes a while and
// must not stall the event loop); a throttle delay is waited with a timer.
// Replies: 535 5.7.8 for any failed sign-in, 454 4.7.0 while throttled or
// blocked, 550 5.7.1 "not yours to send as" for a MAIL FROM or From:
// address the account does not own, 550 5.7.9 for a recipient whose
// [[strong_auth]] rule the sign-in does not meet.
#pragma once

#include <asio.hpp>
#include <asio/thread_pool.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/accounts.h"
#include "auth/throttle.h"
#include "config/config.h"
#include "gateway/outbound.h"
#include "gateway/receiver.h"
#include "smtp/server.h"

namespace sm::gateway {

class Listener;

class Submission : public smtp::TransactionHandler {
 public:
  // Opens DATA/accounts.sqlite.
  static Result<std::unique_ptr<Submission>> open(const config::Config& config, Receiver& relay,
                                                  DirectorySnapshot directory);
  Submission(const config::Config& config, Receiver& relay, DirectorySnapshot directory,
             std::unique_ptr<auth::AccountStore> accounts);
  ~Submission() override;

  // Bind the configured submission listeners (base: hostname, limits, TLS);
  // each bound one is named in `bound` (listeners.json) and added to `listeners`.
  Result<void> listen(asio::io_context& io, const smtp::ServerOptions& base, std::map<std::string, std::string>& bound,
                      std::vector<std::unique_ptr<Listener>>& listeners);

  asio::awaitable<Result<smtp::Authenticated>> authenticate(const smtp::SessionInfo& session,
                                                            const smtp::Credentials& credentials) override;
  Result<void> on_mail(const smtp::SessionInfo& session, const mail::Envelope& env) override;
  Result<void> on_rcpt(const smtp::SessionInfo& session, const mail::Envelope& env,
                       const mail::Recipient& rcpt) override;
  Result<std::unique_ptr<smtp::MessageSink>> on_data(const smtp::SessionInfo& session,
                                                     const mail::Envelope& env) override;

 private:
  Result<auth::SignIn> check(const std::string& user, const smtp::Credentials& credentials);
  // The account as it was at its last sign-in (addresses, flags).
  Result<auth::Account> signed_in(const std::string& user) const;
  std::string member_of(const std::string& recipient) const;

  const config::Config& config_;
  Receiver& relay_;
  DirectorySnapshot directory_;
  std::unique_ptr<auth::AccountStore> accounts_;
  auth::Throttle throttle_;
  mutable std::mutex mutex_;
  std::map<std::string, auth::Account> signed_in_;
  asio::thread_pool pool_{2};
};

}  // namespace sm::gateway
