// alerts.cpp - the rules of alerts.h and the bookkeeping of their `since`.
#include "admin/alerts.h"

#include <algorithm>

#include "pki/certificate.h"

namespace sm::admin {
namespace {

constexpr std::int64_t kDay = 86400;

void certificate_rule(const AlertInputs& in, const AlertThresholds& t, std::int64_t now, std::vector<Alert>& out) {
  std::string which;
  bool expired = false;
  for (const auto& c : in.certificates) {
    if (c.not_after - now > t.certificate_days * kDay) continue;
    expired |= c.not_after <= now;
    std::int64_t days = (c.not_after - now) / kDay;
    which += (which.empty() ? "" : "; ") + c.name +
             (c.not_after <= now ? " has expired" : " expires in " + std::to_string(days) + " days");
  }
  if (!which.empty())
    out.push_back({"certificate-expiring", expired ? Severity::critical : Severity::warning, now,
                   which + " (threshold " + std::to_string(t.certificate_days) + " days)"});
}

void peer_rule(const AlertInputs& in, const AlertThresholds& t, std::int64_t now, std::vector<Alert>& out) {
  std::string which;
  for (const auto& p : in.peers) {
    bool long_failing = now - p.first_failure >= t.peer_unreachable_seconds;
    // Attempts come at least every retry period while mail waits for the peer.
    bool mail_waits = now - p.last_failure <= t.peer_retry_seconds + t.peer_unreachable_seconds;
    if (long_failing && mail_waits)
      which += (which.empty() ? "" : ", ") + p.peer + " (failing for " +
               std::to_string((now - p.first_failure) / 60) + " min)";
  }
  if (!which.empty()) out.push_back({"peer-unreachable", Severity::warning, now, "no connection works to " + which});
}

std::string day(std::int64_t t) { return pki::iso_time(t).substr(0, 10); }

void certification_rule(const AlertInputs& in, std::int64_t now, std::vector<Alert>& out) {
  if (!in.certification) return;
  const auto& g = *in.certification;
  const std::int64_t grace_end = g.since + g.grace_days * kDay;
  std::string message = g.unknown_profile
                            ? "the directory requires certification profile " + g.required +
                                  ", which this software does not know: upgrade SecureMail"
                            : "the directory requires certification profile " + g.required + "; this gateway: " + g.held;
  message += now < g.since      ? " (required from " + day(g.since) + ")"
             : now < grace_end ? " (grace period until " + day(grace_end) + ")"
                               : " (grace period ended " + day(grace_end) + ")";
  out.push_back({"certification-outdated", now >= grace_end ? Severity::critical : Severity::warning, now, message});
}

}  // namespace

std::string_view to_string(Severity s) { return s == Severity::critical ? "critical" : "warning"; }

std::vector<Alert> evaluate_alerts(const AlertInputs& in, const AlertThresholds& t, std::int64_t now) {
  std::vector<Alert> out;
  certificate_rule(in, t, now, out);
  if (in.directory_stale)
    out.push_back({"directory-stale", Severity::critical, now,
                   "the member directory is stale" + (in.directory_detail.empty() ? "" : ": " + in.directory_detail)});
  peer_rule(in, t, now, out);
  if (in.spool_disk_used_percent > t.spool_disk_percent)
    out.push_back({"spool-disk-full", in.spool_disk_used_percent >= kSpoolDiskCriticalPercent ? Severity::critical : Severity::warning, now,
                   "the spool's file system is " + std::to_string(static_cast<int>(in.spool_disk_used_percent)) +
                       "% full (threshold " + std::to_string(t.spool_disk_percent) + "%)"});
  certification_rule(in, now, out);
  if (in.selftest_failures > 0)
    out.push_back({"selftest-failing", in.selftest_failures >= 2 ? Severity::critical : Severity::warning, now,
                   "the self-test failed " + std::string(in.selftest_failures >= 2 ? std::to_string(in.selftest_failures) + " runs in a row" : "its last run") +
                       (in.selftest_detail.empty() ? "" : ": " + in.selftest_detail)});
  return out;
}

std::vector<Alert> AlertBook::update(std::vector<Alert> holding) {
  std::lock_guard lock(mu_);
  for (auto& a : holding) {
    auto before = std::find_if(current_.begin(), current_.end(), [&a](const Alert& c) { return c.name == a.name; });
    if (before != current_.end()) a.since = before->since;
  }
  current_ = holding;
  return holding;
}

std::vector<Alert> AlertBook::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void PeerReachability::failed(const std::string& peer, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto [it, fresh] = failing_.try_emplace(peer, PeerFailure{peer, now, now});
  if (!fresh) it->second.last_failure = now;
}

void PeerReachability::connected(const std::string& peer) {
  std::lock_guard lock(mu_);
  failing_.erase(peer);
}

std::vector<PeerFailure> PeerReachability::failing() const {
  std::lock_guard lock(mu_);
  std::vector<PeerFailure> out;
  for (const auto& [_, f] : failing_) out.push_back(f);
  return out;
}

}  // namespace sm::admin
