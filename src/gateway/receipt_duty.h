// receipt_duty.h - the receiving gateway's decision on a signed receipt
// request (RFC 2634 ReceiptRequest) in a sealed message that verified:
// whether we act on it and for which recipients.
//
// A request is acted on only when it cannot reflect receipts elsewhere:
// every receiptsTo address must be in a domain of the member that sealed
// the message (a receipt goes back sealed to that member only). When the
// request lists receiptsFrom addresses, only those recipients get one;
// receiptsFrom allReceipts or firstTier (we are the first tier: the
// gateway of the final recipients) means every recipient.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "mail/envelope.h"
#include "smime/verdict.h"

namespace sm::gateway {

struct DutyDecision {
  std::optional<mail::ReceiptDuty> duty;  // none: no receipt is sent
  std::vector<std::size_t> recipients;    // with a duty: of the given recipients, those that get one
  std::string log;                        // what was decided and why, for the log ("" without a request)
};

// verdict: of a message that passed, sealed by `member`. recipients:
// indexes into env.recipients of those it is delivered to. message_id:
// the original's Message-ID (with or without <>).
DutyDecision decide_receipt_duty(const smime::Verdict& verdict, const directory::Member& member,
                                 const directory::Directory* directory, const mail::Envelope& env,
                                 const std::vector<std::size_t>& recipients, const std::string& message_id);

}  // namespace sm::gateway
