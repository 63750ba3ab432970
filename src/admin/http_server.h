// http_server.h - the admin listener: GET /healthz, GET /metrics
// (Prometheus text) and the routes other modules add with handle() (the
// directory API), on cpp-httplib in its own threads so a slow client never
// touches the mail event loop.
//
// Handlers only read thread-safe state (atomic counters, snapshots) or
// lock their own; they run on the HTTP threads. httplib stays behind this
// header: routes see HttpRequest/HttpResponse only. A handler that throws
// answers 500 (JSON) and never takes the listener down; unknown paths and
// oversized bodies answer JSON errors too.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "admin/listen_thread.h"
#include "util/error.h"

namespace httplib {
class Server;
}

namespace sm::admin {

struct Health {
  bool ok = true;
  std::string detail;  // one line shown by /healthz
};

struct HttpRequest {
  std::string method;
  std::string path;                              // without the query
  std::string client;                            // the peer's address
  std::vector<std::string> captures;             // the pattern's groups, in order
  std::multimap<std::string, std::string> query;  // decoded
  std::map<std::string, std::string> headers;    // names lower-cased
  std::string body;

  // The first value of a query parameter, if given.
  std::optional<std::string> param(std::string_view name) const;
  // A header's value (name case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// RFC 9110 13.1.2: does an If-None-Match value ("*" or a list of entity
// tags, weak ones compared weakly) match this strong etag ("\"...\"")?
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// Largest request body accepted (larger ones get 413).
inline constexpr std::size_t kMaxRequestBody = 64 * 1024;

class AdminServer {
 public:
  // health is called from an HTTP thread for every /healthz request.
  explicit AdminServer(std::function<Health()> health);
  ~AdminServer();

  // Add a route: method "GET", "POST", "PUT" or "DELETE"; pattern a regular
  // expression matched against the whole path, its groups passed as
  // HttpRequest::captures. Call before listen().
  void handle(std::string_view method, const std::string& pattern, HttpHandler handler);

  // One connection's octets, answered exactly as the listener would
  // (routes, limits, error bodies, keep-alive up to 16 requests) but in
  // memory: the response octets. For tests and tests/fuzz/admin_http.cpp;
  // callable before listen(), from one thread at a time.
  std::string answer(std::string_view connection);

  // Accept request bodies up to this size instead of kMaxRequestBody (POST
  // /v1/messages carries whole messages). Call before listen().
  void accept_bodies_up_to(std::size_t octets);

  // Bind host:port (port 0: the OS chooses); returns the bound port.
  Result<int> listen(const std::string& host, int port);
  void stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::function<Health()> health_;
  ListenThread thread_;
};

}  // namespace sm::admin
