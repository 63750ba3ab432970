// web_sign_in.cpp - password + one-time code through the throttle (see
// web_sign_in.h).
#include "admin/web_sign_in.h"

#include <chrono>
#include <optional>
#include <thread>

#include "util/log.h"
#include "util/text.h"

namespace sm::admin {
namespace {

using Clock = std::chrono::steady_clock;

// Long enough for any password and code; longer input is refused unchecked.
constexpr std::size_t kMaxSecret = 1024;

}  // namespace

std::string loggable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  return out.empty() ? "(empty)" : out;
}

Result<auth::SignIn> check_sign_in(auth::AccountStore& accounts, auth::Throttle& throttle, const SignInRules& rules,
                                   const SignInAttempt& attempt) {
  const std::string& name = attempt.account;
  auto verdict = throttle.before(name, attempt.client, Clock::now());
  if (verdict.blocked) {
    log::warn("{}: sign-in for {} from {} refused: too many failures", rules.site, loggable(name), attempt.client);
    return fail(454, "4.7.0", "Too many failed attempts. Wait a while and try again.");
  }
  std::string secret = std::string(attempt.password) + without_spaces(attempt.code);
  std::optional<auth::SignIn> accepted;
  bool lacks_totp = false;
  if (!name.empty() && !attempt.password.empty() && secret.size() <= kMaxSecret) {
    auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    auto checked = accounts.check(name, secret, unix_now);
    if (!checked && checked.error().code != 535) {
      log::error("{}: sign-in for {}: {}", rules.site, loggable(name), checked.error().text);
      return fail(451, "4.3.0", "Signing in is not possible right now. Try again later.");
    }
    // Device passwords are for mail programs; an account with TOTP needs its code here.
    if (checked && checked->method == auth::Method::password) {
      auto found = accounts.find(name);
      bool no_totp = found && *found && !(**found).totp;
      if (no_totp && !rules.require_totp) accepted = *checked;
      lacks_totp = no_totp && rules.require_totp;
    } else if (checked && checked->method != auth::Method::device &&
               (!rules.require_totp || checked->method == auth::Method::totp)) {
      accepted = *checked;
    }
    if (accepted && rules.permitted && !rules.permitted(name)) {
      log::warn("{}: {} from {} is not permitted here", rules.site, loggable(name), attempt.client);
      accepted.reset();
    }
  }
  if (accepted) {
    throttle.succeeded(name);
    return *accepted;
  }
  auto after = throttle.failed(name, attempt.client, Clock::now());
  log::warn("{}: failed sign-in for {} from {}", rules.site, loggable(name), attempt.client);
  if (after.delay.count() > 0) std::this_thread::sleep_for(after.delay);
  if (after.blocked) return fail(454, "4.7.0", "Too many failed attempts. Wait a while and try again.");
  if (lacks_totp)
    return fail(530, "5.7.0", "This account has no authenticator (TOTP) enrolled, and the console needs one. "
                              "Ask an operator to run: securemail user totp enrol ACCOUNT");
  return fail(535, "5.7.8", "The account, password or code is not right.");
}

}  // namespace sm::admin
