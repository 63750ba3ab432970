// reply.cpp - composing a reply from the pickup page (see reply.h).
#include "pickup/reply.h"

#include <algorithm>

#include "mime/compose.h"
#include "mime/header.h"
#include "pickup/notices.h"
#include "util/text.h"

namespace sm::pickup {
namespace {

// A bare address we may write in a header: local@domain, nothing that could
// end the field or start another address.
bool writable_address(std::string_view a) {
  if (a.empty() || a.size() > 254 || std::count(a.begin(), a.end(), '@') != 1 || a.front() == '@' || a.back() == '@')
    return false;
  return std::none_of(a.begin(), a.end(), [](unsigned char c) {
    return c <= ' ' || c == 0x7f || std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// The <msg-id> tokens of a Message-ID or References value, nothing else.
std::vector<std::string> message_ids(std::string_view value) {
  std::vector<std::string> out;
  for (std::size_t at = value.find('<'); at != std::string_view::npos; at = value.find('<', at + 1)) {
    auto end = value.find('>', at);
    if (end == std::string_view::npos) break;
    std::string_view id = value.substr(at, end - at + 1);
    if (id.size() > 2 && writable_address(id.substr(1, id.size() - 2))) out.emplace_back(id);
  }
  return out;
}

}  // namespace

Participants participants(const MessageView& original, std::string_view fallback_sender, std::string_view self) {
  Participants p;
  std::vector<std::string> seen{ascii_lower(self)};
  auto add = [&](const std::string& a) -> bool {
    if (!writable_address(a) || std::ranges::find(seen, ascii_lower(a)) != seen.end()) return false;
    seen.push_back(ascii_lower(a));
    return true;
  };
  for (const auto& a : original.from_addresses)
    if (p.sender.empty() && add(a)) p.sender = a;
  if (p.sender.empty() && add(std::string(fallback_sender))) p.sender = fallback_sender;
  for (const auto* list : {&original.from_addresses, &original.to_addresses, &original.cc_addresses})
    for (const auto& a : *list)
      if (add(a)) p.others.push_back(a);
  return p;
}

std::string reply_subject(std::string_view subject) {
  std::string s(subject);
  if (s.size() >= 3 && ascii_lower(s.substr(0, 3)) == "re:") return s;
  return "Re: " + s;
}

std::string reply_mail(const ReplyDraft& d) {
  std::string m;
  m += "From: <" + d.from + ">\r\n";
  m += mime::fold("To: " + mime::address_list(d.to));
  if (!d.cc.empty()) m += mime::fold("Cc: " + mime::address_list(d.cc));
  m += mime::fold("Subject: " + header_value(reply_subject(d.subject)));
  m += "Date: " + mime::format_date(d.now) + "\r\n";
  m += "Message-ID: " + message_id(d.id_domain, d.now) + "\r\n";
  auto original = message_ids(d.in_reply_to);
  if (!original.empty()) {
    m += "In-Reply-To: " + original.front() + "\r\n";
    std::string refs;
    for (const auto& id : message_ids(d.references)) refs += id + " ";
    m += mime::fold("References: " + refs + original.front());
  }
  m += std::string(kReplyHeader) + ": " + header_value(d.ref) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  if (!d.attachment) return m + mime::text_part(d.text);
  return m + mime::multipart_mixed(mime::text_part(d.text), {{d.attachment->name, d.attachment->type, d.attachment->content}});
}

}  // namespace sm::pickup
