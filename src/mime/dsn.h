// dsn.h - RFC 3464 delivery status notifications (bounces, delay warnings,
// success reports) as complete RFC 5322 messages.
//
// The composer only writes text: deciding who gets a DSN (NOTIFY, the null
// sender, never bouncing a bounce) and queueing it with an empty reverse
// path is the queue's job. It reports exactly the recipients it is given,
// never the others of the same envelope, and takes each Status from the
// enhanced code in the recipient's last reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.h"
#include "util/error.h"

namespace sm::mime {

enum class DsnAction { failed, delayed, delivered, relayed, expanded };
std::string_view to_string(DsnAction action);

struct DsnRecipient {
  std::size_t index = 0;        // into DsnReport::envelope.recipients
  DsnAction action = DsnAction::failed;
  std::string remote_mta;       // host name (or [IP]) of the MTA that answered, if any
  std::int64_t last_attempt = 0;  // unix seconds; 0: the report time
  // Written as they are after the standard per-recipient fields (RFC 3464
  // extension fields, e.g. "X-SecureMail-Receipt-Signed: <date>").
  std::vector<std::string> extra_fields;
  // Diagnostic-Code text when the recipient has no reply to quote (e.g.
  // "no signed receipt within 24h"); empty: from last_reply.
  std::string diagnostic;
};

// A part added after the message/delivery-status part (before any returned
// original), e.g. a signed receipt: content_type
// "application/pkcs7-mime; smime-type=signed-receipt; name=receipt.p7m",
// body raw octets (written base64), filename for Content-Disposition.
struct DsnExtraPart {
  std::string content_type;
  std::string filename;
  std::string body;
};

struct DsnReport {
  std::string reporting_mta;  // our hostname: From MAILER-DAEMON@, Reporting-MTA, Message-ID
  mail::Envelope envelope;    // recipients carry last_reply (and state)
  std::vector<DsnRecipient> recipients;  // the ones to report, at least one
  std::int64_t now = 0;                 // report time; 0: the current time
  std::int64_t arrival = 0;             // 0: envelope.arrival
  std::int64_t will_retry_until = 0;    // delayed: when the queue gives up
  std::string original_headers;          // header block of the original message
  std::optional<std::string> original;   // the full original, when it is at hand
  std::size_t return_limit = 50 * 1024;  // larger originals return headers only
  // From: address of the report; empty: MAILER-DAEMON@reporting_mta. A
  // gateway seals its reports to members and signs as its primary domain,
  // so it uses MAILER-DAEMON@<domain>.
  std::string from;
  // Replaces the first lines of the human-readable part when not empty
  // (the timeout report says delivery was not confirmed).
  std::string explanation;
  std::vector<DsnExtraPart> extra_parts;
};

// The whole notification with CRLF line ends, ready to queue from <>.
// The original is returned as message/rfc822 only in a failure report, when
// RET is not HDRS and it fits return_limit; otherwise its header block is
// returned as text/rfc822-headers (and nothing when neither is given).
// Fails (451 4.3.0) when the envelope has the null sender, the report names
// no recipient, or an index that does not exist: a programming error in the
// caller, never something to send.
Result<std::string> compose_dsn(const DsnReport& report);

// The RFC 3463 status of an SMTP reply: "550 5.1.1 No such user" -> "5.1.1";
// a reply without an enhanced code gives "5.0.0" / "4.0.0" / "2.0.0" from its
// reply code; anything else gives fallback.
std::string status_of_reply(std::string_view reply, std::string_view fallback);

}  // namespace sm::mime
