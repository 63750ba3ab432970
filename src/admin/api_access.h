// api_access.h - who is asking (the bearer token) and writing an audit
// entry for an API change; used by the api_*.cpp route files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
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

// All of `text` as a whole number within [min, max], or nullopt.
std::optional<std::int64_t> whole_number(const std::string& text, std::int64_t min, std::int64_t max);

// A query parameter's reader: stores the value, or says why it is bad
// ("state: use active, held or deferred").
using ParameterReader = std::function<std::optional<std::string>(const std::string& value)>;
// Hands each query parameter to the reader of its name; the 400 for the
// first that is bad or has no reader ("unknown parameter: colour").
std::optional<HttpResponse> read_parameters(const HttpRequest& req, const std::map<std::string, ParameterReader>& readers);
// limit=: 1 to 10000, into *limit.
ParameterReader limit_reader(std::size_t* limit);
// The 400 when a route that takes no parameter got one.
std::optional<HttpResponse> refuse_parameters(const HttpRequest& req);

// Registers the routes of one resource group (api_*.cpp).
void register_queue_routes(AdminServer& server, const ApiContext& ctx);
void register_receipt_routes(AdminServer& server, const ApiContext& ctx);
void register_account_routes(AdminServer& server, const ApiContext& ctx);
void register_key_routes(AdminServer& server, const ApiContext& ctx);
void register_config_routes(AdminServer& server, const ApiContext& ctx);
void register_selftest_routes(AdminServer& server, const ApiContext& ctx);  // api_selftest.cpp
void register_message_routes(AdminServer& server, const ApiContext& ctx);   // api_messages.cpp
void register_pickup_routes(AdminServer& server, const ApiContext& ctx);    // api_pickup.cpp

}  // namespace sm::admin
