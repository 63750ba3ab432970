// site_account.cpp - the pages of returning recipients' accounts (see
// site.h, recipients.h): setting one up after a code sign-in, signing in
// with password and authenticator code, the reset link, removal.
#include "pickup/site.h"

#include "auth/accounts.h"
#include "auth/qr.h"
#include "auth/secrets.h"
#include "pickup/account_pages.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::pickup {
namespace {

namespace secrets = auth::secrets;

WebResponse page(int status, std::string body) { return WebResponse::page(status, std::move(body)); }

WebResponse try_later() {
  return page(503, notice_page("Try again later", "This cannot be done just now. Please try again in a while."));
}

WebResponse link_gone() {
  return page(410, notice_page("Link expired or used",
                               "This reset link has expired or was used already. Open the link in your notification "
                               "to ask for a new one."));
}

// The key an account is kept under: the recipient address, lower-cased.
std::string account_key(const std::string& address) { return ascii_lower(address); }

// What the enrolment form holds: the password's hash and the spent step,
// or the errors to show.
struct Enrolled {
  std::string password_hash, seed;
  std::int64_t step = 0;
  std::string password_error, code_error;
};

Enrolled check_enrolment(const WebRequest& request, const admin::Session& session, std::int64_t now) {
  Enrolled out;
  const std::string password = request.value("password");
  if (auto ok = secrets::password_ok(password); !ok) out.password_error = "Not a usable password: " + ok.error().text + ".";
  else if (password != request.value("repeat")) out.password_error = "The two passwords are not the same.";
  const std::string code = request.value("code");
  auto step = session.pending_totp && secrets::looks_like_code(code)
                  ? secrets::totp_match(session.pending_totp->seed, code, now)
                  : std::nullopt;
  if (!step) out.code_error = "That is not the app's current code. Check that the app shows this site's entry.";
  if (!out.password_error.empty() || !out.code_error.empty()) return out;
  auto hash = secrets::hash_password(password);
  if (!hash) {
    out.password_error = "The password cannot be kept just now. Please try again.";
    return out;
  }
  out.password_hash = std::move(*hash);
  out.seed = session.pending_totp->seed;
  out.step = *step;
  return out;
}

}  // namespace

std::optional<RecipientAccount> Site::account_of(const Pickup& p) {
  if (!options_.accounts) return std::nullopt;
  return options_.accounts->find(account_key(p.recipient));
}

WebResponse Site::password_sign_in(const WebRequest& request, const Pickup& p, admin::Session& session,
                                   const std::string& token) {
  const std::int64_t now = options_.now();
  const std::string link = "/p/" + token;
  auto account = account_of(p);
  if (!account) return try_later();
  auto account_locked = [&](std::int64_t until) {
    return page(429, password_page(landing(p), link, session.csrf, "",
                                   "This account is locked after too many wrong sign-ins until " + utc_time(until) +
                                       ". A reset link unlocks it at once."));
  };
  if (account->locked_until > now) return account_locked(account->locked_until);
  // Both checks always run: the time taken does not say which part was wrong.
  const bool password_right = secrets::verify_password(account->password_hash, request.value("password"));
  const std::string code = request.value("code");
  auto step = secrets::looks_like_code(code) ? secrets::totp_match(account->totp_seed, code, now) : std::nullopt;
  if (password_right && step) {
    auto spent = options_.accounts->signed_in(account->address, *step, now);
    if (!spent) return try_later();
    if (*spent) return opened(p, session, " with their account");
  }
  auto after = ledger_.wrong_code(p.ref, kMaxTries, now + options_.lock_for.count());
  auto counted = options_.accounts->failed(account->address, kMaxTries, now + options_.lock_for.count());
  if (!after || !counted) return try_later();
  if (after->locked_until > now) return lock_reached(*after, "wrong sign-ins", "wrong sign-ins");
  if (counted->locked_until > now) {
    log::warn("pickup: {}: the account of <{}> is locked after {} wrong sign-ins", p.ref, account->address, kMaxTries);
    return account_locked(counted->locked_until);
  }
  const int left = kMaxTries - after->code_tries;
  return page(200, password_page(landing(p), link, session.csrf,
                                 "The password or the code is not right. " + std::to_string(left) +
                                     (left == 1 ? " try" : " tries") + " left.",
                                 ""));
}

WebResponse Site::send_reset(const Pickup& p, admin::Session& session, const std::string& token) {
  const std::int64_t now = options_.now();
  const std::string link = "/p/" + token;
  auto account = account_of(p);
  if (!account) return try_later();
  if (now - account->reset_sent_at < kResetGap)
    return page(200, password_page(landing(p), link, session.csrf, "",
                                   "A reset link was sent less than 5 minutes ago. Check your mailbox (and its spam "
                                   "folder)."));
  const std::string reset = new_token();
  if (auto kept = options_.accounts->reset_sent(account->address, token_hash(reset), p.ref, now); !kept) {
    log::warn("pickup: {}: cannot keep a reset link: {}", p.ref, kept.error().text);
    return try_later();
  }
  if (auto sent = options_.send_account_mail(p, AccountMail::reset_link, options_.public_url + std::string(kResetPath.substr(1)) + reset); !sent) {
    log::warn("pickup: {}: cannot send a reset link: {}", p.ref, sent.error().text);
    return try_later();
  }
  event(p, "account", "reset link sent");
  return page(200, password_page(landing(p), link, session.csrf, "",
                                 "We sent a reset link to " + masked(p.recipient) + ". It works once, for 30 minutes."));
}

WebResponse Site::enrol(bool reset, const std::string& address, const std::string& action, admin::Session& session,
                        std::string password_error, std::string code_error) {
  if (!session.pending_totp) {
    auto e = auth::new_totp_enrolment(address, options_.organisation);
    if (!e) return try_later();
    session.pending_totp = std::move(*e);
    sessions_.update(session);
  }
  auto qr = auth::qr_data_uri(session.pending_totp->uri);
  if (!qr) return try_later();
  const int status = password_error.empty() && code_error.empty() ? 200 : 400;
  EnrolForm f{reset, address, action, session.csrf, *qr, session.pending_totp->secret_base32,
              std::move(password_error), std::move(code_error)};
  return page(status, enrol_page(f));
}

WebResponse Site::account(const WebRequest& request, admin::Session& session) {
  auto p = ledger_.by_ref(session.account.substr(kAccountPrefix.size()));
  if (!p || !p->readable(options_.now())) return WebResponse::redirect("/read");
  const std::string address = account_key(p->recipient);
  const bool exists = account_of(*p).has_value();
  if (request.path == "/account/remove") {
    if (request.method != "POST" || !exists) return WebResponse::redirect("/read");
    auto removed = options_.accounts->remove(address);
    if (!removed) return try_later();
    if (auto sent = options_.send_account_mail(*p, AccountMail::removed, ""); !sent)
      log::warn("pickup: {}: cannot tell <{}> the account was removed: {}", p->ref, address, sent.error().text);
    event(*p, "account", "removed by the recipient");
    return WebResponse::redirect("/read");
  }
  if (exists) return WebResponse::redirect("/read");
  if (request.method != "POST") return enrol(false, address, "/account", session);
  Enrolled e = check_enrolment(request, session, options_.now());
  if (e.password_hash.empty()) return enrol(false, address, "/account", session, e.password_error, e.code_error);
  if (auto made = options_.accounts->create(address, e.password_hash, e.seed, e.step, options_.now()); !made) {
    if (made.error().code != 409) return try_later();
    return WebResponse::redirect("/read");  // made meanwhile in another tab
  }
  session.pending_totp.reset();
  sessions_.update(session);
  if (auto sent = options_.send_account_mail(*p, AccountMail::created, ""); !sent)
    log::warn("pickup: {}: cannot tell <{}> of the new account: {}", p->ref, address, sent.error().text);
  event(*p, "account", "created by the recipient");
  return WebResponse::redirect("/read");
}

WebResponse Site::reset(const WebRequest& request, const std::string& reset_token, admin::Session& session) {
  const std::int64_t now = options_.now();
  const std::string hash = token_hash(reset_token);
  auto account = options_.accounts->by_reset(hash, now);
  if (!account) return link_gone();
  const std::string action = std::string(kResetPath) + reset_token;
  if (request.method != "POST") return enrol(true, account->address, action, session);
  Enrolled e = check_enrolment(request, session, now);
  if (e.password_hash.empty()) return enrol(true, account->address, action, session, e.password_error, e.code_error);
  auto done = options_.accounts->reset(hash, e.password_hash, e.seed, e.step, now);
  if (!done) return try_later();
  if (!*done) return link_gone();  // used meanwhile
  session.pending_totp.reset();
  sessions_.update(session);
  Pickup about = ledger_.by_ref(account->reset_ref).value_or(Pickup{});
  if (about.ref.empty()) about.from_domain = options_.organisation;
  about.recipient = account->address;
  if (auto sent = options_.send_account_mail(about, AccountMail::reset_done, ""); !sent)
    log::warn("pickup: cannot tell <{}> the account was reset: {}", account->address, sent.error().text);
  if (!about.ref.empty()) event(about, "account", "reset through a reset link");
  log::info("pickup: the account of <{}> was reset through a reset link", account->address);
  return page(200, notice_page("Account reset", "Your new password and authenticator app are set. Open the link in "
                                                "your notification to sign in with them."));
}

}  // namespace sm::pickup
