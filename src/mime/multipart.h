// multipart.h - the body parts of a multipart entity held in memory (RFC
// 2046 5.1), for the small messages the gateway reads itself (a signed
// receipt message). Large or streamed entities go through
// smime/multipart_split.h instead.
//
// Strict: a line starting with "--" boundary must be a delimiter
// (optionally followed by "--" and white space); the preamble is skipped;
// a closing delimiter is required; at most kMaxParts parts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header.h"
#include "util/error.h"

namespace sm::mime {

struct BodyPart {
  HeaderBlock header;
  std::string body;  // the octets after the part's header, without the line end before the next delimiter
};

inline constexpr std::size_t kMaxParts = 32;

// Split `body` (the entity's body, after its header) at `boundary` (the
// Content-Type parameter's value). Errors 554 5.6.0 naming what is wrong.
Result<std::vector<BodyPart>> split_multipart(std::string_view body, std::string_view boundary);

// The octets of a base64 body part (RFC 2045 6.8): line ends and white
// space between the lines are skipped; anything else that is not strict
// padded base64 is an error (554 5.6.0): a damaged part is never half-read.
Result<std::string> decode_base64_body(std::string_view body);

// The media type of a Content-Type value, lower-case, without parameters:
// "Application/PKCS7-mime; smime-type=x" -> "application/pkcs7-mime".
std::string media_type(std::string_view content_type);

// A parameter of a Content-Type value (unquoted; the name matched without
// regard to case); nullopt when absent or its quoted-string is unterminated.
std::optional<std::string> content_type_parameter(std::string_view content_type, std::string_view name);

}  // namespace sm::mime
