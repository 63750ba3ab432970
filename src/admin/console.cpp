// console.cpp - the console's routes: sessions, CSRF, sign-in and
// sign-out, access checks on every request, the queue actions and the
// audit entries (see console.h). The pages are in console_*.cpp.
#include "admin/console.h"

#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "admin/console_pages.h"
#include "admin/web_html.h"
#include "admin/web_sign_in.h"
#include "audit/audit.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::admin {
namespace {

using Clock = SessionStore::Clock;

WebResponse message(int status, std::string_view title, std::string_view text) {
  std::string body = "<p>" + html::escape(text) + "</p>\n<p><a href=\"" + console::href("/") + "\">Go to the start page</a></p>\n";
  return WebResponse::page(status, html::document(title, "<main id=\"main\">\n<h1>" + html::escape(title) + "</h1>\n" +
                                                             body + "</main>"));
}

// The start page again, with a notice shown once (a fresh anonymous session).
WebResponse start_over(SessionStore& sessions, const Session& old, std::string notice) {
  sessions.end(old.id);
  Session fresh = sessions.create(Clock::now());
  fresh.notice = std::move(notice);
  sessions.update(fresh);
  WebResponse r = WebResponse::redirect(console::href("/"));
  r.set_session = fresh.id;
  return r;
}

// "/queue/ID/what" -> {ID, what}; empty when the path is not of that form.
std::pair<std::string, std::string> queue_target(std::string_view path) {
  if (!path.starts_with("/queue/")) return {};
  path.remove_prefix(7);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return {};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

}  // namespace

Console::Console(ConsoleContext ctx) : ctx_(std::move(ctx)) {}

WebResponse Console::handle(const WebRequest& request) {
  auto now = Clock::now();
  std::optional<Session> found;
  if (!request.session_id.empty()) found = sessions_.find(request.session_id, now);
  // Signed in earlier: still granted, same password, still enabled?
  if (found && found->signed_in()) {
    auto allowed = ctx_.access->console_allowed(found->account);
    auto stamp = ctx_.accounts->credential_stamp(found->account);
    if (!allowed || !stamp) return message(503, "Not available", "The console cannot check your access right now.");
    if (!*allowed || *stamp != found->credential) {
      log::info("console: session of {} ended: console access revoked, password changed or account disabled",
                found->account);
      return start_over(sessions_, *found, "Your console access or password changed since you signed in. "
                                           "Please sign in again.");
    }
  }
  if (request.method == "GET") {
    Session session = found ? *found : sessions_.create(now);
    WebResponse r;
    if (!session.signed_in()) {
      std::string notice = std::exchange(session.notice, {});
      sessions_.update(session);
      r = request.path == "/" ? WebResponse::page(200, console::sign_in_page(session.csrf, "", "", notice))
                              : WebResponse::redirect(console::href("/"));
    } else {
      r = show(request, session);
    }
    if (!found) r.set_session = session.id;
    return r;
  }
  if (request.method != "POST") return message(405, "Not allowed", "Use the links and buttons of the console.");
  if (!found || !SessionStore::csrf_matches(*found, request.value("csrf")))
    return message(403, "Form expired", "This form has expired or did not come from the console. "
                                        "Go to the start page and try again.");
  Session session = *found;
  if (request.path == "/signin") return sign_in(request, session);
  if (!session.signed_in()) return start_over(sessions_, session, "Please sign in.");
  if (request.path == "/signout") {
    sessions_.end(session.id);
    log::info("console: {} signed out", session.account);
    WebResponse r = WebResponse::redirect(console::href("/"));
    r.clear_session = true;
    return r;
  }
  if (request.path.starts_with("/queue/")) return queue_action(request, session);
  if (request.path.starts_with("/pickup/")) return pickup_action(request, session);
  return message(404, "Not found", "There is no such page.");
}

WebResponse Console::show(const WebRequest& request, Session& session) {
  console::Page page;
  const std::string& path = request.path;
  if (path == "/") page = console::overview_page(ctx_);
  else if (path == "/queue") page = console::queue_page(ctx_, request, session);
  else if (path.starts_with("/queue/") && path.find('/', 7) == std::string::npos)
    page = console::message_page(ctx_, path.substr(7), session);
  else if (auto [id, what] = queue_target(path); what == "delete") page = console::delete_page(ctx_, id, session);
  else if (path == "/directory") page = console::directory_page(ctx_);
  else if (path == "/receipts") page = console::receipts_page(ctx_);
  else if (path == "/keys") page = console::keys_page(ctx_);
  else if (path == "/audit") page = console::audit_page(ctx_);
  else if (path == "/pickup") page = console::pickup_page(ctx_, session);
  else page = {404, "Not found", "<p>There is no such page. <a href=\"" + console::href("/") + "\">Go to the overview</a>.</p>\n"};
  std::string notice = std::exchange(session.notice, {});
  if (!notice.empty()) sessions_.update(session);
  return WebResponse::page(page.status, console::frame(page, path, session, notice));
}

WebResponse Console::sign_in(const WebRequest& request, Session& session) {
  std::string name = ascii_lower(request.value("account"));
  std::string password = request.value("password"), code = request.value("code");
  SignInRules rules{.site = "console", .require_totp = true, .permitted = [this](const std::string& account) {
                      auto allowed = ctx_.access->console_allowed(account);
                      return allowed && *allowed;
                    }};
  auto verified = check_sign_in(*ctx_.accounts, *ctx_.throttle, rules, {request.client, name, password, code});
  if (!verified) {
    int code_ = verified.error().code;
    int status = code_ == 535 || code_ == 530 ? 401 : code_ == 454 ? 429 : 503;
    return WebResponse::page(status, console::sign_in_page(session.csrf, name, verified.error().text, ""));
  }
  auto stamp = ctx_.accounts->credential_stamp(name);
  if (!stamp || stamp->empty())
    return WebResponse::page(503, console::sign_in_page(session.csrf, name, "Signing in is not possible right now.", ""));
  Session fresh = sessions_.sign_in(session.id, name, true, *stamp, Clock::now());
  log::info("console: {} signed in from {}", name, request.client);
  audited(fresh, "console.signin", name, nlohmann::json{{"client", request.client}}.dump());
  WebResponse r = WebResponse::redirect(console::href("/"));
  r.set_session = fresh.id;
  return r;
}

WebResponse Console::queue_action(const WebRequest& request, Session& session) {
  std::string id, what;
  if (request.path == "/queue/flush") what = "flush";
  else std::tie(id, what) = queue_target(request.path);
  bool known = what == "flush" || what == "hold" || what == "release" || what == "retry" || what == "delete";
  if (!known || (what != "flush" && !console::plausible_id(id)))
    return message(404, "Not found", "There is no such action.");
  // Discreet copies are not there for the console either.
  if (what != "flush" && !ctx_.queue->message(id)) {
    session.notice = "No message " + id + " is in the queue (it may have been delivered).";
    sessions_.update(session);
    return WebResponse::redirect(console::href("/queue"));
  }
  // Delete only from its confirmation page: a stray or replayed form of
  // the message page asks first.
  if (what == "delete" && request.value("confirm") != "yes")
    return WebResponse::redirect(console::href("/queue/" + id + "/delete"));
  QueueResult done = what == "flush" ? ctx_.queue->flush() : ctx_.queue->change(what, id);
  std::string back = what == "flush" || what == "delete" ? "/queue" : "/queue/" + id;
  if (!done) {
    log::warn("console: {} could not {} {}: {}", session.account, what, id.empty() ? "the queue" : id, done.error().text);
    session.notice = "Not done: " + done.error().text;
  } else {
    log::info("console: {} did queue {} {}", session.account, what, id.empty() ? "(whole queue)" : id);
    bool recorded = audited(session, "queue." + what, id, "{}");
    session.notice = (what == "flush" ? std::string("The queue is being flushed.")
                                      : "Message " + id + ": " + what + " done.") +
                     (recorded ? "" : " (The audit trail did not record it; see the gateway log.)");
  }
  sessions_.update(session);
  return WebResponse::redirect(console::href(back));
}

WebResponse Console::pickup_action(const WebRequest& request, Session& session) {
  const std::string_view rest = std::string_view(request.path).substr(8);  // after "/pickup/"
  const auto slash = rest.find('/');
  if (!ctx_.pickup || slash == std::string_view::npos || rest.substr(slash) != "/revoke")
    return message(404, "Not found", "There is no such action.");
  const std::string ref(rest.substr(0, slash));
  auto done = ctx_.pickup->revoke(ref, "by " + session.account + " in the console");
  if (!done) {
    log::warn("console: {} could not withdraw {}: {}", session.account, ref, done.error().text);
    session.notice = "Not done: " + done.error().text;
  } else {
    log::info("console: {} withdrew pickup message {}", session.account, ref);
    bool recorded = audited(session, "pickup.revoke", ref, nlohmann::json{{"recipient", done->recipient}}.dump());
    session.notice = "Message " + ref + " withdrawn: its content and key are deleted; the sender is told." +
                     std::string(recorded ? "" : " (The audit trail did not record it; see the gateway log.)");
  }
  sessions_.update(session);
  return WebResponse::redirect(console::href("/pickup"));
}

bool Console::audited(const Session& session, const std::string& action, const std::string& object,
                      const std::string& details_json) {
  auto entry = ctx_.trail->append("console:" + session.account, action, object, "", details_json, ctx_.now());
  if (!entry) log::error("console: audit entry {} {} not written: {}", action, object, entry.error().text);
  return entry.has_value();
}

}  // namespace sm::admin
