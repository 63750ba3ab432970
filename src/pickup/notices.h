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
//                 opened, downloaded, locked, revoked, expired unread)
#pragma once

#include <cstdint>
#include <string>

#include "pickup/ledger.h"

namespace sm::pickup {

struct NoticeContext {
  std::string public_url;  // "https://pickup.a.example/"
  std::int64_t now = 0;
};

// subject: the message's subject, "" to name none.
std::string notification_mail(const Pickup& p, const std::string& token, const std::string& subject,
                              const NoticeContext& c);
std::string code_mail(const Pickup& p, const std::string& code, const NoticeContext& c);
// "" for an event the sender is not told of (code-sent).
std::string event_mail(const Pickup& p, const Event& e, const NoticeContext& c);

}  // namespace sm::pickup
