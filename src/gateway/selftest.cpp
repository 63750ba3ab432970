// selftest.cpp - the gateway's scheduled self-test (see selftest.h).
#include "gateway/selftest.h"

#include <algorithm>

#include "certify/test_mail.h"
#include "directory/feed_crl.h"
#include "gateway/directory_runtime.h"
#include "gateway/local_mail.h"
#include "gateway/own_mail.h"
#include "gateway/test_agent.h"
#include "pki/certificate.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter runs_total("securemail_selftest_runs_total", "Self-test runs by result", "result",
                                   {"pass", "fail"});

constexpr std::int64_t kDay = 86400;

bool is_facility(const directory::Member& m) {
  return m.has(directory::kCapFacility) && !m.has(directory::kCapFixture);
}

std::string ping_check_detail(const std::vector<const SelfTestPing*>& pings) {
  std::string answered, silent;
  for (const auto* p : pings) {
    std::string& list = p->answered ? answered : silent;
    list += (list.empty() ? "" : ", ") + p->member +
            (p->answered ? " (" + std::to_string(p->answered - p->sent) + " s)" : "");
  }
  return (answered.empty() ? "" : "answered: " + answered) + (answered.empty() || silent.empty() ? "" : "; ") +
         (silent.empty() ? "" : "no pong: " + silent);
}

// "crl: no CRL installed; ..." for the checks that failed.
std::string failed_checks(const SelfTestRun& r) {
  std::string failed;
  for (const auto& c : r.checks)
    if (c.result == "fail") failed += (failed.empty() ? "" : "; ") + c.name + ": " + c.detail;
  return failed;
}

nlohmann::json run_json(const SelfTestRun& r) {
  nlohmann::json checks = nlohmann::json::array(), pings = nlohmann::json::array();
  for (const auto& c : r.checks) checks.push_back({{"name", c.name}, {"result", c.result}, {"detail", c.detail}});
  for (const auto& p : r.pings)
    pings.push_back({{"member", p.member},
                     {"facility", p.facility},
                     {"sent", pki::iso_time(p.sent)},
                     {"answered", p.answered ? nlohmann::json(pki::iso_time(p.answered)) : nlohmann::json()},
                     {"seconds", p.answered ? nlohmann::json(p.answered - p.sent) : nlohmann::json()}});
  return {{"started", pki::iso_time(r.started)},
          {"finished", r.finished ? nlohmann::json(pki::iso_time(r.finished)) : nlohmann::json()},
          {"result", r.result},
          {"checks", checks},
          {"pings", pings}};
}

}  // namespace

SelfTestSources selftest_sources(const config::Config& config, queue::Spool& spool, const DirectoryRuntime& directory,
                                 std::function<std::vector<admin::CertificateExpiry>()> certificates,
                                 std::shared_ptr<const GatewayKeys> keys, std::function<void(const std::string&)> committed) {
  SelfTestSources s;
  s.directory = [&directory] { return directory.current(); };
  s.directory_stale = [&directory] { return directory.stale(); };
  s.certificates = std::move(certificates);
  s.keys = std::move(keys);
  s.notify_admin = [&config, &spool, committed](const std::string& subject, const std::string& text) {
    const std::string& to = config.directory.admin_contact;
    OwnHeader h{"MAILER-DAEMON@" + config.domain, to, subject, {}, 0};
    std::string message = own_header(h) + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text;
    std::string id = queue_local_message(spool, {"selftest", to, message, 0, false}, [committed, to](Result<std::string> r) {
      if (r) committed(*r);
      else log::error("selftest: the notice to <{}> was not queued: {}", to, r.error().text);
    });
    if (!id.empty()) log::info("selftest: notice to <{}> queued as {}", to, id);
  };
  return s;
}

SelfTest::SelfTest(const config::Config& config, TestAgent& agent, SelfTestSources sources, std::int64_t now)
    : config_(config),
      agent_(agent),
      sources_(std::move(sources)),
      // Gateways started together spread out: up to a tenth of the interval
      // later, but never more than first_after again.
      next_run_(now + config.selftest.first_after.count() +
                static_cast<std::int64_t>(std::random_device{}() %
                                          (std::min(config.selftest.interval.count() / 10,
                                                    config.selftest.first_after.count()) + 1))),
      last_run_gauge_("securemail_selftest_last_run_timestamp_seconds",
                      "When the last self-test run finished, and its last success (unix seconds)",
                      [this] {
                        std::lock_guard lock(mu_);
                        return std::vector<metrics::Sample>{
                            {{{"result", "any"}}, last_ ? static_cast<double>(last_->finished) : 0.0},
                            {{{"result", "pass"}}, static_cast<double>(last_success_)}};
                      }),
      check_gauge_("securemail_selftest_check", "1 when the self-test check passed in the last run, 0 when it failed",
                   [this] { return check_samples(); }),
      round_trip_gauge_("securemail_selftest_round_trip_seconds",
                        "Ping to pong in the last self-test run, per peer kind (the slowest answer)", [this] {
                          std::lock_guard lock(mu_);
                          std::vector<metrics::Sample> out;
                          if (!last_) return out;
                          for (bool facility : {true, false}) {
                            std::int64_t slowest = -1;
                            for (const auto& p : last_->pings)
                              if (p.facility == facility && p.answered) slowest = std::max(slowest, p.answered - p.sent);
                            if (slowest >= 0)
                              out.push_back({{{"peer", facility ? "facility" : "member"}}, static_cast<double>(slowest)});
                          }
                          return out;
                        }) {}

std::vector<metrics::Sample> SelfTest::check_samples() const {
  std::lock_guard lock(mu_);
  std::vector<metrics::Sample> out;
  if (!last_) return out;
  for (const auto& c : last_->checks)
    if (c.result != "info") out.push_back({{{"check", c.name}}, c.result == "pass" ? 1.0 : 0.0});
  return out;
}

std::string SelfTest::request_run() {
  std::lock_guard lock(mu_);
  if (!config_.directory.feed.enabled()) return "this gateway has no [directory] feed: it is no member, there is nothing to test";
  if (running_) return "a self-test run is in progress";
  requested_ = true;
  return "";
}

void SelfTest::tick(std::int64_t now) {
  std::lock_guard lock(mu_);
  if (running_) {
    bool all_in = std::all_of(running_->pings.begin(), running_->pings.end(), [](const auto& p) { return p.answered; });
    if (all_in || now >= running_->started + config_.selftest.timeout.count()) finish(now);
    return;
  }
  if (!config_.directory.feed.enabled()) return;  // no member: nothing to test
  if (requested_ || (config_.selftest.enabled && now >= next_run_)) start(now);
}

void SelfTest::start(std::int64_t now) {
  requested_ = false;
  next_run_ = now + config_.selftest.interval.count();
  SelfTestRun run;
  run.started = now;
  run.result = "running";
  auto dir = sources_.directory ? sources_.directory() : nullptr;
  std::vector<const directory::Member*> others;
  const directory::Member* self = dir ? dir->lookup_domain(config_.domain) : nullptr;
  const auto facilities = dir ? directory::facility_domains(dir->feed().members) : std::vector<std::string>{};
  if (dir)
    for (const auto& m : dir->feed().members) {
      // Certification fixtures have no gateway: nothing to ping.
      if (&m == self || m.status != directory::Status::active || m.domains.empty() || is_fixture(m, facilities)) continue;
      if (is_facility(m) && std::none_of(run.pings.begin(), run.pings.end(), [](const auto& p) { return p.facility; }))
        run.pings.push_back({m.id, m.domains.front(), certify::new_nonce(), true, now, 0});
      else if (!is_facility(m))
        others.push_back(&m);
    }
  std::vector<const directory::Member*> sample;
  std::sample(others.begin(), others.end(), std::back_inserter(sample), config_.selftest.sample, pick_);
  for (const auto* m : sample) run.pings.push_back({m->id, m->domains.front(), certify::new_nonce(), false, now, 0});
  for (const auto& p : run.pings) agent_.ping(p.domain, p.nonce, now);
  log::info("selftest: run started: {} ping(s) sent{}", run.pings.size(), run.pings.empty() ? " (no member to ping)" : "");
  running_ = std::move(run);
}

void SelfTest::pong(const std::string& member, const certify::AgentMessage& pong, std::int64_t now) {
  std::lock_guard lock(mu_);
  if (!running_) return;
  for (auto& p : running_->pings)
    if (p.nonce == pong.nonce && p.member == member && !p.answered) {
      p.answered = std::max(now, p.sent);
      return;
    }
  log::info("selftest: pong {} from member {} matches no ping of this run", pong.nonce, member);
}

std::vector<SelfTestCheck> SelfTest::local_checks(std::int64_t now) const {
  std::vector<SelfTestCheck> out;
  const std::int64_t days = config_.alerts.certificate_days;
  std::string short_ones, all;
  for (const auto& c : sources_.certificates ? sources_.certificates() : std::vector<admin::CertificateExpiry>{}) {
    all += (all.empty() ? "" : "; ") + c.name + " until " + pki::iso_time(c.not_after);
    if (c.not_after - now < days * kDay) short_ones += (short_ones.empty() ? "" : "; ") + c.name + " until " + pki::iso_time(c.not_after);
  }
  out.push_back({"certificates", short_ones.empty() ? "pass" : "fail",
                 short_ones.empty() ? all : "less than " + std::to_string(days) + " days left: " + short_ones});
  std::int64_t next_update = 0;
  if (auto trust = sources_.keys ? sources_.keys->trust() : nullptr)
    for (const auto& crl : trust->crls())
      if (auto next = directory::crl_time(X509_CRL_get0_nextUpdate(crl.get()))) next_update = std::max(next_update, *next);
  out.push_back({"crl", next_update > now ? "pass" : "fail",
                 next_update == 0 ? "no CRL installed" : "next update " + pki::iso_time(next_update)});
  bool stale = sources_.directory_stale && sources_.directory_stale();
  auto dir = sources_.directory ? sources_.directory() : nullptr;
  out.push_back({"directory", stale ? "fail" : "pass",
                 (stale ? "stale: " : "") + std::string("serial ") + std::to_string(dir ? dir->serial() : 0)});
  return out;
}

SelfTestRun SelfTest::conclude(SelfTestRun run, const std::vector<SelfTestCheck>& local, std::int64_t now) {
  run.finished = now;
  std::vector<const SelfTestPing*> facility, members;
  for (const auto& p : run.pings) (p.facility ? facility : members).push_back(&p);
  auto all_silent = [](const auto& v) { return std::none_of(v.begin(), v.end(), [](const auto* p) { return p->answered; }); };
  run.checks.clear();
  run.checks.push_back(facility.empty() ? SelfTestCheck{"facility-ping", "info", "no certification facility in the directory"}
                                        : SelfTestCheck{"facility-ping", all_silent(facility) ? "fail" : "pass",
                                                        ping_check_detail(facility)});
  run.checks.push_back(members.empty() ? SelfTestCheck{"member-ping", "info", "no other member sampled"}
                                       : SelfTestCheck{"member-ping", all_silent(members) ? "fail" : "pass",
                                                       ping_check_detail(members)});
  run.checks.insert(run.checks.end(), local.begin(), local.end());
  bool failed = std::any_of(run.checks.begin(), run.checks.end(), [](const auto& c) { return c.result == "fail"; });
  run.result = failed ? "fail" : "pass";
  return run;
}

void SelfTest::finish(std::int64_t now) {
  SelfTestRun run = conclude(std::move(*running_), local_checks(now), now);
  running_.reset();
  const bool was_failing = consecutive_failures_ > 0;
  runs_total.add(run.result);
  const std::string failed = failed_checks(run);
  if (run.result == "pass") {
    consecutive_failures_ = 0;
    last_success_ = now;
    log::info("selftest: pass ({} ping(s))", run.pings.size());
  } else {
    ++consecutive_failures_;
    log::warn("selftest: FAIL: {}", failed);
    if ((!was_failing || now - last_notice_ >= kDay) && sources_.notify_admin) {
      last_notice_ = now;
      std::string text = "The self-test of " + config_.hostname + " (" + config_.domain + ") failed at " +
                         pki::iso_time(now) + ".\r\n\r\n";
      for (const auto& c : run.checks) text += "  " + c.result + "  " + c.name + ": " + c.detail + "\r\n";
      text += "\r\nThe next run is at " + pki::iso_time(next_run_) +
              "; GET /v1/selftest on the admin listener shows the latest result.\r\n";
      sources_.notify_admin("SecureMail self-test failed on " + config_.hostname, text);
    }
  }
  last_ = std::move(run);
}

nlohmann::json SelfTest::status() const {
  std::lock_guard lock(mu_);
  return {{"enabled", config_.selftest.enabled && config_.directory.feed.enabled()},
          {"next_run", pki::iso_time(next_run_)},
          {"running", running_ ? run_json(*running_) : nlohmann::json()},
          {"last", last_ ? run_json(*last_) : nlohmann::json()},
          {"consecutive_failures", consecutive_failures_}};
}

std::pair<int, std::string> SelfTest::failing() const {
  std::lock_guard lock(mu_);
  return {consecutive_failures_, last_ ? failed_checks(*last_) : std::string()};
}

}  // namespace sm::gateway
