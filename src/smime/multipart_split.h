// multipart_split.h - finding the two parts of a multipart/signed entity
// (RFC 1847, boundaries per RFC 2046) by streaming over it, so a signed
// message of any size is split without holding it.
//
// Strict where readers could disagree: a line that starts with the
// boundary must be a delimiter ("--" boundary, optional "--", optional
// white space, line end); exactly two parts and a closing delimiter;
// boundaries of 1 to 70 characters. The octets of a part are what
// OpenSSL's S/MIME reader gives for the same entity: from after the
// delimiter line to before the line end that precedes the next delimiter
// (CRLF in a CRLF entity; LF in one whose structure uses bare LF, as
// `openssl cms -sign` writes without -crlfeol).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mime/header.h"
#include "smime/source.h"
#include "util/error.h"

namespace sm::smime::detail {

struct PartRange {
  std::uint64_t begin = 0, end = 0;  // offsets in the entity
};

struct SignedParts {
  PartRange content;    // part 1: the signed content
  PartRange signature;  // part 2: the application/pkcs7-signature entity
  std::string malformed;  // not empty: why the entity cannot be split
};

// The boundary parameter of a Content-Type field; nullopt when absent.
std::optional<std::string> boundary_parameter(std::string_view content_type);

// Split `entity` (its header block parsed as `header`). `crlf`: the
// structure's lines end in CRLF (else bare LF). Errors only for I/O.
Result<SignedParts> split_multipart_signed(const MessageSource& entity, const mime::HeaderBlock& header, bool crlf);

}  // namespace sm::smime::detail
