// inbound_policy.h - the policy step on the receiving side (issue 15),
// after a message was opened and verified (inbound.h), before it is
// queued:
//  - SecureMail-Marking is believed only inside verified content: any
//    other message loses the field;
//  - in a verified message the signed field must agree with the marking
//    the Scanner reads from the opened content itself (the content is what
//    a reader sees, so it is the real one): a disagreement is a failed
//    sealed message, refused with the one reply for every cryptographic
//    failure (sealed_failure_reply), the reason only in our log;
//  - Engine::inbound: a marking above [markings] accreditation is refused
//    (550 5.7.1), logged, reported to the administrator ([directory]
//    admin_contact) and each local recipient told by a short notice that
//    names the sender and the marking, never the subject or content. The
//    notices are committed before the refusal is answered.
// The sender learns of a refusal from the SMTP reply only; the gateway
// sends no notice of its own to outside senders (NZISM 15.2.42 asks for
// SPF or DKIM first, which it does not check yet).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/inbound.h"
#include "gateway/policy_step.h"
#include "queue/spool.h"

namespace sm::gateway {

struct InboundPolicy {
  enum class Outcome { deliver, forged, refused };
  Outcome outcome = Outcome::deliver;
  policy::MessageFacts facts;                              // with the content side
  std::optional<policy::Verdict> verdict;                  // refused: why
  std::vector<std::unique_ptr<queue::SpoolWriter>> notices;  // refused: to commit before the reply
};

// out.message is changed (the field stripped) when it is not verified.
// Errors: the message cannot be read (554 5.6.0), a notice cannot be
// written (451 4.3.0).
Result<InboundPolicy> check_inbound(const PolicyStep& policy, const config::Config& config, queue::Spool& spool,
                                    const mail::Envelope& env, const std::string& id, InboundOutcome& out);

// The notices of a refused message (not committed): the administrator's
// and one per local recipient.
std::string refusal_notice_for_admin(const config::Config& config, const mail::Envelope& env, const std::string& id,
                                     const InboundOutcome& out, const policy::Verdict& verdict);
std::string refusal_notice_for_recipient(const config::Config& config, const mail::Envelope& env,
                                         const std::string& recipient, const policy::Verdict& verdict);

}  // namespace sm::gateway
