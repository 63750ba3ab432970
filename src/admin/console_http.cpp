// console_http.cpp - the console on the admin listener: /console and the
// paths below it as WebRequest for Console::handle, its WebResponse back
// as an HttpResponse with the web pages' security headers and the session
// cookie (see console.h).
#include "admin/console.h"

namespace sm::admin {
namespace {

constexpr std::string_view kCookieAttrs = "; Path=/console; HttpOnly; SameSite=Strict";

WebRequest to_web(const HttpRequest& req) {
  WebRequest r;
  r.method = req.method;
  r.path = req.captures.empty() || req.captures[0].empty() ? "/" : req.captures[0];
  r.client = req.client;
  r.session_id = cookie_value(req.header("cookie"), kConsoleCookie);
  if (req.method == "GET")
    for (const auto& [k, v] : req.query) r.query.emplace(k, v);  // the first of repeated parameters counts
  if (req.method == "POST") r.form = form_fields(req.header("content-type"), req.body);
  return r;
}

HttpResponse to_http(const WebResponse& from) {
  HttpResponse r;
  r.headers = web_security_headers();
  if (auto set = session_cookie_header(from, kConsoleCookie, kCookieAttrs); !set.empty())
    r.headers.emplace_back("Set-Cookie", set);
  if (!from.location.empty()) {
    r.status = 303;
    r.headers.emplace_back("Location", from.location);
    r.content_type = "text/plain; charset=utf-8";
    return r;
  }
  r.status = from.status;
  r.body = from.body;
  r.content_type = "text/html; charset=utf-8";
  return r;
}

}  // namespace

void register_console_routes(AdminServer& server, Console& console) {
  const std::string pattern = std::string(kConsoleBase) + "(/.*)?";
  for (std::string_view method : {"GET", "POST"})
    server.handle(method, pattern, [&console](const HttpRequest& req) { return to_http(console.handle(to_web(req))); });
}

}  // namespace sm::admin
