// receipt_duty.cpp - which receipt requests we act on, for whom.
#include "gateway/receipt_duty.h"

#include <algorithm>

#include "evidence/ledger.h"
#include "util/text.h"

namespace sm::gateway {

DutyDecision decide_receipt_duty(const smime::Verdict& verdict, const directory::Member& member,
                                 const directory::Directory* directory, const mail::Envelope& env,
                                 const std::vector<std::size_t>& recipients, const std::string& message_id) {
  DutyDecision out;
  if (!verdict.receipt_request) return out;
  const smime::ReceiptRequest& request = *verdict.receipt_request;
  auto refuse = [&](std::string why) {
    out.log = "signed receipt request not acted on: " + why;
    return out;
  };
  if (verdict.signed_data.empty()) return refuse("the verified signature was not kept");
  if (request.receipts_to.empty()) return refuse("it names no receiptsTo address");
  for (const auto& to : request.receipts_to) {
    const directory::Member* owner = directory ? directory->lookup_address(to) : nullptr;
    if (!owner || owner->id != member.id)
      return refuse("receiptsTo <" + to + "> is not an address of member " + member.id + ", which sealed the message");
  }
  if (!request.receipts_from_all && !request.receipts_from.empty()) {
    std::vector<std::string> from;
    for (const auto& a : request.receipts_from) from.push_back(ascii_lower(a));
    for (auto i : recipients)
      if (std::find(from.begin(), from.end(), ascii_lower(env.recipients.at(i).address)) != from.end())
        out.recipients.push_back(i);
    if (out.recipients.empty()) return refuse("receiptsFrom names none of the recipients");
  } else {
    out.recipients = recipients;
  }
  out.duty = mail::ReceiptDuty{member.id, evidence::bare_message_id(message_id), request.receipts_to, verdict.signed_data};
  std::string to;
  for (const auto& a : request.receipts_to) to += (to.empty() ? "<" : ", <") + a + ">";
  out.log = "signed receipt requested to " + to + " for " + std::to_string(out.recipients.size()) + " recipient(s)";
  return out;
}

}  // namespace sm::gateway
