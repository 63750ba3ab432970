// api_routes.cpp - registers every /v1 route needing a token, and the
// small ones that need no file of their own (directory status).
#include "admin/api_access.h"

namespace sm::admin {

void register_queue_routes(AdminServer& server, const ApiContext& ctx);  // api_queue.cpp

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

}  // namespace

void register_api_routes(AdminServer& server, ApiContext ctx) {
  register_queue_routes(server, ctx);
  server.handle("GET", "/v1/directory/status", [ctx](const HttpRequest& r) { return directory_status(ctx, r); });
}

}  // namespace sm::admin
