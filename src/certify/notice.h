// notice.h - reading a delivery status notification (RFC 3464) that a
// gateway wrote about a message its test agent sent on a trigger, so the
// agent can report it to the facility (OPS-REFUSE). Only what the report
// needs: the first recipient's address, Action, Status and Diagnostic-Code, and the
// Message-ID of the message it is about (from the returned header).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sm::certify {

struct DeliveryNotice {
  std::string action;      // "failed", "delayed", ... (lower-case)
  std::string status;      // "5.7.1"
  std::string diagnostic;  // "smtp; 550 5.7.1 ..." (one line)
  std::string message_id;  // of the message it is about, without <>; empty when not returned
  std::string recipient;   // Final-Recipient (else Original-Recipient) without its type; may be empty
};

// nullopt unless `message` (CRLF) is a multipart/report with
// report-type=delivery-status whose message/delivery-status part names at
// least one recipient with an Action and a Status.
std::optional<DeliveryNotice> read_delivery_notice(std::string_view message);

}  // namespace sm::certify
