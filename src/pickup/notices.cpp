// notices.cpp - composing the mail of secure pickup (see notices.h).
#include "pickup/notices.h"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "mime/compose.h"
#include "mime/header.h"
#include "util/base64.h"
#include "pickup/pages.h"
#include "pickup/pdf.h"

namespace sm::pickup {
namespace {

// A file attached to a notice: its name, media type and content.
struct File {
  std::string name, type;
  std::string_view content;
};

std::string mail(const std::string& from, const std::string& to, const std::string& subject, const std::string& body,
                 std::int64_t now, const File* file = nullptr) {
  const std::string domain = from.substr(from.rfind('@') + 1);
  const bool eight = std::any_of(body.begin(), body.end(), [](unsigned char c) { return c >= 0x80; });
  std::string m;
  m += "From: \"Secure messages of " + domain + "\" <" + from + ">\r\n";
  m += "To: <" + to + ">\r\n";
  m += mime::fold("Subject: " + header_value(subject));
  m += "Date: " + mime::format_date(now) + "\r\n";
  m += "Message-ID: " + message_id(domain, now) + "\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  std::string text = std::string("Content-Type: text/plain; charset=") + (eight ? "utf-8" : "us-ascii") + "\r\n";
  text += std::string("Content-Transfer-Encoding: ") + (eight ? "8bit" : "7bit") + "\r\n\r\n" + body;
  if (!file) return m + text;
  return m + mime::multipart_mixed(text, {{file->name, file->type, std::string(file->content)}});
}

std::string sender_of(const Pickup& p) { return "secure-messages@" + p.from_domain; }

}  // namespace

std::string header_value(std::string_view text) { return mime::header_words(text); }

std::string message_id(std::string_view domain, std::int64_t now) {
  std::array<unsigned char, 12> r{};
  randombytes_buf(r.data(), r.size());
  std::string id;
  for (unsigned char c : r) id += "0123456789abcdef"[c >> 4], id += "0123456789abcdef"[c & 15];
  return "<pickup." + std::to_string(now) + "." + id + "@" + std::string(domain) + ">";
}

std::string notification_mail(const Pickup& p, const std::string& token, const std::string& subject,
                              const NoticeContext& c, const PdfNotice* pdf) {
  std::string body;
  // A reply from another pickup page (reply-all) comes from outside: it came
  // through the member's gateway, it is not the member's.
  const bool ours = p.sender.size() > p.from_domain.size() && p.sender.ends_with("@" + p.from_domain);
  body += p.sender + (ours ? " of " + p.from_domain + " sent you a secure message.\r\n"
                           : " sent you a secure message through the secure gateway of " + p.from_domain + ".\r\n");
  if (!subject.empty()) body += "Subject: " + header_value(subject) + "\r\n";
  const std::string file_name = pdf_file_name(p.ref);
  if (pdf) {
    body += "\r\nIt is attached as a PDF, " + file_name + ", protected by a password.\r\n";
    body += pdf->password_to_sender
                ? "The sender has the password and will give it to you by phone or another\r\n"
                  "way; it is never sent by email with the PDF.\r\n"
                : "The password comes in a separate email; it is never in the same email as\r\nthe PDF.\r\n";
    body += "\r\nOr read it on the web";
  } else {
    body += "\r\nRead it here";
  }
  body += ", until " + utc_time(p.expires) + ":\r\n\r\n  " + c.public_url + "p/" + token + "\r\n\r\n";
  body += "The page sends a one-time sign-in code to this address. We never ask for\r\nthe password of your mailbox";
  body += pdf ? ", and the PDF is this message's only attachment.\r\n\r\n" : ", and this message has no attachment.\r\n\r\n";
  body += "Reference: " + p.ref + "\r\n";
  body += "How to check that this notification is genuine: " + c.public_url + "about\r\n";
  std::string title = "Secure message from " + p.from_domain + (subject.empty() ? "" : ": " + subject) + " [" + p.ref + "]";
  if (!pdf) return mail(sender_of(p), p.recipient, title, body, c.now);
  File file{file_name, "application/pdf", pdf->pdf};
  return mail(sender_of(p), p.recipient, title, body, c.now, &file);
}

std::string password_mail(const Pickup& p, const std::string& password, bool to_sender, const NoticeContext& c) {
  if (to_sender) {
    std::string body = "Your secure message " + p.ref + " to " + p.recipient + " was sent as a PDF\r\n" +
                       "(" + pdf_file_name(p.ref) + "). It opens with the password\r\n\r\n  " + password +
                       "\r\n\r\nGive it to the recipient by phone or another channel, never by email to the\r\n"
                       "same address. This gateway keeps no copy of it.\r\n";
    return mail(sender_of(p), p.sender, "Password for the PDF of your secure message to " + p.recipient + " [" + p.ref + "]",
                body, c.now);
  }
  std::string body = "The PDF of the secure message " + p.ref + " from " + p.from_domain +
                     " (" + pdf_file_name(p.ref) + ",\r\nsent in another email) opens with the password\r\n\r\n  " +
                     password + "\r\n\r\nType it with the hyphens when your PDF reader asks. Keep it apart from the PDF.\r\n";
  return mail(sender_of(p), p.recipient, "Password for your secure message [" + p.ref + "]", body, c.now);
}

std::string code_mail(const Pickup& p, const std::string& code, const NoticeContext& c) {
  std::string body = "Your sign-in code for the secure message " + p.ref + " from " + p.from_domain + " is\r\n\r\n  " +
                     code.substr(0, 4) + " " + code.substr(4) +
                     "\r\n\r\nIt works once, for 10 minutes. If you did not ask for it, ignore this message:\r\n"
                     "nobody can read the message without the code.\r\n";
  return mail(sender_of(p), p.recipient, "Your sign-in code [" + p.ref + "]", body, c.now);
}

std::string account_mail(const Pickup& p, AccountMail kind, const std::string& link, const NoticeContext& c) {
  const std::string site = "the secure message site of " + p.from_domain + " (" + c.public_url + ")";
  const std::string not_you =
      "If this was not you, open the link in any of your notifications and ask for a reset link, or tell the sender.\r\n";
  std::string subject, body;
  switch (kind) {
    case AccountMail::created:
      subject = "Your account for secure messages was created";
      body = "An account with a password and an authenticator app was set up for " + p.recipient + " on " + site +
             ".\r\n\r\nFrom now on, sign in to secure messages for this address with both; no code is emailed.\r\n" +
             not_you;
      break;
    case AccountMail::reset_link:
      subject = "Reset your account for secure messages";
      body = "Someone asked to reset the account of " + p.recipient + " on " + site +
             ".\r\n\r\nTo choose a new password and set up your authenticator app again, open\r\n\r\n  " + link +
             "\r\n\r\nThe link works once, for 30 minutes. If you did not ask for it, ignore this message: your "
             "account stays as it is.\r\n";
      break;
    case AccountMail::reset_done:
      subject = "Your account for secure messages was reset";
      body = "The password and authenticator of " + p.recipient + " on " + site +
             " were replaced through a reset link.\r\n" + not_you;
      break;
    case AccountMail::removed:
      subject = "Your account for secure messages was removed";
      body = "The account of " + p.recipient + " on " + site +
             " was removed. Later secure messages are opened with a code emailed to you.\r\n";
      break;
  }
  return mail(sender_of(p), p.recipient, subject, body, c.now);
}

std::string event_mail(const Pickup& p, const Event& e, const NoticeContext& c) {
  std::string what;
  if (e.kind == "notified") what = "The recipient was sent a notification with a link to read it.";
  else if (e.kind == "opened") what = "The recipient signed in and read it (" + e.detail + ").";
  else if (e.kind == "downloaded") what = "The recipient downloaded the attachment \"" + e.detail + "\".";
  else if (e.kind == "locked") what = "Sign-in was locked: " + e.detail + ".";
  else if (e.kind == "revoked") what = "It was withdrawn (" + e.detail + "); the recipient can no longer read it.";
  else if (e.kind == "replied") what = "The recipient replied from the pickup page (to " + e.detail + ").";
  else if (e.kind == "expired") what = "It expired and was deleted" + std::string(p.first_opened ? "." : " unread.");
  else return "";
  std::string body = "Your secure message " + p.ref + " to " + p.recipient + ":\r\n\r\n  " + what + "\r\n\r\n  at " +
                     utc_time(e.at) + "\r\n";
  return mail(sender_of(p), p.sender, "Secure message to " + p.recipient + ": " + e.kind + " [" + p.ref + "]", body,
              c.now);
}

}  // namespace sm::pickup
