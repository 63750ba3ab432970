// web_https.h - the gateway's web pages without their transport
// (WebRequest in, WebResponse out; the self-service page, the admin
// console), the headers and cookies they share, and the HTTPS listener of
// [listen] web: cpp-httplib's SSLServer, TLS 1.2+, in its own threads.
//
// Every answer carries the security headers (no-store, HSTS, a CSP that
// allows no scripts and no outside resources, no referrer, nosniff,
// frame-ancestors none, X-Frame-Options DENY); the session cookie is
// __Host-, HttpOnly, Secure, SameSite=Strict. Form fields are read only
// from a POST body; a GET's query (filters, never secrets) is passed
// separately. The access log names method, path and status only.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "admin/listen_thread.h"
#include "util/error.h"

namespace httplib {
class SSLServer;
}

namespace sm::admin {

struct WebRequest {
  std::string method;                     // "GET", "POST"
  std::string path;                       // without the query
  std::string client;                     // peer address, for the throttle and the log
  std::string session_id;                 // from the session cookie, "" when none
  std::map<std::string, std::string> form;  // application/x-www-form-urlencoded body
  std::map<std::string, std::string> query;  // a GET's query parameters (filters; never secrets)
  // A file of a multipart/form-data POST (its text fields are in `form`);
  // only listeners that allow a larger body (set_max_body) receive them.
  struct Upload {
    std::string field, filename, content_type, content;
  };
  std::vector<Upload> files;

  // A form value, "" when absent.
  std::string value(std::string_view name) const;
  // A query parameter, "" when absent.
  std::string param(std::string_view name) const;
};

struct WebResponse {
  int status = 200;
  std::string body;          // HTML
  std::string location;      // set: 303 See Other to it
  std::string set_session;   // set: the session cookie to send
  bool clear_session = false;
  // A download instead of a page: its media type, and the file name the
  // browser saves it under (Content-Disposition: attachment).
  std::string content_type;
  std::string download_name;

  static WebResponse page(int status, std::string body) {
    WebResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static WebResponse redirect(std::string to) {
    WebResponse r;
    r.location = std::move(to);
    return r;
  }
};

using WebHandler = std::function<WebResponse(const WebRequest&)>;

// What every web page's answer carries: no-store, HSTS, a CSP that allows
// no script and nothing from elsewhere, no referrer, nosniff, DENY framing.
std::vector<std::pair<std::string, std::string>> web_security_headers();
// A cookie's value from a Cookie header, "" when absent.
std::string cookie_value(std::string_view header, std::string_view cookie);
// The fields of an application/x-www-form-urlencoded body (the first of
// repeated fields counts); none for any other content type.
std::map<std::string, std::string> form_fields(std::string_view content_type, const std::string& body);
// The Set-Cookie value that sets or clears the session cookie as r asks
// (attrs: "; Path=...; HttpOnly; ..."), "" when r changes nothing.
std::string session_cookie_header(const WebResponse& r, std::string_view cookie, std::string_view attrs);

class HttpsListener {
 public:
  static constexpr std::size_t kMaxFormBody = 16 * 1024;
  // name: for the log ("web"); cookie: the session cookie's name (a
  // "__Host-" name).
  HttpsListener(std::string name, std::string cookie, WebHandler handler);
  ~HttpsListener();
  HttpsListener(const HttpsListener&) = delete;
  HttpsListener& operator=(const HttpsListener&) = delete;

  // Load the certificate chain and key (PEM), bind host:port (0: the OS
  // chooses) and serve; returns the bound port. Errors name the file or
  // the address.
  Result<int> listen(const std::string& host, int port, const std::filesystem::path& cert,
                     const std::filesystem::path& key);
  void stop();
  // What the access and error logs show of a request's path (pickup: the
  // link token never reaches a log). Set before listen().
  void set_log_path(std::function<std::string(const std::string&)> shown) { log_path_ = std::move(shown); }
  // Accept request bodies up to `octets` for POSTs to `path` only (an
  // upload); every other request keeps the 16 KiB of a form. Either limit
  // passed is answered 413 after the body (what passes `octets` is read and
  // dropped), on `path` with `too_large` (HTML). A body without a
  // Content-Length gets 411 unread. Set before listen().
  void allow_large_body(std::string path, std::size_t octets, std::string too_large) {
    large_path_ = std::move(path);
    max_body_ = octets;
    too_large_ = std::move(too_large);
  }

 private:
  std::string name_, cookie_;
  WebHandler handler_;
  std::function<std::string(const std::string&)> log_path_ = [](const std::string& path) { return path; };
  std::string large_path_;
  std::size_t max_body_ = kMaxFormBody;
  std::string too_large_;
  std::unique_ptr<httplib::SSLServer> server_;
  ListenThread thread_;
};

}  // namespace sm::admin
