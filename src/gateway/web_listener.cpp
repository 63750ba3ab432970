// web_listener.cpp - opens the accounts and starts the self-service HTTPS
// listener for `securemail run` (see web_listener.h).
#include "gateway/web_listener.h"

namespace sm::gateway {
namespace {

auth::ThrottleLimits limits_of(const config::Config::Auth& a) {
  return auth::ThrottleLimits{.account_delay_after = a.delay_after,
                              .account_lock = a.account_lock,
                              .client_lock = a.client_lock,
                              .window = a.window,
                              .lock_time = a.lock_time};
}

}  // namespace

WebListener::WebListener(std::unique_ptr<auth::AccountStore> accounts, const config::Config& config)
    : accounts_(std::move(accounts)),
      throttle_(limits_of(config.auth)),
      site_(*accounts_, throttle_, config.auth.issuer.empty() ? config.domain : config.auth.issuer),
      https_(site_) {}

Result<std::unique_ptr<WebListener>> WebListener::start(const config::Config& config,
                                                        const std::filesystem::path& cert,
                                                        const std::filesystem::path& key,
                                                        std::map<std::string, std::string>& bound) {
  const auto& at = config.listen.web;
  if (!at.enabled()) return nullptr;
  auto accounts = auth::AccountStore::open(config.data_dir);
  if (!accounts) return std::unexpected(accounts.error());
  auto web = std::make_unique<WebListener>(std::move(*accounts), config);
  auto port = web->https_.listen(at.host, at.port, cert, key);
  if (!port) return std::unexpected(port.error());
  bound["web"] = config::Endpoint{at.host, static_cast<std::uint16_t>(*port)}.str();
  return web;
}

}  // namespace sm::gateway
