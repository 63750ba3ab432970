// admin_api_wiring.cpp - implements admin::QueueControl on the running
// gateway: reads of the live spool, and changes sent over the gateway's
// own control socket, so they run on the event loop exactly as
// `securemail queue hold|release|delete|flush` would (same checks, same
// log lines). Also hands the routes the data folder (receipts, accounts,
// keys), the running config, the TLS certificate, the alerts, secure
// pickup (pickup_control.h) and the message submission of applications.
#include "gateway/admin_api_wiring.h"

#include <ctime>

#include "admin/api.h"
#include "admin/queue_view.h"
#include "directory/directory.h"
#include "gateway/directory_runtime.h"
#include "gateway/control_socket.h"
#include "gateway/pickup_control.h"

namespace sm::gateway {
namespace {

class GatewayQueue final : public admin::QueueControl {
 public:
  GatewayQueue(std::filesystem::path data_dir, queue::Spool& spool) : data_dir_(std::move(data_dir)), spool_(spool) {}

  std::vector<queue::QueuedMessage> messages() override { return admin::listed_messages(spool_); }

  std::optional<queue::QueuedMessage> message(const std::string& id) override {
    auto m = spool_.load(id);
    if (!m || m->envelope.discreet) return std::nullopt;
    return std::move(*m);
  }

  admin::QueueResult change(const std::string& what, const std::string& id) override {
    auto reply = ask_running_gateway(data_dir_, what + " " + id);
    if (!reply) return std::unexpected(admin::QueueRefusal{admin::Refusal::unavailable, "the control socket does not answer"});
    if (*reply == "ok") return {};
    std::string text = reply->starts_with("error ") ? reply->substr(6) : *reply;
    bool missing = text.find("no such message") != std::string::npos || text.starts_with("not a queue id");
    bool conflict = text.find("held") != std::string::npos;
    return std::unexpected(admin::QueueRefusal{
        missing ? admin::Refusal::not_found : conflict ? admin::Refusal::conflict : admin::Refusal::unavailable, text});
  }

  admin::QueueResult flush() override {
    if (notify_running_gateway(data_dir_, "flush")) return {};
    return std::unexpected(admin::QueueRefusal{admin::Refusal::unavailable, "the control socket does not answer"});
  }

 private:
  std::filesystem::path data_dir_;
  queue::Spool& spool_;
};

}  // namespace

struct AdminApi::Parts {
  std::unique_ptr<admin::TokenStore> tokens;
  std::unique_ptr<GatewayQueue> queue;
  std::unique_ptr<PickupFiles> pickup;  // with [pickup]
  std::function<admin::DirectoryStatus()> directory;
};

AdminApi::AdminApi(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
AdminApi::~AdminApi() = default;

admin::QueueControl& AdminApi::queue() { return *parts_->queue; }
admin::PickupControl* AdminApi::pickup() { return parts_->pickup.get(); }
std::function<admin::DirectoryStatus()> AdminApi::directory_status() const { return parts_->directory; }

Result<std::unique_ptr<AdminApi>> AdminApi::attach(const config::Config& config, queue::Spool& spool,
                                                   const DirectoryRuntime& directory,
                                                   std::shared_ptr<audit::AuditTrail> trail,
                                                   admin::AdminServer& server, AdminApiSources sources) {
  auto tokens = admin::TokenStore::open(config.data_dir);
  if (!tokens) return std::unexpected(tokens.error());
  auto parts = std::make_unique<Parts>();
  parts->tokens = std::move(*tokens);
  parts->queue = std::make_unique<GatewayQueue>(config.data_dir, spool);
  admin::ApiContext ctx;
  ctx.tokens = parts->tokens.get();
  ctx.queue = parts->queue.get();
  if (config.pickup.enabled()) {
    parts->pickup = std::make_unique<PickupFiles>(config.data_dir);
    ctx.pickup = parts->pickup.get();
  }
  ctx.trail = std::move(trail);
  ctx.now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  ctx.directory = [&directory, feed = config.directory.feed.str()] {
    admin::DirectoryStatus s;
    s.configured = !feed.empty();
    s.feed_url = feed;
    s.health = directory.health();
    if (auto dir = directory.current()) {
      s.serial = dir->serial();
      s.issued = dir->serial() ? dir->feed().issued : 0;
      s.members = dir->feed().members.size();
    }
    return s;
  };
  ctx.data_dir = config.data_dir;
  ctx.tls_cert = std::move(sources.tls_cert);
  ctx.config = &config;
  ctx.alerts = std::move(sources.alerts);
  ctx.selftest_status = std::move(sources.selftest_status);
  ctx.selftest_run = std::move(sources.selftest_run);
  ctx.submit = std::move(sources.submit);
  if (!config.applications.empty()) server.accept_bodies_up_to(config.limits.max_message_size / 3 * 4 + (1u << 20));
  parts->directory = ctx.directory;
  admin::register_api_routes(server, std::move(ctx));
  return std::unique_ptr<AdminApi>(new AdminApi(std::move(parts)));
}

}  // namespace sm::gateway
