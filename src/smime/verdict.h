// verdict.h - what opening or verifying one message found: a single reason
// (none = verified) plus every fact a log line, an Authentication-Results
// header or `securemail smime open` needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smime/receipt_request.h"

namespace sm::smime {

enum class Reason {
  none,                    // verified: decrypted, signature good, chain good, signer owns the domain, headers match
  not_smime,               // no S/MIME structure at all (plain mail)
  malformed,               // S/MIME content type, but the CMS or MIME inside cannot be parsed
  too_large,               // over OpenOptions::max_size
  not_encrypted,           // signed only, but encryption is required
  cbc_not_allowed,         // EnvelopedData (AES-CBC) when only AuthEnvelopedData is accepted
  not_for_us,              // no RecipientInfo for any key we hold
  decrypt_failed,          // a RecipientInfo is ours, but key unwrap, padding or the GCM tag failed
  unsigned_content,        // decrypted, but the content carries no signature (stripped)
  bad_signature,           // the signature does not match the content (altered) or is malformed
  untrusted_signer,        // the signer's chain does not lead to the authority
  signer_expired,
  signer_not_yet_valid,
  signer_revoked,
  revocation_unknown,      // CRL required but missing or out of date
  signer_wrong_usage,      // keyUsage / extendedKeyUsage do not allow S/MIME signing
  signer_weak_key,         // a key or signature in the signer's chain under 112 bits (security level 2)
  signer_domain_mismatch,  // the signer's certificate does not name the From:/expected domain
  signer_not_member,       // not one of OpenOptions::allowed_signer_fingerprints
  from_invalid,            // the signed From: is missing or holds other than exactly one address
  header_mismatch,         // protected From/To/Subject/Date differ from the outer ones
};
// Kebab-case name, e.g. "bad-signature", "signer-domain-mismatch"; "pass" for none.
std::string_view to_string(Reason reason);
// One sentence for people: "the signature does not match the content".
std::string_view describe(Reason reason);

struct Verdict {
  Reason reason = Reason::not_smime;
  std::string detail;  // specifics: the OpenSSL error, which header differs, ...

  // Encryption layer
  bool encrypted = false;
  std::string content_encryption;  // "aes-256-gcm", "aes-256-cbc", ...
  bool authenticated_encryption = false;
  std::string key_management;      // "rsa-oaep", "rsa-pkcs1", "ecdh"
  std::string decrypted_with;      // Identity::id of the key that opened it

  // Signature layer
  bool signed_content = false;
  std::string signature_form;      // "detached" or "opaque"
  std::string digest;              // "sha256", ...
  std::string signer_subject;
  std::string signer_fingerprint;  // sha256 hex
  std::vector<std::string> signer_domains;  // SAN dNSNames
  std::string signer_email;        // SAN rfc822Name
  std::vector<std::string> chain;  // subjects, leaf first
  std::string revocation;          // "good (CRL checked)", "revoked", "not checked", ...
  std::int64_t signing_time = 0;   // signed attribute, unix seconds; 0 when absent
  // The signer asked for a signed receipt (RFC 2634 ReceiptRequest in the
  // signed attributes); only reported when the verdict is pass. A request
  // that cannot be used (undecodable, no identifier, no address) is not
  // reported, the verdict stays pass and `detail` says why.
  std::optional<ReceiptRequest> receipt_request;
  // With receipt_request: the SignedData that was verified, DER, content
  // left out - what sign_receipt needs once the message is handed over.
  std::string signed_data;

  // Content
  std::string from;                // the signed From: address (addr-spec)
  std::string from_domain;
  std::string content_type;        // of the restored inner message
  std::vector<std::string> mismatched_headers;  // names, e.g. "Subject"

  bool released = false;           // the inner message was written to the output

  bool verified() const { return reason == Reason::none; }
};

}  // namespace sm::smime
