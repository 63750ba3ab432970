// web_listener.h - the gateway's [listen] web listener: the self-service
// page (selfservice/) over HTTPS with the gateway's TLS certificate, on the
// mailbox accounts in DATA/accounts.sqlite, sign-in failures slowed and
// blocked with the [auth] numbers SMTP AUTH uses.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "admin/web_https.h"
#include "auth/accounts.h"
#include "auth/throttle.h"
#include "config/config.h"
#include "selfservice/site.h"
#include "util/error.h"

namespace sm::gateway {

class WebListener {
 public:
  // Nothing to do (nullptr) when [listen] web is not set; else opens the
  // accounts, binds and serves, and names the bound address "web" in bound.
  static Result<std::unique_ptr<WebListener>> start(const config::Config& config, const std::filesystem::path& cert,
                                                    const std::filesystem::path& key,
                                                    std::map<std::string, std::string>& bound);
  WebListener(std::unique_ptr<auth::AccountStore> accounts, const config::Config& config);
  void stop() { https_.stop(); }

 private:
  std::unique_ptr<auth::AccountStore> accounts_;
  auth::Throttle throttle_;
  selfservice::Site site_;
  admin::HttpsListener https_;
};

}  // namespace sm::gateway
