// https_listener.h - the [listen] web listener: HTTPS (cpp-httplib's
// SSLServer, TLS 1.2+) in its own threads, in front of a Site.
//
// Every answer carries the security headers (no-store, HSTS, a CSP that
// allows no scripts and no outside resources, no referrer, nosniff,
// frame-ancestors none); the session cookie is __Host-, HttpOnly, Secure,
// SameSite=Strict. Form fields are read only from a POST body, never from
// the URL. The access log names method, path and status only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "selfservice/site.h"
#include "util/error.h"

namespace httplib {
class SSLServer;
}

namespace sm::selfservice {

class HttpsListener {
 public:
  explicit HttpsListener(Site& site);
  ~HttpsListener();
  HttpsListener(const HttpsListener&) = delete;
  HttpsListener& operator=(const HttpsListener&) = delete;

  // Load the certificate chain and key (PEM), bind host:port (0: the OS
  // chooses) and serve; returns the bound port. Errors name the file or
  // the address.
  Result<int> listen(const std::string& host, int port, const std::filesystem::path& cert,
                     const std::filesystem::path& key);
  void stop();

 private:
  Site& site_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
};

}  // namespace sm::selfservice
