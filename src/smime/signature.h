// signature.h - the signature layer of open(): the SignedData and the
// content it signs, checking the signature, and validating the signer's
// certificate chain against the authority.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl.h"
#include "smime/engine.h"
#include "smime/source.h"
#include "smime/verdict.h"

namespace sm::smime::detail {

struct SignedMessage {
  ossl::CmsPtr cms;        // SignedData, its content detached
  // The signed content, streamed (never held): the first part of a
  // multipart/signed, or the encapsulated content of an opaque SignedData
  // (copied out to open()'s scratch file).
  MessageSource content;
  bool opaque = false;
};

// Check the signature over the content (bad_signature), fill the signature
// fields of `v`, and return the signer's certificate (owned by the CMS) or
// null when it is not in the message.
X509* check_signature(SignedMessage& message, Verdict& v);

// The signingTime signed attribute, unix seconds; 0 when absent.
std::int64_t signing_time_of(CMS_SignerInfo* si);

// Validate `signer`'s chain (intermediates from `cms`) for S/MIME signing
// at `at_time` (0: now, through the trust store's chain cache): reason
// none, or untrusted_signer, signer_expired, ..., revocation_unknown.
struct ChainCheck {
  Reason reason = Reason::none;
  std::string detail;
  std::vector<std::string> chain;  // subjects, leaf first
  std::string revocation;          // as Verdict::revocation
};
ChainCheck check_chain(CMS_ContentInfo* cms, X509* signer, const pki::TrustStore& trust, std::int64_t at_time);

// Validate the signer's chain for S/MIME signing at options.at_time
// (untrusted_signer, signer_expired, ..., revocation_unknown) and fill
// v.chain and v.revocation.
void check_signer_chain(SignedMessage& message, X509* signer, const OpenOptions& options, Verdict& v);

}  // namespace sm::smime::detail
