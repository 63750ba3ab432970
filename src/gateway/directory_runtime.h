// directory_runtime.h - the member directory as the daemon runs it: the
// directory service, the webhooks and the admin notice wired together, so
// gateway.cpp only starts, asks and stops one thing.
//
// With no [directory] feed nothing is started, and the directory routes
// answer 503.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "admin/http_server.h"
#include "config/config.h"
#include "gateway/admin_notice.h"
#include "gateway/directory_service.h"
#include "gateway/webhooks.h"
#include "queue/spool.h"

namespace sm::gateway {

class DirectoryRuntime {
 public:
  // Opens the replica and the subscriptions (errors: a missing authority
  // certificate, an unusable database). queued gets the queue id of each
  // admin notice, on the queue's committer thread.
  static Result<std::unique_ptr<DirectoryRuntime>> open(const config::Config& config, queue::Spool& spool,
                                                        std::function<void(const std::string&)> queued);
  ~DirectoryRuntime();

  void register_routes(admin::AdminServer& server);  // before the server listens
  void start();                                      // first fetch now, then every refresh
  void refresh_now();
  // Called on the directory thread when a CRL from the feed was installed
  // as DATA/pki/crl.pem (see DirectoryService); never without a directory.
  // Register before start().
  void on_crl_installed(std::function<void()> observer);
  void stop();
  std::string health() const;  // "" without a directory
  bool stale() const;          // the copy in use is older than max_age, or none held; false without a directory
  // The directory in force now, for lookups on any thread; null without one.
  std::shared_ptr<const directory::Directory> current() const;
  // What member certificates are checked against on first use (the
  // directory authority and its current CRL); null without a directory.
  std::shared_ptr<const pki::TrustStore> member_trust() const;

 private:
  DirectoryRuntime() = default;
  std::unique_ptr<DirectoryService> service_;
  std::unique_ptr<Webhooks> webhooks_;
  std::unique_ptr<AdminNotifier> notifier_;
};

}  // namespace sm::gateway
