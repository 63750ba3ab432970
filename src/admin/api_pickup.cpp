// api_pickup.cpp - secure pickup over the API (issue 18, docs/api.md):
// GET /v1/pickup[?state=waiting|opened|revoked|expired] (read token): the
// messages kept for recipients outside SecureMail, newest first, never
// their content; POST /v1/pickup/REF/revoke (write token, audited as
// pickup.revoke; optional body {"reason": "..."}): withdraw one at once,
// 404 for an unknown reference, 409 for one revoked or expired already.
#include "admin/api_access.h"
#include "pki/certificate.h"

namespace sm::admin {
namespace {

nlohmann::json entry_json(const PickupEntry& p) {
  return {{"reference", p.ref}, {"sender", p.sender}, {"recipient", p.recipient}, {"state", p.state},
          {"created", pki::iso_time(p.created)}, {"expires", pki::iso_time(p.expires)}, {"size", p.size}};
}

HttpResponse list(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  std::string state;
  auto bad = read_parameters(req, {{"state", [&](const std::string& v) -> std::optional<std::string> {
                                      if (v != "waiting" && v != "opened" && v != "revoked" && v != "expired")
                                        return "state: use waiting, opened, revoked or expired";
                                      state = v;
                                      return std::nullopt;
                                    }}});
  if (bad) return *bad;
  if (!ctx.pickup) return api_error(404, "secure pickup is not configured on this gateway ([pickup])");
  auto rows = ctx.pickup->list(state);
  if (!rows) return api_error(503, rows.error().text);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : *rows) out.push_back(entry_json(p));
  return json_response(200, {{"messages", out}, {"count", out.size()}});
}

HttpResponse revoke(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  auto who = authorize(ctx, req, Scope::write, &refused);
  if (!who) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  if (!ctx.pickup) return api_error(404, "secure pickup is not configured on this gateway ([pickup])");
  std::string reason = "by the API (token " + who->name + ")";
  if (!req.body.empty()) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    const bool just_a_reason = body.is_object() && body.size() <= 1 && (body.empty() || body.contains("reason"));
    if (!just_a_reason || (body.contains("reason") && !body["reason"].is_string()))
      return api_error(400, "body: {\"reason\": \"...\"} or nothing");
    if (body.contains("reason")) reason = body["reason"].get<std::string>().substr(0, 200);
  }
  const std::string& ref = req.captures.at(0);
  auto done = ctx.pickup->revoke(ref, reason);
  if (!done) {
    const auto& r = done.error();
    return api_error(r.kind == Refusal::not_found ? 404 : r.kind == Refusal::conflict ? 409 : 503, r.text);
  }
  audit_change(ctx, *who, "pickup.revoke", ref, {{"reason", reason}, {"recipient", done->recipient}});
  return json_response(200, entry_json(*done));
}

}  // namespace

void register_pickup_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("GET", "/v1/pickup", [ctx](const HttpRequest& r) { return list(ctx, r); });
  server.handle("POST", "/v1/pickup/([^/]+)/revoke", [ctx](const HttpRequest& r) { return revoke(ctx, r); });
}

}  // namespace sm::admin
