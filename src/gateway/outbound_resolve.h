// outbound_resolve.h - what DATA on an outbound listener (relay,
// submission, submissions) resolves to, on the crypto pool, before the 250:
// the From: of a bound relay client checked, the message scanned and
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

struct OutboundMessage {
  mail::Envelope env;                               // as received, every recipient; id: the Received: queue id
  policy::MessageFacts facts;                       // the envelope side (envelope_facts)
  const config::Config::RelayClient* client = nullptr;  // a bound relay client
  bool check_from = false;                          // check its From: domain
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
