// runner.h - one certification run against one target gateway: the cases
// of a profile that the runner observes itself, judged into a Report.
//
// What it does, in order: the target's SMTP and TLS on fresh connections
// (STARTTLS offered; TLS 1.0 and 1.1 refused, 1.2 or 1.3 accepted; no key
// exchange without forward secrecy; the certificate the directory lists;
// no answer to commands pipelined with STARTTLS), its SMTP hygiene (bare
// LF, non-CRLF ends of data, command order, over-long lines, relaying),
// then sealed messages signed with the facility's key and encrypted to the
// target's directory certificates, each asking for a signed receipt to the
// runner's address at the facility. Most go to the target's test agent,
// which reports what it took (verified, the content's digest) to the
// facility; a receipt only exists after the target decrypted, verified and
// handed over the message (RFC 2634), so either that report or a receipt
// that verifies against the signature we kept is the proof for an inbound
// interoperability case (INT-RCPT-RETURN wants the receipt). Triggers to
// the agent make the target send test content to the facility, whose
// gateway verifies it (INT-OUT-*). Altered and wrongly signed messages must
// be refused; one that is accepted and then confirmed by a receipt was
// delivered as verified.
//
// Preconditions: a case that needs TLS or the pinned certificate is FAIL
// "not run: needs ..." when that failed, so a broken property fails exactly
// what depends on it. A required case that has no outcome by max_wait is
// FAIL: nothing unobserved is a pass.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "certify/arrivals.h"
#include "certify/profile.h"
#include "certify/report.h"
#include "directory/directory.h"
#include "pki/trust.h"
#include "smime/engine.h"

namespace sm::certify {

// A certification fixture the runner signs with (fixtures.h): its case,
// its domain, its key and certificate (owned by the caller).
struct FixtureSigner {
  std::string case_id, domain;
  smime::Identity identity;
};

struct RunInputs {
  const Profile* profile = nullptr;
  std::shared_ptr<const directory::Directory> directory;
  const pki::TrustStore* trust = nullptr;
  smime::Identity facility;          // signs test mail; its certificate is the TLS client certificate
  std::string facility_member, facility_domain;
  std::vector<FixtureSigner> fixtures;  // SEC-SIGNER-EXPIRED and the others; none: those cases FAIL "not run"
  const directory::Member* target = nullptr;
  std::string given;                 // the target as given on the command line
  std::string host;                  // endpoint tested
  std::uint16_t port = 25;
  std::string runner_address;        // receiptsTo: runner@<facility domain>
  std::string helo_name;             // what EHLO says
  std::chrono::seconds max_wait{900};
  std::chrono::seconds facility_delay{120};  // the facility's [facility] delay (delay@)
  // Longer than the 30 s a target may hold back the reply to a sealed
  // message that failed (its sealed-failure delay).
  std::chrono::milliseconds io_timeout{75'000};
  // What reached the facility's Maildir since the last call (receipts to
  // the runner, agents' reports to results@, triggered test messages);
  // called every second while the runner waits.
  std::function<Arrivals()> arrived;
  // Told each outcome as it is decided (the terminal's progress lines).
  std::function<void(const Outcome&)> progress;
};

Report run_certification(const RunInputs& inputs);

// "R20261204T221500Z-7f3a"
std::string new_run_id(std::int64_t now);

}  // namespace sm::certify
