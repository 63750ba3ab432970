// verdict.cpp - names and one-line descriptions of verdict reasons, as
// logs, Authentication-Results comments and the CLI show them.
#include "smime/verdict.h"

namespace sm::smime {
namespace {

struct ReasonText {
  std::string_view name;
  std::string_view sentence;
};

ReasonText text_of(Reason reason) {
  switch (reason) {
    case Reason::none: return {"pass", "decrypted and verified: the signer owns the sending domain"};
    case Reason::not_smime: return {"not-smime", "the message is not S/MIME"};
    case Reason::malformed: return {"malformed", "the S/MIME structure cannot be parsed"};
    case Reason::too_large: return {"too-large", "the message is larger than allowed"};
    case Reason::not_encrypted: return {"not-encrypted", "the message is signed but not encrypted"};
    case Reason::cbc_not_allowed: return {"cbc-not-allowed", "AES-CBC (EnvelopedData) is not accepted, only authenticated encryption"};
    case Reason::not_for_us: return {"not-for-us", "the message is not encrypted to any key we hold"};
    case Reason::decrypt_failed: return {"decrypt-failed", "decryption or its integrity check failed"};
    case Reason::unsigned_content: return {"unsigned-content", "the decrypted content carries no signature"};
    case Reason::bad_signature: return {"bad-signature", "the signature does not match the content"};
    case Reason::untrusted_signer: return {"untrusted-signer", "the signer's certificate does not lead to the authority"};
    case Reason::signer_expired: return {"signer-expired", "the signer's certificate has expired"};
    case Reason::signer_not_yet_valid: return {"signer-not-yet-valid", "the signer's certificate is not yet valid"};
    case Reason::signer_revoked: return {"signer-revoked", "the signer's certificate is revoked"};
    case Reason::revocation_unknown: return {"revocation-unknown", "no current revocation list to check the signer against"};
    case Reason::signer_wrong_usage: return {"signer-wrong-usage", "the signer's certificate does not allow S/MIME signing"};
    case Reason::signer_weak_key: return {"signer-weak-key", "the signer's certificate has a key or signature too weak (under 112 bits)"};
    case Reason::signer_domain_mismatch: return {"signer-domain-mismatch", "the signer's certificate does not name the sending domain"};
    case Reason::signer_not_member: return {"signer-not-member", "the signer's certificate is not the one the directory lists"};
    case Reason::from_invalid: return {"from-invalid", "the signed From: does not hold exactly one address"};
    case Reason::header_mismatch: return {"header-mismatch", "the visible header differs from the signed one"};
  }
  return {"unknown", "unknown reason"};
}

}  // namespace

std::string_view to_string(Reason reason) { return text_of(reason).name; }
std::string_view describe(Reason reason) { return text_of(reason).sentence; }

}  // namespace sm::smime
