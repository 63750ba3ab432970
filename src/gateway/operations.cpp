// operations.cpp - readiness checks, scrape-time gauges and alerts (see
// operations.h).
#include "gateway/operations.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <tuple>
#include <nlohmann/json.hpp>

#include "certify/profile.h"
#include "pki/certificate.h"
#include "pki/version.h"
#include "util/process_stats.h"

#ifndef SM_VERSION
#define SM_VERSION "unknown"
#endif

namespace sm::gateway {
namespace {

using metrics::Sample;
namespace fs = std::filesystem;

constexpr std::int64_t kSpoolProbeInterval = 5;  // seconds a spool probe result is reused

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The listeners the configuration asks for.
std::vector<std::string> configured_listeners(const config::Config& c) {
  std::vector<std::string> out;
  for (auto [name, at] : {std::pair{"relay", &c.listen.relay}, std::pair{"inbound", &c.listen.inbound},
                          std::pair{"submission", &c.listen.submission}, std::pair{"submissions", &c.listen.submissions},
                          std::pair{"web", &c.listen.web}, std::pair{"admin", &c.listen.admin}})
    if (at->enabled()) out.push_back(name);
  return out;
}

// The gateway's own certificates: each key set's, and the TLS one.
std::vector<admin::CertificateExpiry> own_certificates(const GatewayKeys& keys, const fs::path& tls_cert) {
  std::vector<admin::CertificateExpiry> out;
  for (const auto& id : keys.identities())
    if (id.cert) out.push_back({"key " + id.id, pki::describe(id.cert).not_after});
  if (auto tls = pki::read_certificate(tls_cert))
    out.push_back({"tls", pki::describe(tls->get()).not_after});
  return out;
}

// A write, fsync and unlink in the queue folder: what committing mail needs.
ReadinessCheck probe_spool(const fs::path& root) {
  fs::path probe = root / ".readyz-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return {"spool", false, "cannot create " + probe.string() + ": " + std::strerror(errno)};
  bool ok = ::write(fd, "ready\n", 6) == 6 && ::fsync(fd) == 0;
  std::string why = ok ? "" : std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  if (!ok) return {"spool", false, "cannot write and sync " + probe.string() + ": " + why};
  return {"spool", true, root.string() + " writable"};
}

double disk_used_percent(const fs::path& root) {
  struct statvfs st{};
  if (::statvfs(root.c_str(), &st) != 0 || st.f_blocks == 0) return -1;
  return 100.0 * static_cast<double>(st.f_blocks - st.f_bavail) / static_cast<double>(st.f_blocks);
}

// A Computed gauge of one process_* field (left out when unknown).
metrics::Computed process_gauge(std::string name, std::string help, double ProcessStats::*field, bool gauge = true) {
  return metrics::Computed(std::move(name), std::move(help), [field] {
    double v = read_process_stats().*field;
    return v < 0 ? std::vector<Sample>{} : std::vector<Sample>{{{}, v}};
  }, gauge);
}

}  // namespace

admin::PeerReachability& peer_reachability() {
  static admin::PeerReachability peers;
  return peers;
}

Operations::Operations(const config::Config& config, std::shared_ptr<const GatewayKeys> keys,
                       const DirectoryRuntime& directory, fs::path spool_root, const fs::path& tls_cert)
    : config_(config),
      keys_(std::move(keys)),
      directory_(directory),
      spool_root_(std::move(spool_root)),
      certificates_(own_certificates(*keys_, tls_cert)),
      alert_gauge_("securemail_alert", "1 while the alert holds (docs/operations.md, [alerts])",
                   [this] {
                     auto holding = current_alerts();
                     std::vector<Sample> out;
                     for (auto name : admin::kAlertNames) {
                       bool on = std::any_of(holding.begin(), holding.end(), [&](const auto& a) { return a.name == name; });
                       out.push_back({{{"alert", std::string(name)}}, on ? 1.0 : 0.0});
                     }
                     return out;
                   }),
      certificate_days_("securemail_certificate_expiry_days", "Days until the gateway's own certificate expires",
                        [this] { return certificate_days(); }),
      directory_age_("securemail_directory_age_seconds", "Age of the member directory copy in use (since issued)",
                     [this] {
                       auto d = directory_.current();
                       if (!d || d->feed().issued == 0) return std::vector<Sample>{};
                       return std::vector<Sample>{{{}, static_cast<double>(now_unix() - d->feed().issued)}};
                     }),
      spool_disk_("securemail_spool_disk_used_ratio", "Used share (0..1) of the file system holding the queue",
                  [this] {
                    double p = disk_used_percent(spool_root_);
                    return p < 0 ? std::vector<Sample>{} : std::vector<Sample>{{{}, p / 100}};
                  }),
      build_info_("securemail_build_info", "Always 1: the version of securemail and of OpenSSL in use",
                  [] { return std::vector<Sample>{{{{"version", SM_VERSION}, {"openssl", pki::openssl_version()}}, 1}}; }),
      cpu_(process_gauge("process_cpu_seconds_total", "User and system CPU time spent in seconds",
                         &ProcessStats::cpu_seconds, false)),
      resident_(process_gauge("process_resident_memory_bytes", "Resident memory size in bytes", &ProcessStats::resident_bytes)),
      open_fds_(process_gauge("process_open_fds", "Number of open file descriptors", &ProcessStats::open_fds)),
      max_fds_(process_gauge("process_max_fds", "Maximum number of open file descriptors", &ProcessStats::max_fds)),
      start_time_(process_gauge("process_start_time_seconds", "Start time of the process since the epoch in seconds",
                                &ProcessStats::start_time)) {
  thresholds_.certificate_days = config.alerts.certificate_days;
  thresholds_.peer_unreachable_seconds = config.alerts.peer_unreachable.count();
  thresholds_.peer_retry_seconds = config.queue.max_backoff.count();
  thresholds_.spool_disk_percent = config.alerts.spool_disk_percent;
}

void Operations::listeners_bound(const std::map<std::string, std::string>& bound) {
  std::lock_guard lock(mu_);
  missing_listeners_.clear();
  for (const auto& name : configured_listeners(config_))
    if (!bound.contains(name)) missing_listeners_.push_back(name);
}

std::vector<metrics::Sample> Operations::certificate_days() const {
  std::vector<Sample> out;
  std::int64_t now = now_unix();
  for (const auto& c : certificates_)
    out.push_back({{{"certificate", c.name}}, static_cast<double>(c.not_after - now) / 86400.0});
  return out;
}

ReadinessCheck Operations::spool_check() {
  std::lock_guard lock(mu_);
  std::int64_t now = now_unix();
  if (spool_probed_at_ == 0 || now - spool_probed_at_ >= kSpoolProbeInterval) {
    spool_ = probe_spool(spool_root_);
    spool_probed_at_ = now;
  }
  return spool_;
}

ReadinessCheck Operations::directory_check() const {
  if (config_.directory.feed.kind == config::FeedSource::Kind::none) return {"directory", true, "no feed configured"};
  auto d = directory_.current();
  if (!d || d->serial() == 0) return {"directory", false, "no copy of the member directory held yet"};
  if (directory_.stale()) return {"directory", false, directory_.health()};
  return {"directory", true, "serial " + std::to_string(d->serial())};
}

ReadinessCheck Operations::keys_check() const {
  if (keys_->empty()) {
    // Only a gateway that seals or opens for members needs its own keys.
    if (config_.directory.feed.kind == config::FeedSource::Kind::none) return {"keys", true, "no directory: none needed"};
    return {"keys", false, "no signing key and certificate in " + (config_.data_dir / "pki").string()};
  }
  if (!keys_->tls_files()) return {"keys", false, "no active key set (all retired)"};
  return {"keys", true, std::to_string(keys_->identities().size()) + " key set(s) loaded"};
}

std::vector<ReadinessCheck> Operations::readiness() {
  std::vector<ReadinessCheck> out;
  {
    std::lock_guard lock(mu_);
    std::string missing;
    for (const auto& m : missing_listeners_) missing += (missing.empty() ? "" : ", ") + m;
    out.push_back(missing.empty() ? ReadinessCheck{"listeners", true, "all bound"}
                                  : ReadinessCheck{"listeners", false, "not bound: " + missing});
  }
  out.push_back(spool_check());
  out.push_back(directory_check());
  out.push_back(keys_check());
  return out;
}

void Operations::register_routes(admin::AdminServer& server) {
  server.handle("GET", "/readyz", [this](const admin::HttpRequest&) {
    auto checks = readiness();
    bool ready = std::all_of(checks.begin(), checks.end(), [](const auto& c) { return c.ok; });
    nlohmann::json body = {{"ready", ready}, {"checks", nlohmann::json::object()}};
    for (const auto& c : checks) body["checks"][c.name] = {{"ok", c.ok}, {"detail", c.detail}};
    return admin::HttpResponse{ready ? 200 : 503, body.dump() + "\n", "application/json", {}};
  });
}

std::optional<admin::CertificationGap> certification_gap(const directory::Directory& directory,
                                                         const std::string& own_domain) {
  const auto& required = directory.feed().requirements;
  if (!required.set()) return std::nullopt;
  admin::CertificationGap gap;
  gap.required = required.profile;
  gap.grace_days = static_cast<std::int64_t>(required.grace_days);
  std::tm tm{};
  if (strptime(required.since.c_str(), "%Y-%m-%d", &tm)) gap.since = static_cast<std::int64_t>(timegm(&tm));
  gap.unknown_profile = certify::find_profile(required.profile) == nullptr;
  const directory::Member* own = directory.lookup_domain(own_domain);
  const directory::Certification held = own ? own->certification : directory::Certification{};
  auto cmp = held.profile.empty() ? std::nullopt : certify::compare_versions(held.profile, required.profile);
  if (!gap.unknown_profile && held.result == "pass" && cmp && *cmp >= 0) return std::nullopt;
  gap.held = held.profile.empty() ? "never certified"
                                  : "profile " + held.profile + ", " + held.result + " on " + held.date;
  return gap;
}

admin::AlertInputs Operations::alert_inputs() const {
  admin::AlertInputs in;
  in.certificates = certificates_;
  in.directory_stale = directory_.stale();
  if (in.directory_stale) in.directory_detail = directory_.health();
  in.peers = peer_reachability().failing();
  in.spool_disk_used_percent = disk_used_percent(spool_root_);
  if (auto dir = directory_.current()) in.certification = certification_gap(*dir, config_.domain);  // null: no directory
  if (selftest_) std::tie(in.selftest_failures, in.selftest_detail) = selftest_();
  return in;
}

std::vector<admin::Alert> Operations::current_alerts() {
  return alerts_.update(admin::evaluate_alerts(alert_inputs(), thresholds_, now_unix()));
}

}  // namespace sm::gateway
