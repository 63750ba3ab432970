// web_listener.cpp - opens the accounts and starts the self-service HTTPS
// listener for `securemail run` (see web_listener.h).
#include "gateway/web_listener.h"

#include "auth/throttle_config.h"

namespace sm::gateway {

WebListener::WebListener(std::unique_ptr<auth::AccountStore> accounts, const config::Config& config)
    : accounts_(std::move(accounts)),
      throttle_(auth::throttle_limits(config.auth)),
      site_(*accounts_, throttle_, config.auth.issuer.empty() ? config.domain : config.auth.issuer),
      https_("web", std::string(selfservice::kSessionCookie), [this](const admin::WebRequest& r) { return site_.handle(r); }) {}

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
