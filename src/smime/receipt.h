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
//
// Both kept forms are the same DER for one message, so either side can
// check a receipt. The crypto is OpenSSL's (CMS_sign_receipt,
// CMS_verify_receipt); the receipt signer's chain is checked like a
// message signer's (signature.h check_chain: CRL, purpose, validity).
// Identifiers: ours are new_content_identifier()'s 64 hex characters, put
// into the request as those octets; a foreign request's identifier (e.g.
// `openssl cms -receipt_request_*`: 32 random octets) is reported raw.
//
// Checking with the openssl command line (what the evidence README says):
//   openssl cms -verify_receipt RECEIPT.der -rctform DER -in ORIGINAL_SIGNED.eml -CAfile CA.pem
// where ORIGINAL_SIGNED.eml is the signed entity (SealOptions::signed_copy,
// OpenOptions::signed_out, or sign()'s output) - tested in
// smime_receipt_interop_test.
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

// receipt: DER ContentInfo (as sign_receipt writes; the caller decodes
// the base64 of an application/pkcs7-mime part). Order of checks: both
// parse (malformed), the receipt's signature and its match with `original`
// (bad_signature; untrusted_signer when its certificate is missing), the
// chain at options.at_time (signer_* / untrusted_signer), membership
// (signer_not_member). Errors only for local trouble; a bad receipt is a
// ReceiptCheck with its reason. Replay (a receipt seen before) is the
// ledger's to refuse, not this function's.
Result<ReceiptCheck> verify_receipt(std::string_view receipt, std::string_view original,
                                    const ReceiptOptions& options);

// The signedContentIdentifier inside a receipt, read without checking
// anything: only to find which original to verify it against. 554 5.6.0
// when it is not a receipt.
Result<std::string> receipt_content_identifier(std::string_view receipt);

// Evidence at rest: `plain` encrypted to `recipients` (AES-256-GCM
// AuthEnvelopedData, DER, no MIME; in memory, up to 1 GiB), and back with
// any of `keys`. decrypt_blob: 554 5.6.0 when `der` is not such a blob,
// 554 5.7.0 when none of the keys opens it or it was altered.
Result<std::string> encrypt_blob(std::string_view plain, std::span<const Recipient> recipients);
Result<std::string> decrypt_blob(std::string_view der, std::span<const Identity> keys);

}  // namespace sm::smime
