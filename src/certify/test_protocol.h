// test_protocol.h - `securemail-test/1`, what test agents say to each
// other (issue 17): every member gateway answers at securemail-test@<its
// primary domain>; a verified, sealed ping from a member gets a signed,
// sealed pong back to the pinging member's own agent. Self-tests use it to
// prove, end to end and on schedule, that sealing, verification and
// delivery still work between two gateways.
//
// A message of the protocol is one application/json body (7bit, at most
// 64 KiB) with the subject "SECUREMAIL-TEST <action> <nonce>":
//   {"protocol":"securemail-test/1","action":"ping","nonce":"<22 base64url>","sent":"ISO"}
//   {"protocol":"securemail-test/1","action":"pong","nonce":"...","received":"ISO",
//    "software":"securemail 0.1.0","certificates":[{"sha256":"...","not_after":"ISO"}],
//    "crl_next_update":"ISO or null"}
//   {"protocol":"securemail-test/1","action":"send","nonce":"...","sent":"ISO","expires":"ISO",
//    "run":"R2026...","case":"INT-OUT-BASIC","to":"runner@facility.example",
//    "content":{"kind":"text|utf8|binary|empty","octets":N,"seed":"<32 hex>"},"receipt":false}
//   {"protocol":"securemail-test/1","action":"report","nonce":"...","received":"ISO",
//    "about":{"message_id":"...","run":"...","case":"..."},"verification":"pass",
//    "delivered_as_verified":true,"digest":"<hex or null>","refused":"<why or null>",
//    "notice":{"action":"failed","status":"5.7.1","diagnostic":"smtp; 550 ...","after":N} or null,
//    "crl":{"number":"<decimal>","next_update":"ISO"} or null,"receipt_timeout":N}
// A send (a trigger: only from the certification facility's agent) asks
// the target to send test content (content.h) to an address of the
// facility's; a report is what the agent tells the facility about a test
// message it took, a trigger it refused, or a delivery status
// notification its gateway wrote about mail the agent sent on a trigger
// ("notice": a bounce, a delay warning, or - for mail sent with "receipt":
// true, which asks the facility for a signed receipt - the report that the
// receipt came and verified, Action delivered, or that none came within
// the gateway's receipt timeout, Action relayed; "after": seconds from
// sending to the notice, on the agent's own clock). Every report carries
// the CRL the agent's gateway holds ("crl") and how long that gateway
// waits for a signed receipt ("receipt_timeout", seconds), so the facility
// sees whether the CRL is current and when a withheld receipt is due.
// Unknown fields are ignored; a missing or ill-typed known field refuses the message.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certify/content.h"
#include "util/error.h"

namespace sm::certify {

inline constexpr std::string_view kAgentLocalPart = "securemail-test";
inline constexpr std::string_view kTestProtocol = "securemail-test/1";
inline constexpr std::size_t kMaxTestBody = 64 * 1024;

// "securemail-test@<domain>"
std::string agent_address(std::string_view domain);
// Is `address` the test agent's address at `domain`? (case-insensitive)
bool is_agent_address(std::string_view address, std::string_view domain);

struct AgentCertificate {
  std::string sha256, not_after;  // lower-case hex; ISO 8601 UTC
};

// Where agents send reports: results@<the facility's domain>, nowhere else.
inline constexpr std::string_view kResultsLocalPart = "results";
// Triggers one agent accepts in an hour, from all facilities together.
inline constexpr std::uint64_t kTriggerLimitPerHour = 200;
// A trigger expires at most this long after it was sent.
inline constexpr std::int64_t kTriggerLifetime = 3600;

struct AgentMessage {
  enum class Action { ping, pong, send, report };
  Action action = Action::ping;
  std::string nonce;
  std::int64_t at = 0;  // ping, send: sent; pong, report: received (unix seconds)
  // pong only
  std::string software;
  std::vector<AgentCertificate> certificates;
  std::int64_t crl_next_update = 0;  // pong and report; 0: none
  // send and report: the run and case the message belongs to
  std::string run, case_id;
  // send only
  std::int64_t expires = 0;
  std::string to;
  ContentSpec content;
  bool receipt = false;  // ask the recipient for a signed receipt (RFC 2634)
  // report only
  std::string about;  // Message-ID (without <>) of the message reported on; a refused trigger's nonce
  std::string verification = "none";
  bool delivered_as_verified = false;
  std::string digest;   // of the content; empty: none
  std::string refused;  // a refused trigger: why; empty otherwise
  // A notification about triggered mail: RFC 3464 Action, Status, Diagnostic-Code.
  std::string notice_action, notice_status, notice_diagnostic;
  std::int64_t notice_after = -1;  // seconds from sending the message to the notice; -1: not said
  std::string crl_number;  // decimal; empty: no CRL (the next update is crl_next_update)
  std::int64_t receipt_timeout = 0;  // the agent's gateway waits this long for a signed receipt; 0: not said
};

std::string to_json(const AgentMessage& body);
// 554 5.6.0 naming what is wrong.
Result<AgentMessage> parse_test_body(std::string_view json);
// "SECUREMAIL-TEST ping <nonce>"
std::string test_subject(const AgentMessage& body);
std::string_view to_string(AgentMessage::Action action);

// The SecureMail-Test field every test message carries:
// "run=<RUN>; case=<CASE>; nonce=<NONCE>"; parse gives run and case
// (nullopt when either is missing or not [A-Za-z0-9._-]{1,64}).
struct TestLabel {
  std::string run, case_id;
};
std::string test_field_value(const TestLabel& label, const std::string& nonce);
std::optional<TestLabel> parse_test_field(std::string_view value);
// A run or case name: [A-Za-z0-9._-]{1,64}.
bool label_ok(std::string_view text);

// Why a trigger from the facility (a member with these domains) cannot be
// carried out at `now`, or "" when it can: `to` must be in one of the
// domains or below one; it must not have expired, nor expire more than an
// hour (and five minutes of clock skew) ahead.
std::string trigger_problem(const AgentMessage& send, const std::vector<std::string>& facility_domains,
                            std::int64_t now);

// An agent's memory of the triggers it carried out: each nonce once in
// two hours, at most kTriggerLimitPerHour in an hour. Not thread-safe.
class TriggerGate {
 public:
  // "" and counted, or why not.
  std::string admit(const std::string& nonce, std::int64_t now);

 private:
  std::map<std::string, std::int64_t> nonces_;  // nonce -> when
  std::int64_t hour_ = 0;
  std::uint64_t in_hour_ = 0;
};

}  // namespace sm::certify
