// command.h - the SMTP command grammar (RFC 5321 4.1, RFC 1870 SIZE,
// RFC 6152 8BITMIME, RFC 3461 DSN parameters, RFC 3030 BDAT and
// BODY=BINARYMIME) as a pure parser.
//
// parse_command() turns one command line (without its CRLF) into a Command
// or an Error carrying the reply to send. No I/O, no session state: whether
// a command is allowed *now* (sequence, EHLO vs HELO, limits) is the
// session's business; whether the syntax is right is decided here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mail/envelope.h"
#include "util/error.h"

namespace sm::smtp {

enum class Verb { ehlo, helo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, help, starttls, auth };

enum class Body { unspecified, seven_bit, eight_bit_mime, binary_mime };

// RFC 5321 4.5.3.1 size limits.
inline constexpr std::size_t kMaxLocalPart = 64;
inline constexpr std::size_t kMaxDomain = 255;
inline constexpr std::size_t kMaxPath = 256;   // including "<" ">" and any source route

struct Command {
  Verb verb = Verb::noop;
  std::string argument;  // EHLO/HELO domain, VRFY/HELP/NOOP text, AUTH mechanism (upper case)
  std::optional<std::string> initial_response;  // AUTH: the base64 initial response as sent ("=" for empty)
  std::string address;   // MAIL/RCPT mailbox without <>, source route stripped; "" = null sender
  bool has_params = false;  // any ESMTP parameter given (needs EHLO)
  // MAIL parameters
  std::optional<std::uint64_t> size;  // SIZE=; UINT64_MAX when the digits overflow
  Body body = Body::unspecified;
  mail::Ret ret = mail::Ret::unspecified;
  std::optional<std::string> envid;   // xtext decoded
  // RCPT parameters
  unsigned notify = 0;                // mail::Notify bits, 0 = not given
  std::optional<std::string> orcpt;   // "addr-type;" + xtext-decoded address
  // BDAT chunk-size [LAST] (RFC 3030 2)
  std::uint64_t chunk_size = 0;
  bool last_chunk = false;
};

// Parse one command line (CRLF already removed).
// Errors: 500 5.5.2 syntax/garbage, 502 5.5.1 unknown command,
// 501 5.5.4 bad arguments (for BDAT: a chunk size that is not 1*DIGIT
// within 64 bits, or an end marker other than LAST), 501 5.1.7 / 5.1.3 bad sender / recipient
// address, 553 5.6.7 non-ASCII address, 555 5.5.4 unknown or misplaced
// parameter; AUTH without a mechanism or with more than an initial
// response: 501 5.5.4.
Result<Command> parse_command(std::string_view line);

// Parse an RFC 5321 Path ("<...>", optionally with a source route, which
// is dropped) and return the mailbox. allow_null accepts "<>" (-> "").
// allow_postmaster accepts "<Postmaster>" without a domain (RCPT only).
// On error the returned Error uses `enhanced` for address syntax faults.
Result<std::string> parse_path(std::string_view path, bool allow_null, bool allow_postmaster,
                               std::string_view enhanced);

// True if s is an RFC 5321 Domain (dot-separated LDH labels) or an
// address literal ("[1.2.3.4]", "[IPv6:...]", "[tag:content]").
bool valid_domain_or_literal(std::string_view s);

}  // namespace sm::smtp
