// api_access.h - who is asking (the bearer token) and writing an audit
// entry for an API change; used by the api_*.cpp route files.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "admin/api.h"

namespace sm::admin {

// The caller's token when it may use a route needing `scope`; otherwise
// the 401 or 403 answer in *refused.
std::optional<TokenInfo> authorize(const ApiContext& ctx, const HttpRequest& req, Scope scope,
                                   HttpResponse* refused);

// Records a change done through the API (actor "api-token:NAME"); false
// (and logged) when the trail refused it.
bool audit_change(const ApiContext& ctx, const TokenInfo& who, const std::string& action, const std::string& object,
                  const nlohmann::json& details);

HttpResponse json_response(int status, const nlohmann::json& body);

}  // namespace sm::admin
