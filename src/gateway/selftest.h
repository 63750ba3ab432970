// selftest.h - every gateway testing itself on a schedule (issue 17,
// [selftest]): a run pings the certification facility (the member whose
// directory entry carries certification-facility) and a random sample of
// other active members at their test agents (test_agent.h), waits for the
// signed, sealed pongs, and checks its own certificates, its CRL and its
// directory copy. A ping travels the whole production path both ways:
// sealing, pinned TLS, the peer's verification and agent, its sealing, our
// verification - so a pong that arrives is proof that the pair works.
//
// Checks: facility-ping (INFO without a facility), member-ping (passes
// when at least one sampled member answered: one member down is its
// problem, and it is listed; INFO when none was sampled), certificates
// (every own certificate valid for [alerts] certificate_days), crl
// (installed, next update ahead), directory (not stale). A run fails when
// any check fails. Then: securemail_selftest_* metrics, GET /v1/selftest,
// the selftest-failing alert (warning, critical after two failed runs in
// a row) and an email to [directory] admin_contact when the result turns
// from pass to fail, and then at most once a day while it keeps failing.
//
// A gateway without a [directory] feed is no member: it never runs.
//
// tick() is called every second from one thread (the gateway's upkeep
// pool); pong() from the crypto pool; status() from the admin API. All
// state is under one mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/alerts.h"
#include "certify/test_protocol.h"
#include "config/config.h"
#include "gateway/gateway_keys.h"
#include "gateway/outbound.h"
#include "queue/spool.h"
#include "util/metrics.h"

namespace sm::gateway {

class TestAgent;
class DirectoryRuntime;

struct SelfTestCheck {
  std::string name;    // facility-ping, member-ping, certificates, crl, directory
  std::string result;  // pass, fail, info
  std::string detail;
};

struct SelfTestPing {
  std::string member, domain, nonce;
  bool facility = false;
  std::int64_t sent = 0, answered = 0;  // unix seconds; answered 0: no pong (yet)
};

struct SelfTestRun {
  std::int64_t started = 0, finished = 0;  // finished 0: still waiting for pongs
  std::string result;                      // "running", "pass", "fail"
  std::vector<SelfTestCheck> checks;
  std::vector<SelfTestPing> pings;
};

struct SelfTestSources {
  DirectorySnapshot directory;
  std::function<bool()> directory_stale;
  std::function<std::vector<admin::CertificateExpiry>()> certificates;
  std::shared_ptr<const GatewayKeys> keys;                  // the CRL
  std::function<void(const std::string& subject, const std::string& text)> notify_admin;
};

// The gateway's sources: its directory, its certificates (Operations),
// its keys, and the admin notice queued as local mail to [directory]
// admin_contact (committed: hand it to delivery).
SelfTestSources selftest_sources(const config::Config& config, queue::Spool& spool, const DirectoryRuntime& directory,
                                 std::function<std::vector<admin::CertificateExpiry>()> certificates,
                                 std::shared_ptr<const GatewayKeys> keys, std::function<void(const std::string&)> committed);

class SelfTest {
 public:
  SelfTest(const config::Config& config, TestAgent& agent, SelfTestSources sources, std::int64_t now);

  // Start a run that is due (or asked for), finish one whose pongs are all
  // in or whose [selftest] timeout passed.
  void tick(std::int64_t now);
  // Ask for a run at the next tick: "" when asked, else why not (one is
  // running; no directory: a gateway that is not a member has nothing to test).
  std::string request_run();
  void pong(const std::string& member, const certify::AgentMessage& pong, std::int64_t now);

  // GET /v1/selftest: {"enabled","next_run","running","last":{...run...}|null,"consecutive_failures"}
  nlohmann::json status() const;
  // The selftest-failing alert's input: failed runs in a row and what failed.
  std::pair<int, std::string> failing() const;

  // What a finished run concludes (for tests): the checks and the result.
  static SelfTestRun conclude(SelfTestRun run, const std::vector<SelfTestCheck>& local_checks, std::int64_t now);

 private:
  void start(std::int64_t now);                // mu_ held
  void finish(std::int64_t now);               // mu_ held
  std::vector<SelfTestCheck> local_checks(std::int64_t now) const;
  std::vector<metrics::Sample> check_samples() const;

  const config::Config& config_;
  TestAgent& agent_;
  SelfTestSources sources_;
  mutable std::mutex mu_;
  std::mt19937_64 pick_{std::random_device{}()};
  std::int64_t next_run_ = 0;
  bool requested_ = false;
  std::optional<SelfTestRun> running_, last_;
  std::int64_t last_success_ = 0, last_notice_ = 0;
  int consecutive_failures_ = 0;
  metrics::Computed last_run_gauge_, check_gauge_, round_trip_gauge_;
};

}  // namespace sm::gateway
