// site.cpp - routes of the self-service page: sessions, CSRF, sign-in and
// sign-out (see site.h). The account changes are in account_actions.cpp.
#include "selfservice/site.h"

#include <algorithm>
#include <utility>

#include "admin/web_sign_in.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::selfservice {
namespace {

using Clock = SessionStore::Clock;

}  // namespace

Site::Site(auth::AccountStore& accounts, auth::Throttle& throttle, std::string issuer)
    : accounts_(accounts), throttle_(throttle), issuer_(std::move(issuer)), sessions_([this](const Session& s) {
        // An enrolment nobody confirmed: its pending seed is dropped (it
        // never signed anyone in; this only tidies up).
        if (s.signed_in() && s.pending_totp) {
          if (auto r = accounts_.cancel_totp(s.account); !r)
            log::warn("selfservice: unconfirmed TOTP set-up of {} not dropped: {}", s.account, r.error().text);
          else
            log::info("selfservice: unconfirmed TOTP set-up of {} dropped", s.account);
        }
      }) {}

WebResponse Site::handle(const WebRequest& request) {
  auto now = Clock::now();
  std::optional<Session> found;
  if (!request.session_id.empty()) found = sessions_.find(request.session_id, now);
  // A session signed in before the password changed (here, on another
  // session, or by the operator) or the account was disabled is over.
  if (found && found->signed_in()) {
    auto stamp = accounts_.credential_stamp(found->account);
    if (!stamp) return WebResponse::page(503, message_page("Not available", "Your account cannot be read right now."));
    if (*stamp != found->credential) {
      log::info("selfservice: session of {} ended: its password changed or the account was disabled", found->account);
      sessions_.end(found->id);
      Session fresh = sessions_.create(now);
      fresh.notice = "Your password was changed or your account disabled since you signed in. Please sign in again.";
      sessions_.update(fresh);
      WebResponse r;
      r.location = "/";
      r.set_session = fresh.id;
      return r;
    }
  }
  if (request.method == "GET" && request.path == "/") {
    Session session = found ? *found : sessions_.create(now);
    WebResponse r = home(session);
    if (!found) r.set_session = session.id;
    return r;
  }
  if (request.method != "POST") return WebResponse::page(404, message_page("Not found", "There is no such page."));
  if (!found || !SessionStore::csrf_matches(*found, request.value("csrf")))
    return WebResponse::page(403, message_page("Form expired", "This form has expired or did not come from this site. "
                                                           "Go to the start page and try again."));
  Session session = *found;
  if (request.path == "/signin") return sign_in(request, session);
  if (!session.signed_in()) return back_home(session, "Please sign in.");
  if (request.path == "/signout") {
    sessions_.end(session.id);
    log::info("selfservice: {} signed out", session.account);
    WebResponse r;
    r.location = "/";
    r.clear_session = true;
    return r;
  }
  if (request.path == "/password") return change_password(request, session);
  if (request.path == "/totp") return start_totp(session);
  if (request.path == "/totp/confirm") return confirm_totp(request, session);
  if (request.path == "/totp/cancel") return cancel_totp(session);
  if (request.path == "/devices") return add_device(request, session);
  if (request.path == "/devices/revoke") return revoke_device(request, session);
  if (request.path == "/sole-user") return acknowledge_sole_user(session);
  return WebResponse::page(404, message_page("Not found", "There is no such page."));
}

WebResponse Site::home(Session& session) {
  if (!session.signed_in()) {
    std::string notice = std::exchange(session.notice, {});
    sessions_.update(session);
    return WebResponse::page(200, sign_in_page(session.csrf, "", "", notice));
  }
  return account_page(session, {});
}

WebResponse Site::back_home(Session& session, std::string notice) {
  session.notice = std::move(notice);
  sessions_.update(session);
  WebResponse r;
  r.location = "/";
  return r;
}

WebResponse Site::account_page(Session& session, const AccountFormErrors& errors, int status) {
  auto account = accounts_.find(session.account);
  if (!account) return WebResponse::page(503, message_page("Not available", "Your account cannot be read right now."));
  if (!*account || !(*account)->enabled) {
    sessions_.end(session.id);
    WebResponse r;
    r.location = "/";
    r.clear_session = true;
    return r;
  }
  std::string notice = std::exchange(session.notice, {});
  sessions_.update(session);
  return WebResponse::page(status, selfservice::account_page(**account, session, errors, notice));
}

WebResponse Site::sign_in(const WebRequest& request, Session& session) {
  std::string name = ascii_lower(request.value("account"));
  auto verified = verify(request, name, request.value("password"), request.value("code"));
  if (!verified) {
    int status = verified.error().code == 535 ? 401 : verified.error().code == 454 ? 429 : 503;
    return WebResponse::page(status, sign_in_page(session.csrf, name, verified.error().text, ""));
  }
  auto stamp = accounts_.credential_stamp(name);
  if (!stamp || stamp->empty())
    return WebResponse::page(503, sign_in_page(session.csrf, name, "Signing in is not possible right now. Try again later.", ""));
  Session fresh = sessions_.sign_in(session.id, name, verified->strong, *stamp, Clock::now());
  log::info("selfservice: {} signed in from {} ({}{})", name, request.client, auth::to_string(verified->method),
            verified->strong ? ", strong" : "");
  WebResponse r;
  r.location = "/";
  r.set_session = fresh.id;
  return r;
}

Result<auth::SignIn> Site::verify(const WebRequest& request, std::string_view account, std::string_view password,
                                  std::string_view code) {
  return admin::check_sign_in(accounts_, throttle_, {.site = "selfservice"},
                              {request.client, std::string(account), password, code});
}

}  // namespace sm::selfservice
