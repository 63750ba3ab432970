// site.h - the self-service page of a mailbox holder: sign in, see the
// account (addresses, TOTP, devices, assurance flags), change the password,
// enrol TOTP, create and revoke device passwords, acknowledge being the
// mailbox's sole user (strong sessions; recorded as set by
// "self-service:ACCOUNT" with the time).
//
// Transport-free: the HTTPS listener (admin/web_https.h) turns requests into
// WebRequest and sends WebResponse back with the security headers. Every
// change is a POST carrying the session's CSRF token; a page that shows a
// secret (device password, recovery codes) is the POST's own answer, never
// a redirect target, so the secret is never fetched again.
//
// Sign-in rules: account + password + one-time code (or a recovery code).
// The code may be empty only for an account without TOTP; such a session
// is weak: it may change the password and enrol TOTP, but not create
// device passwords. Device passwords never sign in here. Failures go
// through the same auth::Throttle numbers as SMTP AUTH and never say which
// part was wrong.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "admin/web_https.h"
#include "auth/accounts.h"
#include "auth/throttle.h"
#include "selfservice/pages.h"

namespace sm::selfservice {

inline constexpr std::string_view kSessionCookie = "__Host-securemail-session";

using admin::WebRequest;
using admin::WebResponse;

class Site {
 public:
  Site(auth::AccountStore& accounts, auth::Throttle& throttle, std::string issuer);

  WebResponse handle(const WebRequest& request);

  SessionStore& sessions() { return sessions_; }

 private:
  WebResponse home(Session& session);
  WebResponse sign_in(const WebRequest& request, Session& session);
  WebResponse change_password(const WebRequest& request, Session& session);
  WebResponse start_totp(Session& session);
  WebResponse confirm_totp(const WebRequest& request, Session& session);
  WebResponse cancel_totp(Session& session);
  WebResponse add_device(const WebRequest& request, Session& session);
  WebResponse revoke_device(const WebRequest& request, Session& session);
  WebResponse acknowledge_sole_user(Session& session);
  WebResponse account_page(Session& session, const AccountFormErrors& errors, int status = 200);
  WebResponse back_home(Session& session, std::string notice);

  // admin::check_sign_in with this page's rules (TOTP code where enrolled,
  // no device passwords); the error text is what the form shows.
  Result<auth::SignIn> verify(const WebRequest& request, std::string_view account, std::string_view password,
                              std::string_view code);

  auth::AccountStore& accounts_;
  auth::Throttle& throttle_;
  std::string issuer_;
  SessionStore sessions_;
};

}  // namespace sm::selfservice
