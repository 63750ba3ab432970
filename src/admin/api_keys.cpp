// api_keys.cpp - GET /v1/keys: the gateway's key sets in DATA/pki (as
// `securemail keys show --json`: id, type, status, subject, domains,
// not_after, ...) with days to expiry and what each is used for (an
// active set signs and opens; a retired one is kept only to open mail
// sealed to it), and the expiry of the TLS certificate.
#include <cmath>

#include "admin/api_access.h"
#include "admin/record_views.h"
#include "pki/certificate.h"
#include "util/log.h"

namespace sm::admin {
namespace {

constexpr std::int64_t kDay = 86400;

// Whole days left (negative once expired: -1 the day after).
std::int64_t days_to(std::int64_t not_after, std::int64_t now) {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(not_after - now) / kDay));
}

nlohmann::json tls_json(const std::filesystem::path& file, std::int64_t now) {
  nlohmann::json out = {{"file", file.string()}};
  auto cert = pki::read_certificate(file);
  if (!cert) return out.update({{"error", cert.error().text}}), out;
  auto i = pki::describe(cert->get());
  out.update({{"subject", i.subject},
              {"domains", i.dns_names},
              {"not_after", pki::iso_time(i.not_after)},
              {"days_to_expiry", days_to(i.not_after, now)},
              {"fingerprint", i.fingerprint}});
  return out;
}

HttpResponse keys(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  if (auto bad = refuse_parameters(req)) return *bad;
  auto ring = pki::Keyring::load(ctx.data_dir);
  if (!ring) {
    log::error("admin api: keys: {}", ring.error().text);
    return api_error(503, "key sets unreadable: " + ring.error().text);
  }
  std::int64_t now = ctx.now();
  nlohmann::json sets = nlohmann::json::array();
  for (const auto& s : ring->sets()) {
    nlohmann::json j = key_set_json(s);
    j["days_to_expiry"] = days_to(pki::describe(s.cert.get()).not_after, now);
    j["use"] = s.active() ? nlohmann::json::array({"sign", "open"}) : nlohmann::json::array({"open"});
    sets.push_back(std::move(j));
  }
  nlohmann::json tls = ctx.tls_cert.empty() ? nlohmann::json() : tls_json(ctx.tls_cert, now);
  return json_response(200, {{"key_sets", sets}, {"tls", tls}});
}

}  // namespace

void register_key_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("GET", "/v1/keys", [ctx](const HttpRequest& r) { return keys(ctx, r); });
}

}  // namespace sm::admin
