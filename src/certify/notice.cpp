// notice.cpp - the fields of a delivery status notification (notice.h).
#include "certify/notice.h"

#include "evidence/ledger.h"
#include "mime/header.h"
#include "mime/multipart.h"
#include "util/text.h"

namespace sm::certify {

std::optional<DeliveryNotice> read_delivery_notice(std::string_view message) {
  auto header = mime::HeaderBlock::parse(message);
  if (!header) return std::nullopt;
  auto type = header->get("Content-Type").value_or("");
  auto report_type = mime::content_type_parameter(type, "report-type");
  auto boundary = mime::content_type_parameter(type, "boundary");
  if (mime::media_type(type) != "multipart/report" || !report_type || ascii_lower(*report_type) != "delivery-status" ||
      !boundary)
    return std::nullopt;
  auto parts = mime::split_multipart(message.substr(std::min(header->body_offset(), message.size())), *boundary);
  if (!parts) return std::nullopt;
  std::optional<DeliveryNotice> out;
  std::string message_id;
  for (const auto& part : *parts) {
    auto part_type = mime::media_type(part.header.get("Content-Type").value_or("text/plain"));
    if (part_type == "text/rfc822-headers" || part_type == "message/rfc822") {
      if (auto returned = mime::HeaderBlock::parse(part.body))
        message_id = evidence::bare_message_id(returned->get("Message-ID").value_or(""));
      continue;
    }
    if (part_type != "message/delivery-status" || out) continue;
    // Per-message fields, a blank line, then one group per recipient.
    std::string_view rest = part.body;
    auto per_message = mime::HeaderBlock::parse(rest);
    if (!per_message) return std::nullopt;
    rest.remove_prefix(std::min(per_message->body_offset(), rest.size()));
    while (!rest.empty()) {
      auto recipient = mime::HeaderBlock::parse(rest);
      if (!recipient || recipient->body_offset() == 0) break;
      rest.remove_prefix(std::min(recipient->body_offset(), rest.size()));
      auto action = recipient->get("Action");
      auto status = recipient->get("Status");
      if (!action || !status) continue;
      out = DeliveryNotice{ascii_lower(std::string(*action)), std::string(*status),
                           std::string(recipient->get("Diagnostic-Code").value_or("")), "", ""};
      // "rfc822;bob@example" (RFC 3464 2.3.2, 2.3.1): the address after the type
      std::string_view named = recipient->get("Final-Recipient").value_or(recipient->get("Original-Recipient").value_or(""));
      if (auto semi = named.find(';'); semi != std::string_view::npos) {
        std::string_view address = named.substr(semi + 1);
        address.remove_prefix(std::min(address.find_first_not_of(" \t"), address.size()));
        address = address.substr(0, address.find_last_not_of(" \t") + 1);
        out->recipient = std::string(address);
      }
      break;
    }
  }
  if (out) out->message_id = message_id;
  return out;
}

}  // namespace sm::certify
