// receipt.h - ESS signed receipts (RFC 2634 sections 2 and 5) on OpenSSL's
// CMS: asking for one when signing, reading the request out of a message
// we open, signing the receipt, and checking a receipt against what we
// kept when we asked. Also the small CMS envelope the evidence store uses
// to keep files encrypted to our own certificate.
//
// What each side keeps:
//   sender: SignedRecord::signed_data, the SignedData of the message it
//     sealed with the content left out (a few KB: signer info, signed
//     attributes, signature, certificates). With the receipt it is all
//     verify_receipt needs (msgSigDigest is the digest of its signed
//     attributes, originatorSignatureValue its signature).
//   receiver: Verdict::receipt_request and Verdict::signed_data, the same
//     detached form of the SignedData it verified; sign_receipt takes it
//     once the message has been handed over.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pki/trust.h"
#include "smime/engine.h"
#include "smime/receipt_request.h"
#include "smime/verdict.h"
#include "util/error.h"

namespace sm::smime {

// Sign a receipt for a message we verified: `original` is the detached
// SignedData (Verdict::signed_data) holding a ReceiptRequest. The result is
// a DER ContentInfo: SignedData, eContentType id-ct-receipt, content the
// Receipt (version 1, contentType, signedContentIdentifier,
// originatorSignatureValue), signed attributes contentType, signingTime,
// messageDigest and msgSigDigest, our certificate and chain included.
// `openssl cms -verify_receipt` accepts it. Error 451 4.3.0 for local
// trouble, 554 5.6.0 when `original` holds no request or does not parse.
Result<std::string> sign_receipt(std::string_view original, const Identity& signer);

// What checking a receipt found. reason none: it is a good receipt for
// `original`; otherwise the first thing wrong (malformed, bad_signature for
// a signature or msgSigDigest or identifier that does not match, the
// signer_* reasons from the chain, signer_not_member).
struct ReceiptCheck {
  Reason reason = Reason::malformed;
  std::string detail;
  std::string content_identifier;
  std::int64_t signing_time = 0;   // unix seconds; 0 when absent
  std::string signer_subject;
  std::string signer_fingerprint;  // sha256 hex
  std::vector<std::string> signer_domains;
  bool ok() const { return reason == Reason::none; }
};

struct ReceiptOptions {
  const pki::TrustStore* trust = nullptr;  // required
  // When not empty, the receipt's signer must be one of these certificates
  // (sha256 hex): the member that owns the recipient's domain.
  std::vector<std::string> allowed_signer_fingerprints;
  std::int64_t at_time = 0;  // 0: now
};

// receipt: DER ContentInfo (as sign_receipt writes, or base64 of it in an
// application/pkcs7-mime part after decoding). Errors only for local
// trouble; a bad receipt is a ReceiptCheck with its reason.
Result<ReceiptCheck> verify_receipt(std::string_view receipt, std::string_view original,
                                    const ReceiptOptions& options);

// The signedContentIdentifier inside a receipt, read without checking
// anything: only to find which original to verify it against. 554 5.6.0
// when it is not a receipt.
Result<std::string> receipt_content_identifier(std::string_view receipt);

// Evidence at rest: `plain` encrypted to `recipients` (AES-256-GCM
// AuthEnvelopedData, DER, no MIME), and back with any of `keys`.
Result<std::string> encrypt_blob(std::string_view plain, std::span<const Recipient> recipients);
Result<std::string> decrypt_blob(std::string_view der, std::span<const Identity> keys);

}  // namespace sm::smime
