// pickup_control.h - the admin API's view of secure pickup
// (admin::PickupControl) on the gateway's files: the ledger and vault in
// DATA/pickup, opened per request like `securemail pickup list|revoke`
// (SQLite WAL: the running service is not disturbed, and a revocation
// takes effect on the pages' next request; the sender is told by the
// service's next sweep, within 30 s).
#pragma once

#include <filesystem>

#include "admin/api.h"

namespace sm::gateway {

class PickupFiles final : public admin::PickupControl {
 public:
  explicit PickupFiles(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
  Result<std::vector<admin::PickupEntry>> list(const std::string& state) override;
  std::expected<admin::PickupEntry, admin::QueueRefusal> revoke(const std::string& ref, const std::string& by) override;

 private:
  std::filesystem::path data_dir_;
};

}  // namespace sm::gateway
