// https_listener.cpp - cpp-httplib SSLServer in front of the self-service
// Site: TLS set-up, request/response conversion, security headers (see
// https_listener.h).
#include "selfservice/https_listener.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include "admin/http_socket.h"
#include "util/log.h"

namespace sm::selfservice {
namespace {

constexpr std::size_t kMaxFormBody = 16 * 1024;

void security_headers(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("Strict-Transport-Security", "max-age=31536000");
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
                 "frame-ancestors 'none'");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
}

// The session cookie's value from a Cookie header, "" when absent.
std::string session_cookie(const std::string& header) {
  std::string_view rest = header;
  const std::string name = std::string(kSessionCookie) + "=";
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name)) return std::string(part.substr(name.size()));
  }
  return "";
}

WebRequest to_request(const httplib::Request& req) {
  WebRequest r;
  r.method = req.method;
  r.path = req.path;
  r.client = req.remote_addr;
  r.session_id = session_cookie(req.get_header_value("Cookie"));
  if (req.method == "POST" &&
      req.get_header_value("Content-Type").starts_with("application/x-www-form-urlencoded")) {
    httplib::Params params;
    httplib::detail::parse_query_text(req.body, params);
    for (auto& [k, v] : params) r.form.emplace(k, v);  // the first of repeated fields counts
  }
  return r;
}

void write_response(const WebResponse& from, httplib::Response& res) {
  security_headers(res);
  std::string cookie_attrs = "; Path=/; Secure; HttpOnly; SameSite=Strict";
  if (!from.set_session.empty())
    res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + from.set_session + cookie_attrs);
  else if (from.clear_session)
    res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + cookie_attrs + "; Max-Age=0");
  if (!from.location.empty()) {
    res.status = 303;
    res.set_header("Location", from.location);
    return;
  }
  res.status = from.status;
  res.set_content(from.body, "text/html; charset=utf-8");
}

void plain_error(httplib::Response& res, int status, const char* text) {
  res.status = status;
  security_headers(res);
  res.set_content(text, "text/plain; charset=utf-8");
}

}  // namespace

HttpsListener::HttpsListener(Site& site) : site_(site) {}
HttpsListener::~HttpsListener() { stop(); }

Result<int> HttpsListener::listen(const std::string& host, int port, const std::filesystem::path& cert,
                                  const std::filesystem::path& key) {
  std::string problem;
  server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1) problem = "cannot use certificate " + cert.string();
    else if (SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) problem = "cannot use key " + key.string();
    else if (SSL_CTX_check_private_key(&ctx) != 1) problem = "key " + key.string() + " does not match " + cert.string();
    return problem.empty();
  });
  if (!server_->is_valid()) return local_error("web listener: " + (problem.empty() ? "TLS set-up failed" : problem));
  admin::tune_listener(*server_);
  server_->set_payload_max_length(kMaxFormBody);
  server_->set_read_timeout(10, 0);
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  auto route = [this](const httplib::Request& req, httplib::Response& res) {
    try {
      write_response(site_.handle(to_request(req)), res);
    } catch (const std::exception& e) {
      log::error("selfservice: {} {}: {}", req.method, req.path, e.what());
      plain_error(res, 500, "internal error\n");
    }
  };
  server_->Get(".*", route);
  server_->Post(".*", route);
  server_->set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    plain_error(res, res.status, res.status == 413 ? "request too large\n" : "bad request\n");
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    log::debug("selfservice: {} {} {} -> {}", req.remote_addr, req.method, req.path, res.status);
  });
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) return local_error("web listener: cannot bind " + host + ":" + std::to_string(port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return bound;
}

void HttpsListener::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sm::selfservice
