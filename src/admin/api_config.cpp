// api_config.cpp - GET /v1/config: the running gateway's effective config
// (what `securemail config show` prints for its file, every key with its
// default filled in) as nested JSON, secrets redacted (config_view.h).
#include "admin/api_access.h"
#include "admin/config_view.h"
#include "util/log.h"

namespace sm::admin {
namespace {

HttpResponse running_config(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  if (!ctx.config) return api_error(503, "the running config is not available");
  auto view = config_view(*ctx.config);
  if (!view) {
    log::error("admin api: config: {}", view.error().text);
    return api_error(500, view.error().text);
  }
  return json_response(200, {{"source", ctx.config->source},
                             {"settings", std::move(view->settings)},
                             {"redacted", std::move(view->redacted)}});
}

}  // namespace

void register_config_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("GET", "/v1/config", [ctx](const HttpRequest& r) { return running_config(ctx, r); });
}

}  // namespace sm::admin
