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
#include "certify/test_mail.h"

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

  // Is `address` the test agent at one of the target's domains?
  bool is_target_agent(std::string_view address) const;

  // Everything that arrived at the facility so far; poll() adds what is new.
  Arrivals arrived;
  void poll();
};

// One message of the run: sealed to the target, sent as a member sends.
struct SentMessage {
  std::string name;                 // "default", "cbc", "trigger" ...
  std::vector<std::string> cases;   // judged by it
  bool refusal_passes = false;      // tamper, wrong signer: a 5xx passes
  bool wants_receipt = false;       // only a signed receipt proves it (INT-RCPT-RETURN)
  bool receipt_forbidden = false;   // its receipt request is unusable: a receipt for it fails (INT-RCPT-MALFORMED)
  bool trigger = false;             // a trigger: judged by what the target sends
  // OPS-GOOD-BAD-RCPT: the recipient that cannot exist. It must be refused
  // at RCPT, or a DSN for it must reach the runner.
  std::string bad_recipient;
  // What decides a trigger: the test message arriving (at runner@,
  // tempfail@ after a 451, delay@ tried once), the agent's report of a
  // DSN (refuse@), a decoy listener seeing a connection and no MAIL, or
  // the agent's report of the receipt report: delivered (receipt), or
  // relayed no sooner than its timeout (withheld, noreceipt@).
  enum class Expect { arrival, retry, delay, dsn, decoy, receipt, withheld } expect = Expect::arrival;
  std::string decoy;                // Expect::decoy: the listener ("strip", "badtls")
  std::int64_t sent_at = 0;         // unix seconds
  std::string description;
  std::string mail_from;            // the envelope sender; empty: the runner's address
  const smime::Identity* signer = nullptr;  // null: the facility's key
  std::string message_id;
  std::string digest;               // of the content: what the agent must report, or the trigger's content
  smime::SignedRecord record;
  std::string reply;                // end-of-DATA (or the refusal before it)
  std::map<std::string, int> rcpt_codes;  // each RCPT's reply code (0: no reply)
  bool accepted = false;
  std::optional<std::string> receipt;  // "verified ..." or why it did not
  bool receipt_ok = false;
  std::optional<std::string> report;   // what the agent's report said
  bool report_ok = false;
  std::chrono::steady_clock::time_point reported;  // when the report came
  std::optional<std::string> arrival;  // trigger: what reached the facility
  std::optional<std::string> notice;   // bad_recipient: the DSN that came for it
  bool notice_ok = false;
  bool arrival_ok = false;
  std::chrono::steady_clock::time_point since;
};

// One sealed message of the run, planned: what it is for, how it is
// sealed, what it says.
struct PlannedMessage {
  SentMessage sent;
  SealChoice choice;
  TestMessage message;
};

// Every sealed message of the run, in the order planned (runner_plan.cpp);
// cases that cannot run are decided there (not run: needs ...).
// admin_ours: the directory's admin contact is in the target's domains
// (and was added to the contacts message).
std::vector<PlannedMessage> plan_sealed_messages(RunState& run, bool& admin_ours);

// Seal `message` as `choice` says and send it (MAIL FROM the runner's
// address, RCPT every To:); fills message_id, digest, record, reply and
// accepted.
void send_sealed(RunState& run, SentMessage& s, TestMessage& message, const SealChoice& choice);

// The triggers of the run (INT-OUT-*), sent to the target's agent.
void send_triggers(RunState& run, std::vector<SentMessage>& sent);
// Match arrived messages and refusal reports to the triggers.
void take_triggered(RunState& run, std::vector<SentMessage>& sent);
void judge_trigger(RunState& run, const SentMessage& s);

void run_tls_cases(RunState& run);
void run_smtp_cases(RunState& run);
void run_sealed_cases(RunState& run);

// seconds since `since`
double seconds_since(std::chrono::steady_clock::time_point since);

}  // namespace sm::certify
