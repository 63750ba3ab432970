// reply.h - a reply written on the pickup page, as the message the gateway
// queues: who it may go to (the original sender; with reply-all also the
// original From/To/Cc, never an address the recipient typed) and the whole
// RFC 5322 message.
//
// The reply is From: the pickup recipient's own address (the one the
// sign-in code was mailed to: they proved they read it), Subject "Re: "
// and the original's, In-Reply-To/References the original Message-ID, a
// fresh Message-ID and Date, and X-SecureMail-Pickup-Reply naming the
// reference. Its text is UTF-8, 7bit when plain ASCII with short lines,
// quoted-printable otherwise; an attachment is a base64 part whose file
// name is given RFC 2231 style (and as an ASCII fallback).
//
// X-SecureMail-Pickup-Reply is written only here; the gateway removes it
// from mail that arrives from outside (gateway/auth_results.h), so a
// reader may trust it on mail its own gateway delivered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pickup/message_view.h"

namespace sm::pickup {

inline constexpr std::string_view kReplyHeader = "X-SecureMail-Pickup-Reply";
inline constexpr int kMaxReplies = 20;  // per message: the page is no spam cannon

// Who a reply may go to: the original sender, and (reply-all) the other
// original participants; never the recipient itself, each address once.
struct Participants {
  std::string sender;
  std::vector<std::string> others;
};
// fallback_sender: the envelope sender, when the message names no From:.
Participants participants(const MessageView& original, std::string_view fallback_sender, std::string_view self);

struct ReplyFile {
  std::string name, type, content;  // as uploaded: the name is made safe here
};

struct ReplyDraft {
  std::string ref;                   // "P-7K3M-Q9XD-2FHT"
  std::string from;                  // the pickup recipient
  std::vector<std::string> to, cc;
  std::string subject;               // the original's (decoded)
  std::string in_reply_to;           // the original Message-ID ("" when none)
  std::string references;            // the original References
  std::string text;                  // as typed (UTF-8, any line ends)
  std::optional<ReplyFile> attachment;
  std::string id_domain;             // the Message-ID's domain (ours)
  std::int64_t now = 0;
};

// What the gateway queues: envelope sender, recipients, whole message.
struct Reply {
  std::string author;
  std::vector<std::string> recipients;
  std::string text;
};

std::string reply_mail(const ReplyDraft& d);

// "Re: " + subject, unless it already starts with "Re:".
std::string reply_subject(std::string_view subject);

}  // namespace sm::pickup
