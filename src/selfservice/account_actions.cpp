// account_actions.cpp - what a signed-in holder changes on the self-service
// page: the password, TOTP enrolment (confirmed with a code before it
// counts), device passwords and the sole-user acknowledgement (strong
// sessions only). See site.h.
#include "selfservice/site.h"

#include "auth/qr.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::selfservice {
namespace {

constexpr std::size_t kMinPassword = 10;
constexpr std::size_t kMaxPassword = 256;
constexpr std::size_t kMaxDeviceName = 32;

// "" when name is a usable device name, else what is wrong with it.
std::string device_name_problem(std::string_view name) {
  if (name.empty()) return "Give the device a name.";
  if (name.size() > kMaxDeviceName) return "At most 32 characters.";
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return "Only letters, digits, dot, dash and underscore.";
  return "";
}

WebResponse strong_sign_in_needed(std::string_view what) {
  return WebResponse::page(403, message_page("Strong sign-in needed",
                                             std::string(what) + " only after signing in with a one-time code."));
}

}  // namespace

WebResponse Site::change_password(const WebRequest& request, Session& session) {
  AccountFormErrors errors;
  std::string fresh = request.value("new");
  if (fresh.size() < kMinPassword) errors.new_password = "The new password needs at least 10 characters.";
  else if (fresh.size() > kMaxPassword) errors.new_password = "The new password is too long (at most 256 characters).";
  else if (fresh != request.value("repeat")) errors.repeat_password = "The two new passwords differ.";
  if (!errors.new_password.empty() || !errors.repeat_password.empty()) return account_page(session, errors, 422);
  auto verified = verify(request, session.account, request.value("current"), request.value("code"));
  if (!verified) {
    errors.current_password = verified.error().code == 535 ? "The password or code is not right." : verified.error().text;
    return account_page(session, errors, 422);
  }
  if (auto r = accounts_.set_password(session.account, fresh); !r) {
    log::error("selfservice: password of {} not changed: {}", session.account, r.error().text);
    errors.new_password = "The password could not be changed. Try again later.";
    return account_page(session, errors, 503);
  }
  // This session goes on under the new password; every other one ends.
  if (auto stamp = accounts_.credential_stamp(session.account); stamp) session.credential = *stamp;
  log::info("selfservice: {} changed the password", session.account);
  return back_home(session, "Your password is changed.");
}

WebResponse Site::start_totp(Session& session) {
  if (!session.pending_totp) {
    auto account = accounts_.find(session.account);
    if (!account || !*account) return back_home(session, "Your account cannot be read right now.");
    if ((*account)->totp) return back_home(session, "One-time codes are already on.");
    auto enrolment = accounts_.begin_totp(session.account, issuer_);
    if (!enrolment) {
      log::error("selfservice: TOTP enrolment of {}: {}", session.account, enrolment.error().text);
      return back_home(session, "An authenticator app cannot be set up right now. Try again later.");
    }
    session.pending_totp = std::move(*enrolment);
    sessions_.update(session);
    log::info("selfservice: {} started a TOTP enrolment", session.account);
  }
  auto qr = auth::qr_data_uri(session.pending_totp->uri);
  return WebResponse::page(200, totp_page(session, qr ? *qr : "", ""));
}

WebResponse Site::confirm_totp(const WebRequest& request, Session& session) {
  if (!session.pending_totp) return back_home(session, "There is no set-up to confirm.");
  auto again = [&](const std::string& error) {
    auto qr = auth::qr_data_uri(session.pending_totp->uri);
    return WebResponse::page(422, totp_page(session, qr ? *qr : "", error));
  };
  const std::string wrong = "The password or code is not right. Try the current code from the app.";
  // The password as for any sign-in (throttled), then the code from the
  // new seed, which only then becomes active.
  auto verified = verify(request, session.account, request.value("password"), "");
  if (!verified) return again(verified.error().code != 535 ? verified.error().text : wrong);
  auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  auto codes = accounts_.confirm_totp(session.account, without_spaces(request.value("code")), unix_now);
  if (!codes) {
    if (codes.error().code != 535) {
      log::error("selfservice: TOTP confirmation of {}: {}", session.account, codes.error().text);
      return again("The set-up cannot be confirmed right now. Try again later.");
    }
    throttle_.failed(session.account, request.client, SessionStore::Clock::now());
    log::warn("selfservice: {} gave a wrong code confirming TOTP", session.account);
    return again(wrong);
  }
  session.pending_totp.reset();
  session.strong = true;
  sessions_.update(session);
  log::info("selfservice: {} confirmed TOTP", session.account);
  return WebResponse::page(200, recovery_codes_page(*codes));
}

WebResponse Site::cancel_totp(Session& session) {
  if (!session.pending_totp) return back_home(session, "");
  session.pending_totp.reset();
  sessions_.update(session);
  if (auto r = accounts_.cancel_totp(session.account); !r)
    log::error("selfservice: cancelled TOTP set-up of {} not dropped: {}", session.account, r.error().text);
  return back_home(session, "Set-up cancelled; one-time codes stay off.");
}

WebResponse Site::add_device(const WebRequest& request, Session& session) {
  if (!session.strong) return strong_sign_in_needed("Device passwords can be created");
  AccountFormErrors errors;
  std::string device = ascii_lower(request.value("device"));
  errors.device_name = device_name_problem(device);
  if (!errors.device_name.empty()) return account_page(session, errors, 422);
  auto password = accounts_.add_device(session.account, device, true);
  if (!password) {
    errors.device_name = password.error().text;
    return account_page(session, errors, 422);
  }
  log::info("selfservice: {} created device password {}", session.account, device);
  return WebResponse::page(200, device_created_page(device, *password));
}

WebResponse Site::revoke_device(const WebRequest& request, Session& session) {
  std::string device = ascii_lower(request.value("device"));
  if (!device_name_problem(device).empty()) return back_home(session, "There is no such device.");
  if (auto r = accounts_.remove_device(session.account, device); !r)
    return back_home(session, "The device password for " + device + " was not revoked: " + r.error().text);
  log::info("selfservice: {} revoked device password {}", session.account, device);
  return back_home(session, "The device password for " + device + " is revoked.");
}

// The holder's own word that nobody else uses the mailbox (no shared
// account, no assistant signing in as them): carried in the signed sender
// assurance of their mail. Only under a strong sign-in, so that whoever
// says it has the second factor; an existing record (an operator's) stays.
WebResponse Site::acknowledge_sole_user(Session& session) {
  if (!session.strong) return strong_sign_in_needed("Sole use can be acknowledged");
  auto account = accounts_.find(session.account);
  if (!account || !*account) return back_home(session, "Your account cannot be read right now.");
  if ((*account)->assurance.sole_user.set) return back_home(session, "Sole use is already recorded.");
  if (auto r = accounts_.set_flag(session.account, "sole-user", true, "self-service:" + session.account); !r) {
    log::error("selfservice: sole use of {} not recorded: {}", session.account, r.error().text);
    return back_home(session, "Sole use could not be recorded right now. Try again later.");
  }
  log::info("selfservice: {} acknowledged sole use of the mailbox", session.account);
  return back_home(session, "Recorded: you are the only user of this mailbox.");
}

}  // namespace sm::selfservice
