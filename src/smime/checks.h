// checks.h - shared by the steps of open(): recording the first failure in
// a verdict (later checks still run to fill in facts, but never override
// it), and reading a MIME entity's media type.
#pragma once

#include <string>
#include <string_view>

#include "mime/header.h"
#include "smime/verdict.h"

namespace sm::smime::detail {

// Set the reason unless an earlier check already failed.
inline void note_failure(Verdict& v, Reason reason, std::string detail) {
  if (v.reason != Reason::none) return;
  v.reason = reason;
  v.detail = std::move(detail);
}

// "type/subtype" of the Content-Type field, lower-case, without parameters;
// "text/plain" when absent (RFC 2045 5.2).
std::string media_type(const mime::HeaderBlock& header);

// Flags for SMIME_read_CMS_ex that keep a multipart/signed first part byte
// for byte: CMS_BINARY, plus SMIME_CRLFEOL unless the entity's MIME
// structure uses bare LF (what `openssl cms -sign` writes without
// -crlfeol; the signed part itself is canonical CRLF either way). `text`
// is the start of the entity that `header` was parsed from.
int smime_read_flags(std::string_view text, const mime::HeaderBlock& header);

// Two certificate fingerprints are the same (hex, any case, colons or not).
bool same_fingerprint(std::string_view a, std::string_view b);

enum class SmimeForm { none, pkcs7_mime, multipart_signed };
// What the header says the entity is.
SmimeForm smime_form(const mime::HeaderBlock& header);
// application/pkcs7-mime with Content-Transfer-Encoding: binary (RFC 3030
// BINARYMIME between gateways): the body is the CMS structure in DER.
bool binary_body(const mime::HeaderBlock& outer);

}  // namespace sm::smime::detail
