// header.h - the RFC 5322 header block of a message: reading it (split into
// fields, unfolded, looked up case-insensitively) and writing trace fields
// (Received:) and dates.
//
// The reader is strict, and it is the only header reader in SecureMail:
// what the gateway checks must be what a mail reader will show. Mail
// readers differ on malformed header blocks (Postfix's cleanup ends the
// header at a line that is not a field; Thunderbird and others read on),
// so a block that could be read two ways is refused (550 5.6.0), never
// half-read:
//   - every line up to the empty line is a field ("name:" with an RFC 5322
//     field-name and no white space before the colon) or a continuation of
//     the field before it (a line starting with SP or HTAB);
//   - lines end in CRLF or LF (both are line ends to every reader), and no
//     line holds a bare CR (a line end to some readers only) or a NUL;
//   - fields that RFC 5322 3.6 and RFC 2045 allow once (From, Sender, To,
//     Subject, Content-Type, ...) appear at most once.
// It is bounded: a header block larger than the limit is refused, never
// buffered. It never rewrites anything; raw() of each field is the octets
// as received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::mime {

struct HeaderField {
  std::string name;   // as written, e.g. "Message-ID"
  std::string value;  // unfolded (line breaks removed), leading/trailing WSP trimmed
  std::string raw;    // the field's lines exactly as received, line ends included
};

class HeaderBlock {
 public:
  static constexpr std::size_t kDefaultMaxSize = 256 * 1024;

  // Parse the start of a message (CRLF or bare LF line ends). The text may
  // hold the whole message or only its first part; if it ends before the
  // empty line, everything is header. Refuses (552 5.3.4) a header block
  // larger than max_size octets, and (550 5.6.0, naming the line) one that
  // is not strictly well formed as described above.
  static Result<HeaderBlock> parse(std::string_view message,
                                   std::size_t max_size = kDefaultMaxSize);

  const std::vector<HeaderField>& fields() const { return fields_; }
  // The first field with this name (case-insensitive), unfolded.
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

  // Offset in the parsed text where the body starts (after the empty line),
  // or the text's size when the text ended within the header.
  std::size_t body_offset() const { return body_offset_; }
  // The header octets as received, up to (not including) the empty line.
  std::size_t header_size() const { return header_size_; }
  // False when the text ended before the empty line (a header-only text).
  bool ended_with_empty_line() const { return ended_with_empty_line_; }
  // The fields that a message may carry at most once (RFC 5322 3.6,
  // RFC 2045, and SecureMail-Envelope).
  static bool is_singular(std::string_view name);

 private:
  void trim_values();

  std::vector<HeaderField> fields_;
  std::size_t body_offset_ = 0;
  std::size_t header_size_ = 0;
  bool ended_with_empty_line_ = false;
};

// The start of a message arriving in chunks, kept up to the end of its
// header block (at most max_size + 1 octets), so the header can be read
// strictly before the message is accepted without holding the body.
class HeaderCollector {
 public:
  explicit HeaderCollector(std::size_t max_size = HeaderBlock::kDefaultMaxSize) : max_size_(max_size) {}
  void append(std::string_view chunk);
  Result<HeaderBlock> parse() const { return HeaderBlock::parse(text_, max_size_); }

 private:
  std::string text_;
  std::size_t max_size_;
  bool complete_ = false;
};

bool iequals(std::string_view a, std::string_view b);

// RFC 5322 date-time in local time with numeric zone:
// "Tue, 4 Mar 2025 14:05:09 +0100".
std::string format_date(std::int64_t unix_seconds);

// Fold one complete field ("Name: value", no line end) so no line exceeds
// width columns where possible, by inserting CRLF before spaces (unfolding
// restores the text exactly); returns it with a final CRLF.
std::string fold(std::string_view field, std::size_t width = 78);

// What a Received: trace field records (RFC 5321 4.4).
struct ReceivedInfo {
  std::string helo;            // the client's EHLO/HELO argument
  std::string client_name;     // verified reverse DNS name, may be empty
  std::string client_address;  // peer IP, IPv4 or IPv6
  std::string by;              // our hostname
  std::string protocol = "ESMTP";  // SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, LMTP
  std::string tls;             // e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384", may be empty
  std::string queue_id;
  std::string recipient;       // only when the message has exactly one recipient
  std::int64_t when = 0;       // unix seconds
};

// "Received: from HELO (NAME [IP])\r\n\tby HOST (SecureMail) with ESMTPS id Q\r\n
//  \tfor <rcpt>; DATE\r\n", folded under 78 columns. Client-supplied text is
// sanitised (no control characters, no parentheses that would break the
// comment).
std::string received_header(const ReceivedInfo& info);

}  // namespace sm::mime
