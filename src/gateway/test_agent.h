// test_agent.h - every gateway's test agent (issue 17, certify/
// test_protocol.h): mail on the inbound listener to securemail-test@<our
// primary domain>. It is consumed, never delivered to a mailbox:
//
//   ping  from a member, sealed and verified, From: that member's own
//         agent address: answered with a pong (our certificates, our
//         CRL's next update, the time we received it), sealed back to that
//         address as own mail. At most [selftest] ping_limit pongs per
//         member per hour: more pings are consumed unanswered.
//   pong  from a member, sealed and verified: handed to the self-test
//         (selftest.h), which matches its nonce to a ping it sent.
//   send  a trigger, only from the certification facility's agent (a
//         member with the capability certification-facility): the agent
//         sends the test content asked for (certify/content.h) to the
//         address given, which must be in the facility's domains, as own
//         mail - sealed, queued and retried like every message the
//         gateway writes. Refused (and reported) when it expired, is
//         more than an hour ahead, repeats a nonce of the last two hours,
//         or is over 200 this hour.
//         Triggered mail has the agent's address as its envelope sender:
//         a bounce or delay notice our gateway writes about it comes back
//         to the agent (never to a mailbox), which reports its Action,
//         Status and Diagnostic-Code to the facility (OPS-REFUSE). A
//         trigger with "receipt" asks the facility for a signed receipt
//         (own_mail.h): the receipt report (delivered: it came and
//         verified; relayed: none within [receipts] timeout) comes back
//         the same way (take_report) and is reported with how long after
//         sending it came (INT-RCPT-OUT, OPS-RCPT-WITHHELD).
//   test content from the facility's agent: any other message carrying
//         the SecureMail-Test field. It is consumed as delivered, and the
//         agent reports what it saw (verified, the content's digest).
// Reports go to results@<the facility's domain> and nowhere else (and
// carry the number and next update of the CRL this gateway holds), so the
// agent cannot be made to mail anyone: it answers members' agents (pong)
// and the facility (report) only.
//
// Anything else gets one refusal: 550 5.7.1 for mail that is not
// verified member mail from a member's agent (the sealed-failure reply
// when the seal itself failed, delayed like any), 554 5.6.0 for a body that is not the
// protocol. The agent can only answer a member's own agent: it reflects
// nothing anywhere else.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "certify/test_protocol.h"
#include "config/config.h"
#include "gateway/inbound.h"
#include "gateway/own_mail.h"
#include "mime/header.h"
#include "gateway/queue_sink.h"
#include "gateway/receiver.h"
#include "util/hourly_limit.h"

namespace sm::gateway {

// Is this envelope (inbound) addressed to our test agent?
bool to_agent_address(const config::Config& config, const mail::Envelope& env);

// The whole message of one securemail-test/1 body, from `from` to `to`
// (own_header: Auto-Submitted, a fresh Message-ID), application/json.
std::string compose_test_message(const certify::AgentMessage& body, const std::string& from, const std::string& to,
                                 std::int64_t now);

class TestAgent {
 public:
  using PongSeen = std::function<void(const std::string& member, const certify::AgentMessage& pong, std::int64_t now)>;
  // Takes the notifications own mail addresses to the agent (own_mail.h).
  TestAgent(const config::Config& config, OwnMail& own_mail, std::shared_ptr<const GatewayKeys> keys);
  void on_pong(PongSeen seen) { pong_seen_ = std::move(seen); }

  // A receipt report (receipt_intake.h, receipt_timeouts.h) addressed to
  // the agent: taken like any notice about triggered mail, and true; any
  // other address: false (it goes to the queue as usual).
  bool take_report(const LocalMessage& report);

  // A ping to `member`'s agent (sealed: it is a member), from ours.
  void ping(const std::string& member_domain, const std::string& nonce, std::int64_t now);

  // The message to the agent, as received (our Received: first), from
  // `client` (sealed_failures.h): a seal that fails gets the one sealed
  // failure reply, after the same delay as anywhere else.
  Result<Resolution> take(const MemberTrust& trust, SealedFailures& failures, const std::string& client,
                          const mail::Envelope& env, Received received);

 private:
  // True when another pong to `member` is allowed this hour (and counts it).
  certify::AgentMessage pong_for(const certify::AgentMessage& ping, std::int64_t now) const;
  // Why a trigger cannot be carried out ("" when it can; then it counts).
  std::string trigger_refusal(const directory::Member& facility, const certify::AgentMessage& send, std::int64_t now);
  void carry_out(const std::string& id, const certify::AgentMessage& send, const std::string& facility_domain,
                 std::int64_t now);
  // To results@<facility_domain>, with the CRL we hold.
  void report(const std::string& id, const std::string& facility_domain, certify::AgentMessage body);
  // A notification (DSN) our gateway wrote about mail the agent sent on a
  // trigger: reported to the facility that asked for that mail.
  void take_notice(const LocalMessage& notice);
  static certify::AgentMessage report_about(const certify::TestLabel& label, std::string about,
                                            std::string verification, std::int64_t now);
  // Test content from the facility: consumed as delivered, reported.
  void take_test_content(const std::string& id, const directory::Member& facility, const mime::HeaderBlock& header,
                         const certify::TestLabel& label, const InboundOutcome& out, std::int64_t now);
  void send_own(const std::string& id, const std::string& to, std::string text, std::int64_t now, bool eight_bit = false);

  const config::Config& config_;
  OwnMail& own_mail_;
  std::shared_ptr<const GatewayKeys> keys_;
  PongSeen pong_seen_;
  std::mutex mu_;
  HourlyLimit pongs_;  // per member
  certify::TriggerGate triggers_;
  struct Triggered {
    certify::TestLabel label;
    std::string facility_domain;
    std::int64_t at = 0;
  };
  std::map<std::string, Triggered> triggered_;  // Message-ID sent on a trigger -> what asked for it (two hours)
};

}  // namespace sm::gateway
