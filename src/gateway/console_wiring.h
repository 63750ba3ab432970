// console_wiring.h - the web console (admin/console.h) under /console on
// the admin listener, on the live queue (the admin API's QueueControl),
// the alerts of Operations, the directory, the receipt ledger, the keys in
// DATA/pki and the audit trail. Sign-ins use the accounts of
// DATA/accounts.sqlite and the console grants of DATA/admin.sqlite,
// throttled with the [auth] numbers.
#pragma once

#include <filesystem>
#include <memory>

#include "admin/http_server.h"
#include "config/config.h"
#include "util/error.h"

namespace sm::audit {
class AuditTrail;
}

namespace sm::gateway {

class AdminApi;
class Operations;

// Owns what the console uses; keep it alive until the admin server stops.
class ConsoleWiring {
 public:
  // Opens the stores and adds the /console routes (before server.listen()).
  static Result<std::unique_ptr<ConsoleWiring>> attach(const config::Config& config,
                                                       const std::filesystem::path& tls_cert, AdminApi& api,
                                                       Operations& operations,
                                                       std::shared_ptr<audit::AuditTrail> trail,
                                                       admin::AdminServer& server);
  ~ConsoleWiring();

 private:
  struct Parts;
  explicit ConsoleWiring(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace sm::gateway
