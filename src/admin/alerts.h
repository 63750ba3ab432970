// alerts.h - the operational alerts the gateway computes for itself:
// a certificate close to expiry, the member directory stale, a peer that
// has been unreachable for a while, the spool disk filling up, this
// gateway not certified at the profile the directory requires, and its
// self-test failing.
//
// The rules are pure functions of what the gateway observed (AlertInputs)
// and the [alerts] thresholds at a given time, so tests drive them with a
// fake clock; AlertBook remembers since when each alert holds, and
// PeerReachability records connection outcomes per peer (any thread).
// Exposed as securemail_alert{alert="..."} 0|1 in /metrics and, through
// current_alerts() of the gateway wiring, to the console and admin API.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::admin {

enum class Severity { warning, critical };
std::string_view to_string(Severity s);  // "warning", "critical"

struct Alert {
  std::string name;  // one of kAlertNames
  Severity severity = Severity::warning;
  std::int64_t since = 0;  // unix seconds: when it first held (without a break)
  std::string message;     // one line for people
};

// Every alert the gateway knows, in the order shown.
inline constexpr std::array<std::string_view, 6> kAlertNames = {"certificate-expiring", "directory-stale",
                                                                "peer-unreachable", "spool-disk-full",
                                                                "certification-outdated", "selftest-failing"};

// Above this use the spool-disk-full alert is critical (and doctor says FAIL).
inline constexpr int kSpoolDiskCriticalPercent = 95;

// [alerts] thresholds (config::Config::Alerts; peer_retry_seconds is queue.max_backoff).
struct AlertThresholds {
  std::int64_t certificate_days = 30;         // alert when a certificate expires within this
  std::int64_t peer_unreachable_seconds = 3600;  // failing without a success for this long
  std::int64_t peer_retry_seconds = 3600;     // queue.max_backoff: attempts at least this often while mail waits
  int spool_disk_percent = 80;                // alert above this use of the spool's file system
};

struct CertificateExpiry {
  std::string name;  // e.g. "key 3f2a... (ec-p256)" or "tls"
  std::int64_t not_after = 0;
};

// A peer without a successful connection since first_failure; last_failure
// is the latest failed attempt (attempts only happen while mail waits).
struct PeerFailure {
  std::string peer;
  std::int64_t first_failure = 0, last_failure = 0;
};

// The directory feed requires a certification profile (issue 17) that this
// gateway's own directory entry does not show a pass at, or that this
// software does not know. Warning; critical once the grace period is over.
struct CertificationGap {
  std::string required;        // profile version, "1.0"
  std::int64_t since = 0;      // unix seconds: the day it is required from
  std::int64_t grace_days = 0;
  std::string held;            // "never certified", "profile 0.9, pass on 2026-12-01", ...
  bool unknown_profile = false;  // this software cannot judge `required`
};

struct AlertInputs {
  std::vector<CertificateExpiry> certificates;
  bool directory_stale = false;  // only with a feed configured
  std::string directory_detail;
  std::vector<PeerFailure> peers;
  double spool_disk_used_percent = -1;  // negative: unknown
  std::optional<CertificationGap> certification;
  // The self-test (gateway/selftest.h): failed runs in a row, what failed last.
  int selftest_failures = 0;
  std::string selftest_detail;
};

// The alerts that hold at `now` (their `since` is now).
std::vector<Alert> evaluate_alerts(const AlertInputs& in, const AlertThresholds& t, std::int64_t now);

// Keeps `since` of alerts that keep holding; thread-safe.
class AlertBook {
 public:
  // Replace the current alerts by `holding` (from evaluate_alerts), and
  // return them with their first `since`.
  std::vector<Alert> update(std::vector<Alert> holding);
  std::vector<Alert> current() const;

 private:
  mutable std::mutex mu_;
  std::vector<Alert> current_;
};

// Connection outcomes per peer (member id or next hop), from the delivery
// threads; read at scrape time. A success forgets the peer's failures.
class PeerReachability {
 public:
  void failed(const std::string& peer, std::int64_t now);
  void connected(const std::string& peer);
  std::vector<PeerFailure> failing() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, PeerFailure> failing_;
};

}  // namespace sm::admin
