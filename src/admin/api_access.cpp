// api_access.cpp - bearer token checks, JSON answers and audit entries for
// the /v1 routes.
#include "admin/api_access.h"

#include <charconv>

#include "audit/audit.h"
#include "util/log.h"

namespace sm::admin {

HttpResponse json_response(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(2) + "\n";
  return r;
}

std::optional<std::int64_t> whole_number(const std::string& text, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<HttpResponse> read_parameters(const HttpRequest& req, const std::map<std::string, ParameterReader>& readers) {
  for (const auto& [key, value] : req.query) {
    auto reader = readers.find(key);
    if (reader == readers.end()) return api_error(400, "unknown parameter: " + key);
    if (auto bad = reader->second(value)) return api_error(400, *bad);
  }
  return std::nullopt;
}

ParameterReader limit_reader(std::size_t* limit) {
  return [limit](const std::string& value) -> std::optional<std::string> {
    auto v = whole_number(value, 1, 10000);
    if (!v) return "limit: a number from 1 to 10000";
    *limit = static_cast<std::size_t>(*v);
    return std::nullopt;
  };
}

std::optional<HttpResponse> refuse_parameters(const HttpRequest& req) { return read_parameters(req, {}); }

HttpResponse api_error(int status, std::string_view text) {
  HttpResponse r = json_response(status, {{"error", std::string(text)}});
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"securemail\"");
  return r;
}

std::optional<TokenInfo> authorize(const ApiContext& ctx, const HttpRequest& req, Scope scope,
                                   HttpResponse* refused) {
  std::string auth = req.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || !std::equal(kBearer.begin(), kBearer.end(), auth.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      })) {
    *refused = api_error(401, "a bearer token is required (Authorization: Bearer TOKEN)");
    return std::nullopt;
  }
  auto known = ctx.tokens->check(std::string_view(auth).substr(kBearer.size()), ctx.now());
  if (!known) {
    log::error("admin api: token store: {}", known.error().text);
    *refused = api_error(503, "token store unavailable");
    return std::nullopt;
  }
  if (!*known) {
    *refused = api_error(401, "unknown or revoked token");
    return std::nullopt;
  }
  const Scope has = (*known)->scope;
  if (scope != has && (scope != Scope::read || has != Scope::write)) {
    *refused = api_error(403, "token '" + (*known)->name + "' has " + to_string(has) + " scope; this needs a " +
                                  to_string(scope) + " token");
    return std::nullopt;
  }
  return *known;
}

bool audit_change(const ApiContext& ctx, const TokenInfo& who, const std::string& action, const std::string& object,
                  const nlohmann::json& details) {
  auto entry = ctx.trail->append("api-token:" + who.name, action, object, "", details.dump(), ctx.now());
  if (!entry) log::error("admin api: {} {} by token {} not audited: {}", action, object, who.name, entry.error().text);
  return static_cast<bool>(entry);
}

}  // namespace sm::admin
