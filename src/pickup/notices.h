// notices.h - the mail secure pickup sends, as whole RFC 5322 messages
// (CRLF, Auto-Submitted: auto-generated, From: the member's own domain):
//
//   notification  to the recipient: the sender and its organisation, the
//                 reference, the expiry, the link and where to check that
//                 the notification is genuine; the subject only when
//                 [pickup] show_subject says so; never any body or
//                 attachment name; with the PDF option (pdf.h) the
//                 message as a password-protected PDF attached, and where
//                 the password comes from, never the password
//   code          to the recipient: the 8-digit sign-in code
//   password      the PDF's password alone, in a mail of its own: to the
//                 sender (to pass on by phone or another channel) or to
//                 the recipient ([pickup] pdf_password_to)
//   account       to the recipient, about their own account (pickup
//                 recipients.h): created, the reset link, reset, removed
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

// The PDF option: the encrypted PDF, and who was mailed its password.
struct PdfNotice {
  std::string pdf;
  bool password_to_sender = true;
};

// subject: the message's subject, "" to name none; pdf: null without the
// PDF option.
std::string notification_mail(const Pickup& p, const std::string& token, const std::string& subject,
                              const NoticeContext& c, const PdfNotice* pdf = nullptr);
std::string password_mail(const Pickup& p, const std::string& password, bool to_sender, const NoticeContext& c);
std::string code_mail(const Pickup& p, const std::string& code, const NoticeContext& c);
// p: the message the recipient came by (its domain signs the mail); link:
// the reset link for reset_link, unused otherwise.
enum class AccountMail { created, reset_link, reset_done, removed };
std::string account_mail(const Pickup& p, AccountMail kind, const std::string& link, const NoticeContext& c);
// "" for an event the sender is not told of (code-sent).
std::string event_mail(const Pickup& p, const Event& e, const NoticeContext& c);

}  // namespace sm::pickup
