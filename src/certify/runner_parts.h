// runner_parts.h - what the runner's files share (internal to certify/):
// the state of one run, decide() that turns a judgement into a report line
// by the profile's rules, and opening a probe session the way most cases
// need it (greeting, EHLO, STARTTLS, our client certificate).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "certify/runner.h"
#include "certify/smtp_probe.h"

namespace sm::certify {

class RunState {
 public:
  explicit RunState(const RunInputs& in);

  const RunInputs& in;
  std::string run_id;                       // "R2026...": every message of the run carries it
  std::vector<ossl::X509Ptr> certificates;  // the target's directory certificates
  std::vector<std::string> fingerprints;    // their sha256
  bool rsa_target = false, ec_target = false;
  bool tls_ok = false, pin_ok = false, cert_ok = false;
  ossl::X509Ptr tls_certificate;            // what the target presented

  // Is the case in the profile (and not yet decided)?
  bool wanted(std::string_view id) const;
  // Record the judgement: passed true -> PASS; false -> FAIL (required),
  // NOTICE (optional). INFO cases stay INFO. `observed` says what came back.
  void decide(std::string_view id, bool passed, std::string sent, std::string observed,
              std::chrono::steady_clock::time_point since);
  void info(std::string_view id, std::string sent, std::string observed);
  // FAIL "not run: needs X (CASE failed)" for every wanted case needing
  // what is missing; true when the case may run.
  bool may_run(std::string_view id);

  // Connect, read the greeting, EHLO; with tls, STARTTLS and the handshake
  // (our certificate shown). Error text says which step failed.
  struct Session {
    std::unique_ptr<SmtpProbe> probe;
    std::optional<TlsFacts> tls;
    SmtpReply greeting, ehlo;
  };
  Result<Session> open(bool tls, const TlsSettings& settings = {});
  TlsSettings client_settings() const;  // defaults plus our client certificate

  std::map<std::string, Outcome, std::less<>> outcomes;
};

void run_tls_cases(RunState& run);
void run_smtp_cases(RunState& run);
void run_sealed_cases(RunState& run);

// seconds since `since`
double seconds_since(std::chrono::steady_clock::time_point since);

}  // namespace sm::certify
