// web_sign_in.h - signing in to a web page of the gateway (the self-service
// page, the admin console) with account, password and one-time code:
// the auth::Throttle numbers SMTP AUTH uses (slow replies, locks), device
// passwords never accepted, and a refusal that never says which part was
// wrong. Moved here from selfservice/site.cpp so both sites share it.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "auth/accounts.h"
#include "auth/throttle.h"
#include "util/error.h"

namespace sm::admin {

struct SignInRules {
  std::string_view site;     // log prefix: "selfservice", "console"
  bool require_totp = false;  // the code must be a TOTP code (the console)
  // Asked after the credentials were right: may this account use the site?
  // Refused like wrong credentials (and counted by the throttle). Null: yes.
  std::function<bool(const std::string&)> permitted;
};

struct SignInAttempt {
  std::string client;  // peer address
  std::string account;  // lower-case
  std::string_view password, code;
};

// The sign-in, or an error whose text the form shows: 454 too many
// failures, 535 wrong (or not permitted), 530 right password but the
// account has no TOTP while the rules require one, 451 not possible now.
Result<auth::SignIn> check_sign_in(auth::AccountStore& accounts, auth::Throttle& throttle, const SignInRules& rules,
                                   const SignInAttempt& attempt);

// What the log may show of a typed account name: printable ASCII, short.
std::string loggable(std::string_view name);

}  // namespace sm::admin
