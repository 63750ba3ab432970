// web_https.cpp - cpp-httplib SSLServer in front of a web handler (the
// self-service Site, the admin Console): TLS set-up, request/response
// conversion, security headers (see web_https.h).
#include "admin/web_https.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include "admin/http_socket.h"
#include "util/log.h"

namespace sm::admin {
namespace {

void security_headers(httplib::Response& res) {
  for (const auto& [name, value] : web_security_headers()) res.set_header(name, value);
}

WebRequest to_request(const httplib::Request& req, const std::string& cookie) {
  WebRequest r;
  r.method = req.method;
  r.path = req.path;
  r.client = req.remote_addr;
  r.session_id = cookie_value(req.get_header_value("Cookie"), cookie);
  if (req.method == "GET")
    for (auto& [k, v] : req.params) r.query.emplace(k, v);  // the first of repeated parameters counts
  if (req.method == "POST") r.form = form_fields(req.get_header_value("Content-Type"), req.body);
  if (req.method == "POST" && req.is_multipart_form_data())
    for (const auto& [name, part] : req.files) {  // text fields and files alike
      if (part.filename.empty()) r.form.emplace(name, part.content);  // the first of repeated fields counts
      else r.files.push_back({name, part.filename, part.content_type, part.content});
    }
  return r;
}

void write_response(const WebResponse& from, const std::string& cookie, httplib::Response& res) {
  security_headers(res);
  if (auto set = session_cookie_header(from, cookie, "; Path=/; Secure; HttpOnly; SameSite=Strict"); !set.empty())
    res.set_header("Set-Cookie", set);
  if (!from.location.empty()) {
    res.status = 303;
    res.set_header("Location", from.location);
    return;
  }
  res.status = from.status;
  if (!from.download_name.empty()) {
    // RFC 6266: an ASCII fallback with anything doubtful replaced, and the
    // name itself percent-encoded as UTF-8.
    std::string ascii, encoded;
    for (unsigned char c : from.download_name) {
      ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '/' && c != ';') ? static_cast<char>(c) : '_';
      if (std::isalnum(c) || c == '.' || c == '-' || c == '_') encoded += static_cast<char>(c);
      else encoded += fmt::format("%{:02X}", c);
    }
    res.set_header("Content-Disposition", "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded);
  }
  res.set_content(from.body, from.content_type.empty() ? "text/html; charset=utf-8" : from.content_type);
}

void plain_error(httplib::Response& res, int status, const char* text) {
  res.status = status;
  security_headers(res);
  res.set_content(text, "text/plain; charset=utf-8");
}

// What a request carried: its body, or its multipart parts.
std::size_t body_size(const httplib::Request& req) {
  std::size_t size = req.body.size();
  for (const auto& [name, part] : req.files) size += name.size() + part.filename.size() + part.content.size();
  return size;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> web_security_headers() {
  return {{"Cache-Control", "no-store"},
          {"Strict-Transport-Security", "max-age=31536000"},
          {"Content-Security-Policy",
           "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
           "frame-ancestors 'none'"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"}};
}

std::string cookie_value(std::string_view header, std::string_view cookie) {
  std::string_view rest = header;
  const std::string name = std::string(cookie) + "=";
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name)) return std::string(part.substr(name.size()));
  }
  return "";
}

std::map<std::string, std::string> form_fields(std::string_view content_type, const std::string& body) {
  std::map<std::string, std::string> out;
  if (!content_type.starts_with("application/x-www-form-urlencoded")) return out;
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  for (auto& [k, v] : params) out.emplace(k, v);  // the first of repeated fields counts
  return out;
}

std::string session_cookie_header(const WebResponse& r, std::string_view cookie, std::string_view attrs) {
  if (!r.set_session.empty()) return std::string(cookie) + "=" + r.set_session + std::string(attrs);
  if (r.clear_session) return std::string(cookie) + "=" + std::string(attrs) + "; Max-Age=0";
  return "";
}

std::string WebRequest::value(std::string_view name) const {
  auto it = form.find(std::string(name));
  return it == form.end() ? std::string() : it->second;
}

std::string WebRequest::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string() : it->second;
}

HttpsListener::HttpsListener(std::string name, std::string cookie, WebHandler handler)
    : name_(std::move(name)), cookie_(std::move(cookie)), handler_(std::move(handler)) {}
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
  if (!server_->is_valid()) return local_error(name_ + " listener: " + (problem.empty() ? "TLS set-up failed" : problem));
  admin::tune_listener(*server_);
  server_->set_payload_max_length(max_body_);
  server_->set_read_timeout(10, 0);
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  auto route = [this](const httplib::Request& req, httplib::Response& res) {
    // Read (httplib drops what passes max_body_), but only the upload path
    // may send more than a form: answered after the body, never before, so
    // the client reads the 413 rather than a reset connection.
    if (req.path != large_path_ && body_size(req) > kMaxFormBody) return plain_error(res, 413, "request too large\n");
    try {
      write_response(handler_(to_request(req, cookie_)), cookie_, res);
    } catch (const std::exception& e) {
      log::error("{}: {} {}: {}", name_, req.method, log_path_(req.path), e.what());
      plain_error(res, 500, "internal error\n");
    }
  };
  server_->Get(".*", route);
  server_->Post(".*", route);
  server_->set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.has_header("Content-Security-Policy")) security_headers(res);  // the 411 and httplib's own errors
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413 && req.path == large_path_ && !too_large_.empty()) {
      res.set_content(too_large_, "text/html; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    plain_error(res, res.status, res.status == 413 ? "request too large\n" : "bad request\n");
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    log::debug("{}: {} {} {} -> {}", name_, req.remote_addr, req.method, log_path_(req.path), res.status);
  });
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) return local_error(name_ + " listener: cannot bind " + host + ":" + std::to_string(port));
  thread_.start([this] { server_->listen_after_bind(); }, [this] { server_->stop(); });
  return bound;
}

void HttpsListener::stop() {
  thread_.stop();
}

}  // namespace sm::admin
