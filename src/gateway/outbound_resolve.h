// outbound_resolve.h - what DATA on an outbound listener (relay,
// submission, submissions) resolves to, on the crypto pool, before the 250:
// mail an [[application]] encrypted to our own certificate opened (only
// from an application), the From: of an application or a bound relay
// client checked, the message scanned and
// decided per recipient (policy_step.h), the journal and interception
// copies (taps.h, with the message as received), then the copies:
//   - sealed, one per member gateway, with SecureMail-Marking inside the
//     signed content;
//   - plain, and the release copy without markings;
//   - held (hold, pickup) with Envelope::policy_hold naming the rule;
//     member recipients' held copies are sealed already, so a release
//     never sends member mail plain;
//   - a DSN to the sender for the returned recipients, committed with the
//     rest.
// Personal mail is tagged before any copy is made, and unmarked mail
// too when [markings] unmarked = "tag". Nothing a sender wrote
// as SecureMail-Marking or SecureMail-Category leaves as it came.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/policy_step.h"
#include "gateway/queue_sink.h"
#include "gateway/receiver.h"
#include "gateway/sealed_failures.h"

namespace sm::gateway {

// What processing a message needs from the Receiver.
struct Pipeline {
  const config::Config& config;
  queue::Spool& spool;
  const MemberTrust& trust;
  SealedFailures& failures;
  const PolicyStep& policy;
};

// env with only these recipients (in this order).
mail::Envelope subset(const mail::Envelope& env, const std::vector<std::size_t>& recipients);
// A new queue copy with these octets, not committed.
Result<std::unique_ptr<queue::SpoolWriter>> new_copy(queue::Spool& spool, const mail::Envelope& env,
                                                     std::string_view bytes);

// What policy decided for each recipient (POST /v1/messages answers with
// it): filled by resolve_outbound when the caller asks.
struct RecipientDecision {
  std::string address;
  std::string decision;  // "sealed", "plain", "pickup", "held", "returned", "refused"
  std::string detail;    // sealed: the member id; otherwise the rule, and the reason when there is one
};
struct Decisions {
  bool dry_run = false;  // decide only: nothing is sealed or queued
  std::vector<RecipientDecision> recipients;
};

struct OutboundMessage {
  mail::Envelope env;                               // as received, every recipient; id: the Received: queue id
  policy::MessageFacts facts;                       // the envelope side (envelope_facts)
  const config::Config::RelayClient* client = nullptr;  // a bound relay client
  bool check_from = false;                          // check its From: domain
  // An [[application]] (relay listener or admin API): its From: must be one
  // of its senders, and only it may hand in mail encrypted to our own
  // certificate (opened here before policy).
  const config::Config::Application* application = nullptr;
  std::shared_ptr<Decisions> decisions;             // filled when set
};

Result<Resolution> resolve_outbound(const Pipeline& p, const OutboundMessage& m, Received received);

// The DSN to env's sender for these returned recipients (their verdicts
// give the reply), written but not committed; null when none is due
// (null sender, NOTIFY).
Result<std::unique_ptr<queue::SpoolWriter>> policy_return_dsn(const config::Config& config, queue::Spool& spool,
                                                              const mail::Envelope& env,
                                                              const std::vector<std::size_t>& returned,
                                                              const std::vector<policy::Verdict>& verdicts,
                                                              std::string_view message);

}  // namespace sm::gateway
