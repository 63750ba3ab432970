// directory_api.cpp - the directory routes: query checks, lookups,
// conditional GETs and the subscription endpoints.
#include "gateway/directory_api.h"

#include <nlohmann/json.hpp>

#include "gateway/directory_service.h"
#include "gateway/webhooks.h"

namespace sm::gateway {
namespace {

using admin::HttpRequest;
using admin::HttpResponse;
using nlohmann::json;

constexpr std::size_t kMaxQuery = 320;  // RFC 5321 path limits: 64 + @ + 255

HttpResponse json_response(int status, const json& body) {
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", "application/json", {}};
}

HttpResponse error(int status, std::string_view text) { return json_response(status, {{"error", text}}); }

// "x.example" from "Bob <bob@X.Example.>", "bob@x.example" or "x.example".
std::string domain_of_query(std::string_view q) {
  while (!q.empty() && (q.back() == ' ' || q.back() == '>' || q.back() == '.')) q.remove_suffix(1);
  if (auto at = q.rfind('@'); at != std::string_view::npos) q.remove_prefix(at + 1);
  while (!q.empty() && q.front() == ' ') q.remove_prefix(1);
  std::string d(q);
  for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d;
}

std::string etag_of(const directory::Directory& d) {
  return "\"" + std::to_string(d.serial()) + "-" + std::to_string(d.feed().issued) + "\"";
}

// Directory answers: 304 when the client holds this version, else `make`.
template <class Make>
HttpResponse conditional(const HttpRequest& req, const directory::Directory& d, Make make) {
  std::string etag = etag_of(d);
  HttpResponse r = admin::etag_matches(req.header("If-None-Match"), etag) ? HttpResponse{304, {}, "application/json", {}} : make();
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

// lookup_json's object; "found" tells the status.
json lookup_view(const directory::Directory& directory, std::string_view query) {
  std::string domain = domain_of_query(query);
  const directory::Member* m = directory.lookup_domain(domain);
  return {{"query", query},
          {"domain", domain},
          {"serial", directory.serial()},
          {"found", m != nullptr},
          // What the gateway does with mail to it unless a policy rule says
          // otherwise (POST /v1/messages with dry_run asks for one message).
          {"sealed", m != nullptr && m->status == directory::Status::active},
          {"member", m ? json::parse(directory::member_json(*m)) : json()}};
}

HttpResponse lookup(const DirectoryService& service, const HttpRequest& req) {
  auto address = req.param("address"), domain = req.param("domain");
  if (address.has_value() == domain.has_value())
    return error(400, "give exactly one of ?address=user@domain or ?domain=domain");
  const std::string& q = address ? *address : *domain;
  if (q.empty() || q.size() > kMaxQuery) return error(400, "the query must be 1 to 320 characters");
  if (address && q.find('@') == std::string::npos) return error(400, "address has no @domain");
  if (domain && q.find('@') != std::string::npos) return error(400, "a domain has no @ (use ?address=)");
  if (std::string d = domain_of_query(q); !config::is_hostname(d)) return error(400, "not a domain name: \"" + d + "\"");
  auto dir = service.current();
  return conditional(req, *dir, [&] {
    json view = lookup_view(*dir, q);
    return json_response(view["found"] ? 200 : 404, view);
  });
}

HttpResponse members(const DirectoryService& service, const HttpRequest& req) {
  auto dir = service.current();
  return conditional(req, *dir, [&] { return HttpResponse{200, directory::canonical_json(dir->feed()) + "\n", "application/json", {}}; });
}

json subscription_view(const Subscription& s) { return {{"id", s.id}, {"url", s.url}, {"created", s.created}}; }

HttpResponse subscribe(Webhooks& hooks, const HttpRequest& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return error(400, "the body must be a JSON object {\"url\":\"https://...\"}");
  auto url = body.find("url");
  if (url == body.end() || !url->is_string()) return error(400, "\"url\" (a string) is required");
  for (const auto& [key, value] : body.items())
    if (key != "url") return error(400, "unknown field \"" + key + "\"");
  auto s = hooks.subscribe(url->get<std::string>());
  if (!s) {
    switch (s.error().kind) {
      case SubscribeError::Kind::bad_url: return error(400, "bad url: " + s.error().text);
      case SubscribeError::Kind::too_many: return error(409, s.error().text);
      case SubscribeError::Kind::storage: return error(500, "cannot store the subscription");
    }
  }
  json view = subscription_view(*s);
  view["secret"] = s->secret;
  HttpResponse r = json_response(201, view);
  r.headers.emplace_back("Location", "/v1/directory/subscriptions/" + s->id);
  return r;
}

HttpResponse subscriptions(const Webhooks& hooks) {
  json list = json::array();
  for (const auto& s : hooks.list()) list.push_back(subscription_view(s));
  return json_response(200, {{"subscriptions", list}});
}

HttpResponse unsubscribe(Webhooks& hooks, const HttpRequest& req) {
  auto removed = hooks.unsubscribe(req.captures.at(0));
  if (!removed) return error(500, "cannot remove the subscription");
  if (!*removed) return error(404, "no such subscription");
  return {204, {}, "application/json", {}};
}

}  // namespace

std::string lookup_json(const directory::Directory& directory, std::string_view address_or_domain) {
  return lookup_view(directory, address_or_domain).dump(-1, ' ', false, json::error_handler_t::replace);
}

void register_directory_routes(admin::AdminServer& server, const DirectoryService* service, Webhooks* hooks) {
  auto with_directory = [service, hooks](auto route) {
    return [service, hooks, route](const HttpRequest& req) {
      if (!service || !hooks) return error(503, "no directory on this gateway ([directory] feed is not set)");
      return route(*service, *hooks, req);
    };
  };
  server.handle("GET", "/v1/directory/lookup", with_directory([](auto& s, auto&, auto& req) { return lookup(s, req); }));
  server.handle("GET", "/v1/directory/members", with_directory([](auto& s, auto&, auto& req) { return members(s, req); }));
  server.handle("POST", "/v1/directory/subscriptions",
                with_directory([](auto&, auto& h, auto& req) { return subscribe(h, req); }));
  server.handle("GET", "/v1/directory/subscriptions",
                with_directory([](auto&, auto& h, auto&) { return subscriptions(h); }));
  server.handle("DELETE", "/v1/directory/subscriptions/([^/]+)",
                with_directory([](auto&, auto& h, auto& req) { return unsubscribe(h, req); }));
}

}  // namespace sm::gateway
