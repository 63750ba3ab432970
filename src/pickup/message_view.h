// message_view.h - a message held for pickup as its reader sees it: the
// header fields people read (From, To, Cc, Date, Subject, decoded), the
// text (the first text/plain part that is not an attachment; else an HTML
// part reduced to its text: the page never renders the sender's HTML),
// and the attachments (name, type, decoded size) to download one by one.
// Parsed with GMime (transfer encodings and charsets decoded); a part
// inside a forwarded message/rfc822 counts as that message's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::pickup {

struct Attachment {
  std::string name;  // the file name given, or "attachment-N"
  std::string type;  // "application/pdf"
  std::uint64_t size = 0;
};

struct MessageView {
  std::string from, to, cc, date, subject, message_id, references;
  // The bare addresses of From, To and Cc (group members included), as
  // written: who a reply from the page may go to.
  std::vector<std::string> from_addresses, to_addresses, cc_addresses;
  std::string text;
  std::vector<Attachment> attachments;
};

// 554 5.6.0 when GMime cannot read it as a message at all.
Result<MessageView> view_message(std::string_view message);

// The decoded content of attachment `index` (as view_message numbered
// them); nullopt when there is no such attachment.
std::optional<std::string> attachment_content(std::string_view message, std::size_t index);

}  // namespace sm::pickup
