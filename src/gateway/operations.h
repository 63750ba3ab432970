// operations.h - what operators watch besides /healthz: readiness
// (GET /readyz: listeners bound, spool writable, directory fresh, keys
// loaded), the gauges computed at scrape time (certificate days to expiry,
// directory age, spool disk use, process_*, build info) and the alerts of
// admin/alerts.h (securemail_alert, current_alerts()).
//
// Everything here is read on the admin HTTP threads; the delivery agent
// reports connection outcomes through peer_reachability().
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "admin/alerts.h"
#include "admin/http_server.h"
#include "config/config.h"
#include "gateway/directory_runtime.h"
#include "gateway/gateway_keys.h"
#include "util/metrics.h"

namespace sm::gateway {

// Connection outcomes per peer, process-wide (delivery_agent_workers.cpp).
admin::PeerReachability& peer_reachability();

// The certification-outdated alert's input: the profile the directory
// requires against this gateway's own entry (by its primary domain);
// nullopt when nothing is required or the entry shows a pass at that
// profile or a newer one.
std::optional<admin::CertificationGap> certification_gap(const directory::Directory& directory,
                                                         const std::string& own_domain);

struct ReadinessCheck {
  std::string name;  // "listeners", "spool", "directory", "keys"
  bool ok = false;
  std::string detail;
};

class Operations {
 public:
  Operations(const config::Config& config, std::shared_ptr<const GatewayKeys> keys, const DirectoryRuntime& directory,
             std::filesystem::path spool_root, const std::filesystem::path& tls_cert);

  // Every listener is bound (name -> host:port): /readyz may say ready.
  void listeners_bound(const std::map<std::string, std::string>& bound);
  void register_routes(admin::AdminServer& server);  // GET /readyz; before listen()

  std::vector<ReadinessCheck> readiness();
  // The alerts holding now, with since when (evaluated on each call).
  std::vector<admin::Alert> current_alerts();
  // The gateway's own certificates with their expiry (keys and TLS).
  const std::vector<admin::CertificateExpiry>& certificate_expiries() const { return certificates_; }
  // Where the selftest-failing alert looks: failed runs in a row, and what failed.
  void watch_selftest(std::function<std::pair<int, std::string>()> failing) { selftest_ = std::move(failing); }

 private:
  ReadinessCheck spool_check();
  ReadinessCheck directory_check() const;
  ReadinessCheck keys_check() const;
  admin::AlertInputs alert_inputs() const;
  std::vector<metrics::Sample> certificate_days() const;

  const config::Config& config_;
  std::shared_ptr<const GatewayKeys> keys_;
  const DirectoryRuntime& directory_;
  std::filesystem::path spool_root_;
  std::vector<admin::CertificateExpiry> certificates_;  // loaded once: keys change on restart
  admin::AlertThresholds thresholds_;
  admin::AlertBook alerts_;
  std::function<std::pair<int, std::string>()> selftest_;

  mutable std::mutex mu_;
  std::vector<std::string> missing_listeners_{"starting"};
  std::int64_t spool_probed_at_ = 0;
  ReadinessCheck spool_;

  metrics::Computed alert_gauge_, certificate_days_, directory_age_, spool_disk_, build_info_;
  metrics::Computed cpu_, resident_, open_fds_, max_fds_, start_time_;
};

}  // namespace sm::gateway
