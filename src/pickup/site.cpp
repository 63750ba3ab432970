// site.cpp - the secure pickup pages' behaviour (see site.h).
#include "pickup/site.h"

#include <sodium.h>

#include <array>
#include <cstdio>

#include "auth/secrets.h"
#include "pickup/account_pages.h"
#include "util/log.h"

namespace sm::pickup {
namespace {

WebResponse page(int status, std::string body) { return WebResponse::page(status, std::move(body)); }

WebResponse not_signed_in() {
  return page(403, notice_page("Not signed in", "Open the link in your notification again to sign in."));
}

WebResponse not_found() {
  return page(404, notice_page("Link not known",
                               "This link is not known here. Check that it was copied whole from the notification."));
}

// "/p/TOKEN" or "/p/TOKEN/ACTION" -> {TOKEN, ACTION}; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> split_link(const std::string& path) {
  if (!path.starts_with("/p/")) return std::nullopt;
  std::string_view rest(path);
  rest.remove_prefix(3);
  auto slash = rest.find('/');
  std::string token(rest.substr(0, slash));
  std::string action = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
  if (token.size() != 43 || token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
                                std::string::npos)
    return std::pair{std::string(), action};
  return std::pair{token, action};
}

std::string eight_digits() {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08u", randombytes_uniform(100'000'000u));
  return buf;
}

}  // namespace

std::string new_token() {
  static const int ready = sodium_init();
  (void)ready;
  std::array<unsigned char, 32> octets{};
  randombytes_buf(octets.data(), octets.size());
  std::array<char, sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)> out{};
  sodium_bin2base64(out.data(), out.size(), octets.data(), octets.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out.data();
}

std::string token_hash(std::string_view token) { return auth::secrets::sha256_hex(token); }

std::string code_hash(std::string_view ref, std::string_view code) {
  return auth::secrets::sha256_hex(std::string(ref) + ":" + std::string(code));
}

std::string Site::loggable(const std::string& path) {
  if (path.starts_with(kResetPath)) return std::string(kResetPath) + "\xe2\x80\xa6";
  auto link = split_link(path);
  if (!link) return path;
  return "/p/\xe2\x80\xa6" + (link->second.empty() ? "" : "/" + link->second);
}

Site::Site(Ledger& ledger, const Vault& vault, SiteOptions options)
    : ledger_(ledger), vault_(vault), options_(std::move(options)) {}

Landing Site::landing(const Pickup& p) const { return {p.from_domain, p.recipient, p.ref, utc_time(p.expires)}; }

void Site::event(const Pickup& p, std::string kind, std::string detail) {
  Event e{p.ref, options_.now(), std::move(kind), std::move(detail)};
  if (auto r = ledger_.record(e); !r) log::warn("pickup: {}: cannot record the event {}: {}", p.ref, e.kind, r.error().text);
  log::info("pickup: {}: {}{}", p.ref, e.kind, e.detail.empty() ? "" : ": " + e.detail);
  if (options_.tell_sender) options_.tell_sender(p, e);
}

WebResponse Site::gone(const Pickup& p) const {
  if (p.state == "revoked")
    return page(410, notice_page("Message withdrawn", "The sender withdrew this message (reference " + p.ref + ")."));
  return page(410, notice_page("Message expired", "This message (reference " + p.ref + ") was available until " +
                                                      utc_time(p.expires) + " and has been deleted."));
}

WebResponse Site::handle(const WebRequest& request) {
  auto now = admin::SessionStore::Clock::now();
  std::optional<admin::Session> found;
  if (!request.session_id.empty()) found = sessions_.find(request.session_id, now);
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (get && request.path == "/about") return page(200, about_page(options_.organisation, options_.public_url));
  if (get && request.path == "/")
    return page(200, notice_page("Secure messages from " + options_.organisation,
                                 "Open the link in the notification you received to read a secure message."));
  // A link opened (GET, HEAD) shows and changes nothing; a visitor gets an
  // anonymous session so that its form carries a token.
  auto shown = [&](const auto& show) {
    admin::Session session = found ? *found : sessions_.create(now);
    WebResponse r = show(session);
    if (!found) r.set_session = session.id;
    return r;
  };
  const bool signed_in = found && found->account.starts_with(kAccountPrefix);
  const bool account_page = options_.accounts && (request.path == "/account" || request.path == "/account/remove");
  if (get && (request.path == "/read" || request.path.starts_with("/read/") || account_page)) {
    if (!signed_in) return not_signed_in();
    return request.path == "/account" ? account(request, *found) : read(request, *found);
  }
  const bool reset_link = options_.accounts && request.path.starts_with(kResetPath);
  const std::string reset_token = reset_link ? request.path.substr(kResetPath.size()) : "";
  if (reset_link && get) return shown([&](admin::Session& s) { return reset(request, reset_token, s); });
  auto link = split_link(request.path);
  const bool post = request.method == "POST";
  if (link && link->first.empty()) return not_found();
  if (link && get && link->second.empty()) return shown([&](admin::Session& s) { return this->link(request, link->first, "", s); });
  const bool link_action = link && (link->second.empty() || link->second == "sign-in" ||
                                    (options_.accounts && (link->second == "password" || link->second == "reset")));
  const bool known_post = post && (link_action || reset_link || account_page ||
                                   (!link && (request.path == "/sign-out" || request.path == "/read/reply")));
  if (!known_post) return page(404, notice_page("Not found", "There is no such page."));
  if (!found || !admin::SessionStore::csrf_matches(*found, request.value("csrf")))
    return page(403, notice_page("Form expired",
                                 "This form has expired or did not come from this site. Open the link in your "
                                 "notification again."));
  if (reset_link) return reset(request, reset_token, *found);
  if (request.path == "/read/reply" || account_page) {
    if (!signed_in) return not_signed_in();
    return account_page ? account(request, *found) : reply(request, *found);
  }
  if (!link) {
    sessions_.end(found->id);
    WebResponse r = page(200, notice_page("Signed out", "You have signed out. The link in your notification still "
                                                        "works until the message expires."));
    r.clear_session = true;
    return r;
  }
  return this->link(request, link->first, link->second, *found);
}

WebResponse Site::link(const WebRequest& request, std::string_view token, std::string_view action,
                       admin::Session& session) {
  auto p = ledger_.by_token_hash(token_hash(token));
  if (!p) return not_found();
  const std::int64_t now = options_.now();
  if (!p->readable(now)) return gone(*p);
  const std::string link = "/p/" + std::string(token);
  const auto account = account_of(*p);
  if (request.method != "POST")
    return page(200, account ? password_page(landing(*p), link, session.csrf, "", "")
                             : landing_page(landing(*p), link, session.csrf));
  if (p->locked_until > now && action != "reset")
    return page(429, notice_page("Locked for now", "Too many wrong codes were tried for this message. Try again after " +
                                                       utc_time(p->locked_until) + "; its sender has been told."));
  if (account) {  // no code is mailed to an address with an account
    if (action == "password") return password_sign_in(request, *p, session, std::string(token));
    if (action == "reset") return send_reset(*p, session, std::string(token));
    return page(200, password_page(landing(*p), link, session.csrf, "",
                                   "This address has an account: sign in with its password and authenticator app."));
  }
  if (action.empty()) return send_code(*p, session, std::string(token));
  if (action != "sign-in") return page(200, landing_page(landing(*p), link, session.csrf));
  return sign_in(request, *p, session, std::string(token));
}

WebResponse Site::send_code(const Pickup& p, admin::Session& session, const std::string& token) {
  const std::int64_t now = options_.now();
  const Landing l = landing(p);
  const std::string link = "/p/" + token;
  if (!p.code_hash.empty() && p.code_expires > now && now - p.last_code_at < kResendGap)
    return page(200, code_page(l, link, session.csrf, "",
                               "A code was sent less than a minute ago. Check your mailbox (and its spam folder)."));
  if (p.codes_sent >= kMaxCodes)
    return page(429, notice_page("No more codes", "Too many codes were sent for this message. Ask its sender to send "
                                                  "it again."));
  std::string code = eight_digits();
  if (auto r = ledger_.set_code(p.ref, code_hash(p.ref, code), now + kCodeSeconds, now); !r) {
    log::warn("pickup: {}: cannot keep a sign-in code: {}", p.ref, r.error().text);
    return page(503, notice_page("Try again later", "No code could be sent just now. Please try again in a while."));
  }
  if (auto sent = options_.send_code(p, code); !sent) {
    log::warn("pickup: {}: cannot send a sign-in code: {}", p.ref, sent.error().text);
    return page(503, notice_page("Try again later", "No code could be sent just now. Please try again in a while."));
  }
  Event e{p.ref, now, "code-sent", ""};  // not one the sender is mailed about: recorded, not told now
  if (auto r = ledger_.record(e); !r) log::warn("pickup: {}: cannot record the event: {}", p.ref, r.error().text);
  log::info("pickup: {}: sign-in code sent", p.ref);
  return page(200, code_page(l, link, session.csrf, "", "We sent a sign-in code to " + masked(p.recipient) + "."));
}

WebResponse Site::sign_in(const WebRequest& request, const Pickup& p, admin::Session& session, const std::string& token) {
  const std::int64_t now = options_.now();
  const std::string link = "/p/" + token;
  std::string code = request.value("code");
  std::erase_if(code, [](char c) { return c == ' ' || c == '-'; });
  if (p.code_hash.empty() || p.code_expires <= now)
    return page(200, code_page(landing(p), link, session.csrf,
                               "That code has expired or was used already. Send a new code.", ""));
  const std::string given = code_hash(p.ref, code);
  const bool right = code.size() == 8 && given.size() == p.code_hash.size() &&
                     sodium_memcmp(given.data(), p.code_hash.data(), given.size()) == 0;
  if (!right) {
    auto after = ledger_.wrong_code(p.ref, kMaxTries, now + options_.lock_for.count());
    if (!after) return page(503, notice_page("Try again later", "This message cannot be opened just now."));
    if (after->locked_until > now) return lock_reached(*after, "wrong sign-in codes", "wrong codes");
    int left = kMaxTries - after->code_tries;
    return page(200, code_page(landing(p), link, session.csrf,
                               "That code is not right. " + std::to_string(left) + (left == 1 ? " try" : " tries") + " left.",
                               ""));
  }
  return opened(p, session, "");
}

WebResponse Site::lock_reached(const Pickup& after, std::string_view tries, std::string_view tried) {
  event(after, "locked", std::to_string(kMaxTries) + " " + std::string(tries) + "; locked until " + utc_time(after.locked_until));
  return page(429, notice_page("Locked for now", "Too many " + std::string(tried) +
                                                     " were tried for this message. Try again after " +
                                                     utc_time(after.locked_until) + "; its sender has been told."));
}

WebResponse Site::opened(const Pickup& p, admin::Session& session, std::string_view how) {
  auto first = ledger_.signed_in(p.ref, options_.now());
  if (!first) return page(503, notice_page("Try again later", "This message cannot be opened just now."));
  admin::Session signed_in =
      sessions_.sign_in(session.id, std::string(kAccountPrefix) + p.ref, true, "", admin::SessionStore::Clock::now());
  event(p, "opened", (*first ? "first opened by the recipient" : "opened again by the recipient") + std::string(how));
  WebResponse r = WebResponse::redirect("/read");
  r.set_session = signed_in.id;
  return r;
}

WebResponse Site::read(const WebRequest& request, admin::Session& session) {
  const std::string ref = session.account.substr(kAccountPrefix.size());
  auto p = ledger_.by_ref(ref);
  if (!p) return not_found();
  if (!p->readable(options_.now())) {
    sessions_.end(session.id);
    WebResponse r = gone(*p);
    r.clear_session = true;
    return r;
  }
  auto content = vault_.get(p->ref, p->sealed_key);
  if (!content) {
    log::error("pickup: {}: {}", p->ref, content.error().text);
    return page(503, notice_page("Not available", "This message cannot be shown just now."));
  }
  if (request.path == "/read") {
    auto view = view_message(*content);
    if (!view) return page(503, notice_page("Not available", "This message cannot be shown."));
    const std::string account = options_.accounts ? account_section(account_of(*p).has_value(), session.csrf) : "";
    return page(200, message_page(landing(*p), *view, session.csrf, reply_form(*p, *view), account));
  }
  constexpr std::string_view kAttachment = "/read/attachment/";
  if (!request.path.starts_with(kAttachment)) return page(404, notice_page("Not found", "There is no such page."));
  std::string n = request.path.substr(kAttachment.size());
  if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos)
    return page(404, notice_page("Not found", "There is no such attachment."));
  auto view = view_message(*content);
  std::size_t index = std::stoul(n);
  auto bytes = attachment_content(*content, index);
  if (!view || !bytes || index >= view->attachments.size())
    return page(404, notice_page("Not found", "There is no such attachment."));
  event(*p, "downloaded", view->attachments[index].name);
  WebResponse r;
  r.body = std::move(*bytes);
  r.content_type = "application/octet-stream";
  r.download_name = view->attachments[index].name;
  return r;
}

}  // namespace sm::pickup
