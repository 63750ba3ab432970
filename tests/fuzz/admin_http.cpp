// admin_http.cpp - fuzz target: octets on one connection to the admin
// listener, answered by AdminServer::answer (src/admin/http_server.h):
// cpp-httplib's request parser, our routes (/healthz, /metrics and two
// shaped like the directory API: a path capture, a query, a conditional
// GET, a POST body), the body limit and the JSON error handler.
//
// Note: the HTTP parsing itself is in Debian's libcpp-httplib.so, which is
// not instrumented: crashes there are caught, but coverage guidance and
// ASan checks only reach our side (see docs/hardening.md).
// Properties: every answer is one or more HTTP/1.1 responses with a status
// line of a valid code; a request never takes the server down (a route
// that throws becomes a 500).
#include <string>

#include "admin/http_server.h"
#include "fuzz.h"

namespace {

sm::admin::AdminServer& server() {
  static sm::admin::AdminServer* s = [] {
    auto* a = new sm::admin::AdminServer([] { return sm::admin::Health{true, "fuzz"}; });
    a->handle("GET", R"(/v1/members/([a-z0-9][a-z0-9.-]*))", [](const sm::admin::HttpRequest& r) {
      sm::admin::HttpResponse res;
      std::string etag = "\"" + r.captures.at(0) + "\"";
      if (sm::admin::etag_matches(r.header("If-None-Match"), etag)) res.status = 304;
      res.body = "{\"id\":\"" + r.captures.at(0) + "\",\"fields\":\"" + r.param("fields").value_or("") + "\"}";
      res.headers.emplace_back("ETag", etag);
      return res;
    });
    a->handle("POST", "/v1/members", [](const sm::admin::HttpRequest& r) {
      if (r.body.empty()) throw std::runtime_error("empty body");  // a route that fails: 500
      sm::admin::HttpResponse res;
      res.status = 201;
      res.body = "{\"size\":" + std::to_string(r.body.size()) + "}";
      return res;
    });
    return a;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)server();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string out = server().answer(fuzz::text(data, size));
  if (out.empty()) return 0;  // nothing complete to answer
  FUZZ_REQUIRE(out.starts_with("HTTP/1.1 "));
  for (std::size_t at = 0; (at = out.find("HTTP/1.1 ", at)) != std::string::npos; at += 9) {
    if (at != 0 && out.compare(at - 2, 2, "\r\n") != 0) continue;  // inside a body
    std::string_view code = std::string_view(out).substr(at + 9, 3);
    FUZZ_REQUIRE(code.size() == 3 && code[0] >= '1' && code[0] <= '5');
  }
  return 0;
}
