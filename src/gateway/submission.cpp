// submission.cpp - sign-in, sending-as and strong-authentication checks of
// the submission listeners, in front of the relay's outbound handling.
#include "gateway/submission.h"

#include <chrono>

#include "audit/appender.h"
#include "auth/assurance.h"
#include "auth/throttle_config.h"
#include "gateway/listener.h"
#include "gateway/submission_sink.h"
#include "policy/strength.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/text.h"

namespace sm::gateway {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Error auth_failed() { return Error{535, "5.7.8", "authentication failed"}; }

metrics::LabeledCounter auth_failures_total("securemail_auth_failures_total",
                                            "Failed submission sign-ins (wrong password, code or account) by SASL mechanism",
                                            "mechanism", {"PLAIN", "LOGIN"});

Error not_yours(std::string_view address) {
  return Error{550, "5.7.1", "<" + std::string(address) + ">: not yours to send as"};
}

}  // namespace

Result<std::unique_ptr<Submission>> Submission::open(const config::Config& config, Receiver& relay,
                                                     DirectorySnapshot directory) {
  auto accounts = auth::AccountStore::open(config.data_dir);
  if (!accounts) return std::unexpected(accounts.error());
  return std::make_unique<Submission>(config, relay, std::move(directory), std::move(*accounts));
}

Submission::Submission(const config::Config& config, Receiver& relay, DirectorySnapshot directory,
                       std::unique_ptr<auth::AccountStore> accounts)
    : config_(config), relay_(relay), directory_(std::move(directory)), accounts_(std::move(accounts)),
      throttle_(auth::throttle_limits(config.auth)) {}

Submission::~Submission() { pool_.join(); }

Result<void> Submission::listen(asio::io_context& io, const smtp::ServerOptions& base,
                                std::map<std::string, std::string>& bound,
                                std::vector<std::unique_ptr<Listener>>& listeners) {
  for (auto [name, at, implicit] : {std::tuple{"submission", config_.listen.submission, false},
                                    std::tuple{"submissions", config_.listen.submissions, true}}) {
    if (!at.enabled()) continue;
    smtp::ServerOptions opts = base;
    opts.listener = name;
    opts.auth = true;
    opts.implicit_tls = implicit;
    auto l = std::make_unique<Listener>(io, std::move(opts), config_.limits, relay_, *this, 0);
    auto ep = l->bind(at);
    if (!ep) return std::unexpected(ep.error());
    bound[name] = config::Endpoint{ep->address().to_string(), ep->port()}.str();
    listeners.push_back(std::move(l));
  }
  return {};
}

// On the pool: the slow part (argon2id), and the account's addresses and
// flags for the checks that follow in this session.
Result<auth::SignIn> Submission::check(const std::string& user, const smtp::Credentials& credentials) {
  auto signin = accounts_->check(user, credentials.secret, unix_now());
  if (!signin) return signin;
  auto account = accounts_->find(signin->account);
  if (!account) return std::unexpected(account.error());
  if (!*account) return std::unexpected(auth_failed());  // removed meanwhile
  std::lock_guard lock(mutex_);
  signed_in_[signin->account] = std::move(**account);
  return signin;
}

asio::awaitable<Result<smtp::Authenticated>> Submission::authenticate(const smtp::SessionInfo& session,
                                                                      const smtp::Credentials& credentials) {
  auto exec = co_await asio::this_coro::executor;
  const std::string user = ascii_lower(credentials.authcid);
  if (throttle_.before(user, session.peer_address, auth::Throttle::Clock::now()).blocked) {
    log::warn("submission: sign-in for {} from [{}] refused: throttled", user, session.peer_address);
    audit::record({"auth.lockout", user, session.peer_address, {{"listener", "submission"}}});
    co_return fail(454, "4.7.0", "too many failed sign-ins; try again later");
  }
  Result<auth::SignIn> signin = std::unexpected(auth_failed());
  // RFC 4616: acting for someone else (an authzid other than oneself) is never allowed here.
  if (credentials.authzid.empty() || ascii_lower(credentials.authzid) == user) {
    co_await asio::post(pool_.get_executor(), asio::use_awaitable);
    signin = check(user, credentials);
    co_await asio::post(exec, asio::use_awaitable);
  }
  if (!signin) {
    if (signin.error().code != 535) co_return std::unexpected(signin.error());  // local trouble, not a guess
    auth_failures_total.add(credentials.mechanism);
    auto verdict = throttle_.failed(user, session.peer_address, auth::Throttle::Clock::now());
    audit::record({verdict.blocked ? "auth.lockout" : "auth.signin.failed", user, session.peer_address,
                   {{"listener", "submission"}, {"mechanism", std::string(credentials.mechanism)}}});
    if (verdict.delay.count() > 0) {
      asio::steady_timer wait(exec, verdict.delay);
      std::error_code ignored;
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return std::unexpected(auth_failed());
  }
  throttle_.succeeded(user);
  co_return smtp::Authenticated{signin->account, std::string(auth::to_string(signin->method)), signin->strong};
}

Result<auth::Account> Submission::signed_in(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = signed_in_.find(user);
  if (user.empty() || it == signed_in_.end()) return fail(530, "5.7.0", "Authentication required");
  return it->second;
}

Result<void> Submission::on_mail(const smtp::SessionInfo& session, const mail::Envelope& env) {
  auto account = signed_in(session.auth_user);
  if (!account) return std::unexpected(account.error());
  if (env.sender.empty() || !owns_address(account->addresses, env.sender)) return std::unexpected(not_yours(env.sender));
  return {};
}

std::string Submission::member_of(const std::string& recipient) const {
  auto dir = directory_ ? directory_() : nullptr;
  if (!dir || config_.receives_for(mail::domain_of(recipient))) return {};
  const auto* m = dir->lookup_address(recipient);
  return m ? m->id : std::string();
}

Result<void> Submission::on_rcpt(const smtp::SessionInfo& session, const mail::Envelope& env,
                                 const mail::Recipient& rcpt) {
  if (auto ok = relay_.on_rcpt(session, env, rcpt); !ok) return ok;
  // Rules with marking_min wait for the content (the policy engine's strong-auth guard after DATA).
  const auto* rule = policy::needs_strong(config_, env.sender, rcpt.address, member_of(rcpt.address),
                                          policy::MarkingLevel::unknown());
  if (rule && !session.auth_strong)
    return fail(550, "5.7.9", "strong authentication required by rule " + rule->name);
  return {};
}

Result<std::unique_ptr<smtp::MessageSink>> Submission::on_data(const smtp::SessionInfo& session,
                                                               const mail::Envelope& env) {
  auto account = signed_in(session.auth_user);
  if (!account) return std::unexpected(account.error());
  mail::Envelope stamped = env;
  stamped.auth_user = session.auth_user;
  stamped.auth_method = session.auth_method;
  stamped.auth_strong = session.auth_strong;
  auth::SenderAssurance assurance;
  assurance.auth = session.auth_method;
  assurance.strong = session.auth_strong;
  assurance.sole_user = account->assurance.sole_user.set;
  assurance.identity_verified = account->assurance.identity_verified.set;
  assurance.identity_level = account->assurance.identity_verified.level;
  auto relay = relay_.on_data(session, stamped);
  if (!relay) return std::unexpected(relay.error());
  return std::make_unique<SubmissionSink>(std::move(*relay), account->addresses, assurance.header_value(),
                                          session.auth_user);
}

}  // namespace sm::gateway
