// site.cpp - routes of the self-service page: sessions, CSRF, sign-in and
// sign-out (see site.h). The account changes are in account_actions.cpp.
#include "selfservice/site.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "selfservice/html.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::selfservice {
namespace {

using Clock = SessionStore::Clock;

// What the log may show of a typed account name: printable ASCII, short.
std::string loggable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  return out.empty() ? "(empty)" : out;
}


// Long enough for any password and code; longer input is refused unchecked.
constexpr std::size_t kMaxSecret = 1024;

}  // namespace

std::string WebRequest::value(std::string_view name) const {
  auto it = form.find(std::string(name));
  return it == form.end() ? std::string() : it->second;
}

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
  std::string name(account);
  auto verdict = throttle_.before(name, request.client, Clock::now());
  if (verdict.blocked) {
    log::warn("selfservice: sign-in for {} from {} refused: too many failures", loggable(name), request.client);
    return fail(454, "4.7.0", "Too many failed attempts. Wait a while and try again.");
  }
  std::string secret = std::string(password) + without_spaces(code);
  std::optional<auth::SignIn> accepted;
  if (!name.empty() && !password.empty() && secret.size() <= kMaxSecret) {
    auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    auto checked = accounts_.check(name, secret, unix_now);
    if (!checked && checked.error().code != 535) {
      log::error("selfservice: sign-in for {}: {}", loggable(name), checked.error().text);
      return fail(451, "4.3.0", "Signing in is not possible right now. Try again later.");
    }
    // Device passwords are for mail programs; an account with TOTP needs its code here.
    if (checked && checked->method == auth::Method::password) {
      auto found = accounts_.find(name);
      if (found && *found && !(**found).totp) accepted = *checked;
    } else if (checked && checked->method != auth::Method::device) {
      accepted = *checked;
    }
  }
  if (accepted) {
    throttle_.succeeded(name);
    return *accepted;
  }
  auto after = throttle_.failed(name, request.client, Clock::now());
  log::warn("selfservice: failed sign-in for {} from {}", loggable(name), request.client);
  if (after.delay.count() > 0) std::this_thread::sleep_for(after.delay);
  if (after.blocked) return fail(454, "4.7.0", "Too many failed attempts. Wait a while and try again.");
  return fail(535, "5.7.8", "The account, password or code is not right.");
}

}  // namespace sm::selfservice
