// content.h - the test content of securemail-test/1 (issue 17): what a
// certification run asks a target to send (a trigger's "content") and
// what it sends the target, made the same way on both sides from a seed
// so either end can check the other's digest.
//
// The octet stream is SHA-256 in counter mode: block i = SHA-256(seed ||
// uint64be(i)), the seed being 16 octets given as 32 hex digits. Kinds:
//   binary  the stream cut to `octets`; sent as application/octet-stream,
//           base64 (RFC 2045 6.8)
//   text    ASCII lines from a fixed table, the stream choosing each line;
//           text/plain; charset=us-ascii, 7bit
//   utf8    the same with lines of non-ASCII UTF-8 text; charset=utf-8,
//           8bit (RFC 6152)
//   empty   no content at all (octets must be 0)
// Text content has CRLF line ends and is exactly `octets` long (at least
// 2): the last line is ASCII filler cut to fit. The digest is SHA-256 of
// the content octets, lower-case hex: for a message, of the decoded body
// of its single part (base64 and quoted-printable decoded; other bodies
// with line ends made CRLF, the MIME canonical form of text).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace sm::certify {

enum class ContentKind { text, utf8, binary, empty };
inline constexpr std::size_t kMaxContentOctets = 25 * 1024 * 1024;  // 25 MiB

struct ContentSpec {
  ContentKind kind = ContentKind::text;
  std::size_t octets = 2048;
  std::string seed;  // 32 lower-case hex digits
};

std::string_view to_string(ContentKind kind);
std::optional<ContentKind> content_kind(std::string_view name);

// Empty when the spec can be made; else what is wrong with it (octets over
// 25 MiB, text under 2, empty with octets, a seed that is not 32 hex).
std::string check_content(const ContentSpec& spec);

// A fresh random seed.
std::string new_seed();

// The content octets (check_content must have passed).
std::string generate_content(const ContentSpec& spec);

// The content as the body of a message: the MIME fields (each ending in
// CRLF) and the body after the empty line.
struct ContentEntity {
  std::string fields, body;
  bool eight_bit = false;  // the body has octets over 127 (8BITMIME)
};
ContentEntity content_entity(const ContentSpec& spec);

// SHA-256 of octets, lower-case hex.
std::string content_sha256(std::string_view octets);

// The digest of the content of a single-part message (CRLF or LF line
// ends). Errors 554 5.6.0: a multipart body, an undecodable transfer
// encoding.
Result<std::string> message_content_digest(std::string_view message);

}  // namespace sm::certify
