// api_queue.cpp - /v1/queue routes: list with filters, show one, hold,
// release, retry, delete, flush. Changes go to the running gateway's
// QueueControl (the same path as `securemail queue`); discreet copies are
// neither listed nor found.
#include <string_view>

#include "admin/api_access.h"
#include "admin/queue_view.h"
#include "util/text.h"

namespace sm::admin {
namespace {

struct ListFilter {
  std::string state, lane, sender, recipient;
  std::int64_t older_than = 0;
  std::size_t limit = 1000;
};

using Why = std::optional<std::string>;

// The filter from the query, or the 400 naming the bad parameter.
std::expected<ListFilter, HttpResponse> parse_filter(const HttpRequest& req) {
  ListFilter f;
  auto bad = read_parameters(
      req, {{"state",
             [&f](const std::string& v) -> Why {
               if (v != "active" && v != "held" && v != "deferred") return "state: use active, held or deferred";
               return f.state = v, std::nullopt;
             }},
            {"lane",
             [&f](const std::string& v) -> Why {
               if (v != "normal" && v != "priority") return "lane: use normal or priority";
               return f.lane = v, std::nullopt;
             }},
            {"sender", [&f](const std::string& v) -> Why { return f.sender = ascii_lower(v), std::nullopt; }},
            {"recipient", [&f](const std::string& v) -> Why { return f.recipient = ascii_lower(v), std::nullopt; }},
            {"older_than",
             [&f](const std::string& v) -> Why {
               auto n = whole_number(v, 0, std::int64_t{1} << 40);
               if (!n) return "older_than: a number of seconds (0 or more)";
               return f.older_than = *n, std::nullopt;
             }},
            {"limit", limit_reader(&f.limit)}});
  if (bad) return std::unexpected(*bad);
  return f;
}

bool matches(const ListFilter& f, const queue::QueuedMessage& m, std::int64_t now) {
  if (!f.state.empty() && f.state != queue_state(m, now)) return false;
  if (!f.lane.empty() && f.lane != mail::to_string(m.envelope.lane)) return false;
  if (!f.sender.empty() && f.sender != ascii_lower(m.envelope.sender)) return false;
  if (f.older_than && now - m.envelope.arrival < f.older_than) return false;
  if (f.recipient.empty()) return true;
  for (const auto& r : m.envelope.recipients)
    if (ascii_lower(r.address) == f.recipient) return true;
  return false;
}

HttpResponse list(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  auto filter = parse_filter(req);
  if (!filter) return filter.error();
  std::int64_t now = ctx.now();
  nlohmann::json out = nlohmann::json::array();
  std::size_t total = 0;
  for (const auto& m : ctx.queue->messages()) {
    if (!matches(*filter, m, now)) continue;
    ++total;
    if (out.size() < filter->limit) out.push_back(message_json(m, now));
  }
  return json_response(200, {{"messages", out}, {"count", out.size()}, {"matched", total}});
}

HttpResponse show(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  auto m = ctx.queue->message(req.captures.at(0));
  if (!m) return api_error(404, "no such message in the queue: " + req.captures.at(0));
  return json_response(200, message_json(*m, ctx.now()));
}

HttpResponse refusal(const QueueRefusal& r) {
  int status = r.kind == Refusal::not_found ? 404 : r.kind == Refusal::conflict ? 409 : 503;
  return api_error(status, r.text);
}

// The optional body of a change: {"reason": "..."}, kept in the audit entry.
std::expected<std::string, HttpResponse> change_reason(const HttpRequest& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return std::unexpected(api_error(400, "body: not a JSON object"));
  for (const auto& [key, value] : body.items()) {
    if (key != "reason") return std::unexpected(api_error(400, "body: unknown field " + key));
    if (!value.is_string() || value.get<std::string>().size() > 500)
      return std::unexpected(api_error(400, "reason: a string of at most 500 characters"));
  }
  return body.value("reason", "");
}

HttpResponse change(const ApiContext& ctx, const HttpRequest& req, const std::string& what) {
  HttpResponse refused;
  auto who = authorize(ctx, req, Scope::write, &refused);
  if (!who) return refused;
  auto reason = change_reason(req);
  if (!reason) return reason.error();
  const std::string& id = req.captures.at(0);
  // Discreet copies are not there for the API: 404 before any change.
  if (!ctx.queue->message(id)) return api_error(404, "no such message in the queue: " + id);
  if (auto r = ctx.queue->change(what, id); !r) return refusal(r.error());
  audit_change(ctx, *who, "queue." + what, id, {{"reason", *reason}});
  return json_response(200, {{"id", id}, {"done", what}});
}

HttpResponse flush(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  auto who = authorize(ctx, req, Scope::write, &refused);
  if (!who) return refused;
  auto reason = change_reason(req);
  if (!reason) return reason.error();
  if (auto r = ctx.queue->flush(); !r) return refusal(r.error());
  audit_change(ctx, *who, "queue.flush", "", {{"reason", *reason}});
  return json_response(200, {{"done", "flush"}});
}

}  // namespace

void register_queue_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("GET", "/v1/queue", [ctx](const HttpRequest& r) { return list(ctx, r); });
  server.handle("POST", "/v1/queue/flush", [ctx](const HttpRequest& r) { return flush(ctx, r); });
  server.handle("GET", "/v1/queue/([^/]+)", [ctx](const HttpRequest& r) { return show(ctx, r); });
  server.handle("DELETE", "/v1/queue/([^/]+)", [ctx](const HttpRequest& r) { return change(ctx, r, "delete"); });
  for (std::string what : {"hold", "release", "retry"})
    server.handle("POST", "/v1/queue/([^/]+)/" + what, [ctx, what](const HttpRequest& r) { return change(ctx, r, what); });
}

}  // namespace sm::admin
