// api_routes.cpp - registers every /v1 route needing a token, and the
// small ones that need no file of their own (directory status, alerts).
#include "admin/api_access.h"
#include "pki/certificate.h"

namespace sm::admin {
namespace {

HttpResponse directory_status(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  DirectoryStatus s = ctx.directory ? ctx.directory() : DirectoryStatus{};
  if (!s.configured) return json_response(200, {{"configured", false}});
  nlohmann::json age = s.issued ? nlohmann::json(std::max<std::int64_t>(0, ctx.now() - s.issued)) : nlohmann::json();
  return json_response(200, {{"configured", true},
                             {"serial", s.serial},
                             {"age_seconds", age},
                             {"members", s.members},
                             {"feed_url", s.feed_url},
                             {"health", s.health}});
}

HttpResponse alerts(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : ctx.alerts ? ctx.alerts() : std::vector<Alert>{})
    out.push_back({{"name", a.name},
                   {"severity", to_string(a.severity)},
                   {"since", pki::iso_time(a.since)},
                   {"since_unix", a.since},
                   {"message", a.message}});
  return json_response(200, {{"alerts", out}, {"count", out.size()}});
}

}  // namespace

void register_api_routes(AdminServer& server, ApiContext ctx) {
  register_queue_routes(server, ctx);
  register_receipt_routes(server, ctx);
  register_account_routes(server, ctx);
  register_key_routes(server, ctx);
  register_config_routes(server, ctx);
  register_selftest_routes(server, ctx);
  register_message_routes(server, ctx);
  register_pickup_routes(server, ctx);
  server.handle("GET", "/v1/directory/status", [ctx](const HttpRequest& r) { return directory_status(ctx, r); });
  server.handle("GET", "/v1/alerts", [ctx](const HttpRequest& r) { return alerts(ctx, r); });
}

}  // namespace sm::admin
