// directory_runtime.cpp - wiring of the directory service, webhooks and
// admin notice.
#include "gateway/directory_runtime.h"

#include "gateway/directory_api.h"

namespace sm::gateway {

Result<std::unique_ptr<DirectoryRuntime>> DirectoryRuntime::open(const config::Config& config, queue::Spool& spool,
                                                                  std::function<void(const std::string&)> queued) {
  std::unique_ptr<DirectoryRuntime> rt(new DirectoryRuntime());
  if (!config.directory.feed.enabled()) return rt;
  auto service = DirectoryService::open(config);
  if (!service) return std::unexpected(service.error());
  auto webhooks = Webhooks::open(config.data_dir);
  if (!webhooks) return std::unexpected(webhooks.error());
  rt->service_ = std::move(*service);
  rt->webhooks_ = std::move(*webhooks);
  rt->service_->on_changes([hooks = rt->webhooks_.get()](const DirectoryChanges& c) { hooks->publish(c); });
  if (config.directory.notify_admin) {
    rt->notifier_ = std::make_unique<AdminNotifier>(config, spool, std::move(queued));
    rt->service_->on_changes([notifier = rt->notifier_.get()](const DirectoryChanges& c) { notifier->notify(c); });
  }
  return rt;
}

DirectoryRuntime::~DirectoryRuntime() { stop(); }

void DirectoryRuntime::register_routes(admin::AdminServer& server) {
  register_directory_routes(server, service_.get(), webhooks_.get());
}

void DirectoryRuntime::start() {
  if (service_) service_->start();
}

void DirectoryRuntime::refresh_now() {
  if (service_) service_->refresh_now();
}

void DirectoryRuntime::on_crl_installed(std::function<void()> observer) {
  if (service_) service_->on_crl_installed(std::move(observer));
}

void DirectoryRuntime::stop() {
  if (service_) service_->stop();  // first: it may still publish to the webhooks
  if (webhooks_) webhooks_->stop();
}

std::shared_ptr<const directory::Directory> DirectoryRuntime::current() const {
  return service_ ? service_->current() : nullptr;
}

std::shared_ptr<const pki::TrustStore> DirectoryRuntime::member_trust() const {
  return service_ ? service_->member_trust() : nullptr;
}

std::string DirectoryRuntime::health() const { return service_ ? service_->health() : std::string(); }
bool DirectoryRuntime::stale() const { return service_ && service_->stale(); }

}  // namespace sm::gateway
