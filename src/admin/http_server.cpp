// http_server.cpp - routes of the admin listener, and the adapter between
// httplib and the HttpRequest/HttpResponse routes see.
#include "admin/http_server.h"
#include "admin/http_socket.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "util/log.h"
#include "util/metrics.h"
#include "util/text.h"

namespace sm::admin {
namespace {

HttpRequest to_request(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  r.client = req.remote_addr;
  for (std::size_t i = 1; i < req.matches.size(); ++i) r.captures.push_back(req.matches[i].str());
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  for (const auto& [k, v] : req.headers) r.headers.emplace(ascii_lower(k), v);
  r.body = req.body;
  return r;
}

void write_response(const HttpResponse& from, httplib::Response& res) {
  res.status = from.status;
  for (const auto& [k, v] : from.headers) res.set_header(k, v);
  // 204 and 304 carry no body (RFC 9110 15.3.5, 15.4.5).
  if (from.status != 204 && from.status != 304) res.set_content(from.body, from.content_type);
}

// A connection held in memory for AdminServer::answer(): httplib reads the
// request from `in` and writes the response to `out`.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view in) : in_(in) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    std::size_t n = std::min(size, in_.size() - pos_);
    std::copy_n(in_.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 0; }
  socket_t socket() const override { return INVALID_SOCKET; }

  std::string out;

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

// httplib::Server with its per-request entry point reachable.
class InspectableServer final : public httplib::Server {
 public:
  bool serve_one(httplib::Stream& stream, bool last, bool& closed) {
    return process_request(stream, last, closed, nullptr);
  }
};

// A fixed JSON error body; the texts here never need escaping.
std::string json_error(std::string_view text) { return "{\"error\":\"" + std::string(text) + "\"}\n"; }

}  // namespace

bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

std::optional<std::string> HttpRequest::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string HttpRequest::header(std::string_view name) const {
  auto it = headers.find(ascii_lower(name));
  return it == headers.end() ? std::string() : it->second;
}

AdminServer::AdminServer(std::function<Health()> health)
    : server_(std::make_unique<InspectableServer>()), health_(std::move(health)) {
  tune_listener(*server_);
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    Health h = health_();
    res.status = h.ok ? 200 : 503;
    res.set_content((h.ok ? "ok " : "unhealthy ") + h.detail + "\n", "text/plain");
  });
  server_->Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics::render(), "text/plain; version=0.0.4");
  });
  // Errors httplib produces itself (no route, body too large, bad request)
  // get a JSON body; responses a route already filled are left alone.
  server_->set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const char* text = res.status == 404   ? "not found"
                       : res.status == 405 ? "method not allowed"
                       : res.status == 413 ? "request body too large"
                       : res.status == 414 ? "request URI too long"
                       : res.status >= 500 ? "internal error"
                                           : "bad request";
    res.set_content(json_error(text), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_->set_exception_handler([](const httplib::Request& req, httplib::Response& res, const std::exception_ptr&) {
    log::error("admin: {} {}: handler failed", req.method, req.path);
    res.status = 500;
    res.set_content(json_error("internal error"), "application/json");
  });
  server_->set_payload_max_length(kMaxRequestBody);
  server_->set_read_timeout(10, 0);
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::accept_bodies_up_to(std::size_t octets) { server_->set_payload_max_length(octets); }

void AdminServer::handle(std::string_view method, const std::string& pattern, HttpHandler handler) {
  auto adapter = [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    try {
      write_response(handler(to_request(req)), res);
    } catch (const std::exception& e) {
      log::error("admin: {} {}: {}", req.method, req.path, e.what());
      res.status = 500;
      res.set_content(json_error("internal error"), "application/json");
    }
  };
  if (method == "GET") server_->Get(pattern, std::move(adapter));
  else if (method == "POST") server_->Post(pattern, std::move(adapter));
  else if (method == "PUT") server_->Put(pattern, std::move(adapter));
  else if (method == "DELETE") server_->Delete(pattern, std::move(adapter));
  else log::error("admin: route {} {}: unsupported method", method, pattern);
}

Result<int> AdminServer::listen(const std::string& host, int port) {
  errno = 0;
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    // Worded like the SMTP listeners' (gateway/listener.cpp): the key, where, errno's text.
    int err = errno;
    std::string at = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    return local_error("listen.admin: cannot listen on " + at + ": " +
                       (err != 0 ? std::strerror(err) : "address not usable"));
  }
  thread_.start([this] { server_->listen_after_bind(); }, [this] { server_->stop(); });
  return bound;
}

std::string AdminServer::answer(std::string_view connection) {
  constexpr int kMaxRequests = 16;
  auto& server = static_cast<InspectableServer&>(*server_);
  MemoryStream stream(connection);
  for (int i = 0; i < kMaxRequests && stream.is_readable(); ++i) {
    bool closed = false;
    if (!server.serve_one(stream, i + 1 == kMaxRequests, closed) || closed) break;
  }
  return std::move(stream.out);
}

void AdminServer::stop() {
  thread_.stop();
}

}  // namespace sm::admin
