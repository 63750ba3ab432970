// api_selftest.cpp - the self-test over the API (issue 17):
// GET /v1/selftest (read token): the schedule, a run in progress and the
// last finished run with its checks and pings; POST /v1/selftest/run
// (write token, audited): start a run now, 202, or 409 saying why not
// (one is running; a gateway without a directory has nothing to test).
#include "admin/api_access.h"

namespace sm::admin {
namespace {

HttpResponse show(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  if (!ctx.selftest_status) return api_error(503, "the self-test is not available");
  return json_response(200, ctx.selftest_status());
}

HttpResponse run(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  auto who = authorize(ctx, req, Scope::write, &refused);
  if (!who) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  if (!ctx.selftest_run) return api_error(503, "the self-test is not available");
  if (std::string why = ctx.selftest_run(); !why.empty()) return api_error(409, why);
  audit_change(ctx, *who, "selftest.run", "", nlohmann::json::object());
  return json_response(202, {{"started", true}});
}

}  // namespace

void register_selftest_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("GET", "/v1/selftest", [ctx](const HttpRequest& r) { return show(ctx, r); });
  server.handle("POST", "/v1/selftest/run", [ctx](const HttpRequest& r) { return run(ctx, r); });
}

}  // namespace sm::admin
