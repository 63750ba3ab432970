// api_accounts.cpp - GET /v1/accounts and GET /v1/accounts/{name}: the
// mailbox accounts of DATA/accounts.sqlite (addresses, flags with who set
// them and when, TOTP enrolled or not, devices with their last use), in
// the JSON of `securemail user list|show --json`. Never a password hash,
// a TOTP seed, a device password or a recovery code (record_views.h).
#include <filesystem>

#include "admin/api_access.h"
#include "admin/record_views.h"
#include "util/log.h"

namespace sm::admin {
namespace {

// The account store; null (and no error) when the gateway has none yet.
// Not created here: a read must not make the file.
Result<std::unique_ptr<auth::AccountStore>> open_accounts(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(auth::AccountStore::file(data_dir), ec)) return nullptr;
  return auth::AccountStore::open(data_dir);
}

HttpResponse store_unavailable(const Error& e) {
  log::error("admin api: account store: {}", e.text);
  return api_error(503, "account store unavailable");
}

HttpResponse list(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  auto store = open_accounts(ctx.data_dir);
  if (!store) return store_unavailable(store.error());
  nlohmann::json out = nlohmann::json::array();
  if (*store) {
    auto all = (*store)->list();
    if (!all) return store_unavailable(all.error());
    for (const auto& a : *all) out.push_back(account_json(a));
  }
  return json_response(200, {{"accounts", out}, {"count", out.size()}});
}

HttpResponse show(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  const std::string& name = req.captures.at(0);
  auto store = open_accounts(ctx.data_dir);
  if (!store) return store_unavailable(store.error());
  std::optional<auth::Account> found;
  if (*store) {
    auto one = (*store)->find(name);
    if (!one) return store_unavailable(one.error());
    found = std::move(*one);
  }
  if (!found) return api_error(404, "no account " + name);
  return json_response(200, account_json(*found));
}

}  // namespace

void register_account_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("GET", "/v1/accounts", [ctx](const HttpRequest& r) { return list(ctx, r); });
  server.handle("GET", "/v1/accounts/([^/]+)", [ctx](const HttpRequest& r) { return show(ctx, r); });
}

}  // namespace sm::admin
