// compose.h - a new message from its parts, for what hands the gateway
// content without writing MIME itself: an application through the admin
// API (POST /v1/messages), a pickup reply. Text is UTF-8; the result is
// CRLF, 7-bit clean (quoted-printable or 7bit text, base64 attachments, RFC 2047
// header words, RFC 2231 file names), so it passes any relay unchanged.
// The text is 7bit when it can be.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::mime {

struct Attachment {
  std::string filename;      // shown to the reader; path parts are cut off
  std::string content_type;  // "application/pdf"; empty: application/octet-stream
  std::string content;       // the octets
};

struct Composition {
  std::string from;              // addr-spec, lower or mixed case
  std::string from_name;         // optional display name (UTF-8)
  std::vector<std::string> to, cc;  // addr-specs; at least one of them
  std::string subject;           // UTF-8
  std::string text;              // UTF-8 body, any line ends
  std::vector<Attachment> attachments;
  std::vector<std::string> extra;  // "Name: value" fields added as they are (one line each)
  std::int64_t date = 0;           // unix seconds; 0: now
};

// The whole message. 550 5.1.3 naming an address that is not local@domain
// (dot-atom local part, a domain name), 550 5.6.0 for a From without an
// address or a message without any To/Cc, text that is not UTF-8, or an
// extra field that is not one "Name: value" line.
Result<std::string> compose(const Composition& c);

// A header field value: controls become spaces; ASCII as it is, otherwise
// RFC 2047 B-encoded UTF-8 words of whole characters.
std::string header_words(std::string_view text);

// The pieces compose() is made of, for whoever writes a message of its own
// shape (a pickup reply):
// A text/plain UTF-8 part (its header and body): 7bit when plain ASCII with
// lines of at most 998 octets, quoted-printable otherwise; any line ends
// become CRLF.
std::string text_part(std::string_view text);
// An attachment part (its header and base64 body, after the boundary line):
// the name without any path or control (RFC 2231 UTF-8 form first, then an
// ASCII fallback, in Content-Type name and Content-Disposition filename);
// a type that is not type/subtype becomes application/octet-stream.
std::string attachment_part(const Attachment& a);
// A multipart/mixed body: its Content-Type field, the empty line, then
// `first` (a part's header and body, text_part's say) and each attachment
// as attachment_part writes it, under a fresh random boundary.
std::string multipart_mixed(std::string_view first, const std::vector<Attachment>& attachments);
// Any line end (CR, LF or CRLF) as CRLF.
std::string crlf_lines(std::string_view text);
// "<a>, <b>".
std::string address_list(const std::vector<std::string>& addresses);

// Whether text is well-formed UTF-8.
bool valid_utf8(std::string_view text);

}  // namespace sm::mime
