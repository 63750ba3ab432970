// notices.h - the mail secure pickup sends, as whole RFC 5322 messages
// (CRLF, Auto-Submitted: auto-generated, From: the member's own domain):
//
//   notification  to the recipient: the sender and its organisation, the
//                 reference, the expiry, the link and where to check that
//                 the notification is genuine; the subject only when
//                 [pickup] show_subject says so; never any body or
//                 attachment name
//   code          to the recipient: the 8-digit sign-in code
//   event         to the sender: what happened to its message (notified,
//                 opened, downloaded, replied, locked, revoked, expired
//                 unread)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pickup/ledger.h"

namespace sm::pickup {

struct NoticeContext {
  std::string public_url;  // "https://pickup.a.example/"
  std::int64_t now = 0;
};

// A value for a header field: line breaks and other controls taken out,
// non-ASCII as one RFC 2047 B-encoded word per 45 octets.
std::string header_value(std::string_view text);
// A fresh "<pickup.NOW.RANDOM@DOMAIN>".
std::string message_id(std::string_view domain, std::int64_t now);

// subject: the message's subject, "" to name none.
std::string notification_mail(const Pickup& p, const std::string& token, const std::string& subject,
                              const NoticeContext& c);
std::string code_mail(const Pickup& p, const std::string& code, const NoticeContext& c);
// "" for an event the sender is not told of (code-sent).
std::string event_mail(const Pickup& p, const Event& e, const NoticeContext& c);

}  // namespace sm::pickup
