// header_protection.h - the checks on the signed message itself: its From:
// (exactly one address), that the signer's certificate names the sending
// domain and is the member's, and that the visible (outer) From, To,
// Subject and Date are the signed ones (RFC 9788-style header protection).
#pragma once

#include "mime/header.h"
#include "smime/engine.h"
#include "smime/verdict.h"

namespace sm::smime::detail {

// Fills v.from, v.from_domain, v.content_type and v.mismatched_headers;
// notes from_invalid, signer_domain_mismatch, signer_not_member or
// header_mismatch. `signer` may be null (signature already failed).
void check_sender(const mime::HeaderBlock& signed_header, const mime::HeaderBlock& outer_header,
                  const X509* signer, const OpenOptions& options, Verdict& v);

// The header fields compared, in the order they are reported.
std::vector<std::string> mismatched_headers(const mime::HeaderBlock& signed_header,
                                            const mime::HeaderBlock& outer_header);

}  // namespace sm::smime::detail
