// outer_header.cpp - the copied header fields and the MIME fields of a
// sealed message (see outer_header.h). Only these fields are exposed
// outside the encryption: Received:, X-* and other fields stay inside.
#include "smime/outer_header.h"

#include <array>
#include <string_view>

#include "mime/header.h"

namespace sm::smime::detail {
namespace {

constexpr std::array<std::string_view, 9> kCopied = {
    "From", "To", "Cc", "Date", "Subject", "Message-ID", "Reply-To", "In-Reply-To", "References"};

bool is_copied(std::string_view name) {
  for (auto n : kCopied)
    if (mime::iequals(n, name)) return true;
  return false;
}

}  // namespace

Result<std::string> copied_header_fields(const MessageSource& message) {
  // One octet over the limit so HeaderBlock can tell "too large" apart.
  auto head = message.head(mime::HeaderBlock::kDefaultMaxSize + 1);
  if (!head) return std::unexpected(head.error());
  auto header = mime::HeaderBlock::parse(*head);
  if (!header) return std::unexpected(header.error());
  std::string out;
  for (const auto& f : header->fields()) {
    if (!is_copied(f.name)) continue;
    out += canonicalize_crlf(f.raw);
    if (!out.ends_with("\r\n")) out += "\r\n";  // the header ended at end of input
  }
  return out;
}

std::string enveloped_mime_fields(Cipher cipher, bool binary) {
  std::string_view type = cipher == Cipher::aes256_gcm ? "authEnveloped-data" : "enveloped-data";
  std::string out = "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=";
  out += type;
  out += "; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: ";
  out += binary ? "binary" : "base64";
  out +=
      "\r\n"
      "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
      "\r\n";
  return out;
}

}  // namespace sm::smime::detail
