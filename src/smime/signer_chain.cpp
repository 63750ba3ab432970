// signer_chain.cpp - validating the signer's certificate chain with
// pki::verify_chain (purpose S/MIME signing), each failure its own reason.
// A check "now" goes through the trust store's chain cache, so a member's
// chain is verified once per CRL version rather than once per message.
#include "pki/chain_cache.h"
#include "pki/trust.h"
#include "smime/checks.h"
#include "smime/signature.h"

namespace sm::smime::detail {
namespace {

Reason reason_of(pki::ChainStatus status) {
  switch (status) {
    case pki::ChainStatus::ok: return Reason::none;
    case pki::ChainStatus::expired: return Reason::signer_expired;
    case pki::ChainStatus::not_yet_valid: return Reason::signer_not_yet_valid;
    case pki::ChainStatus::revoked: return Reason::signer_revoked;
    case pki::ChainStatus::crl_unavailable: return Reason::revocation_unknown;
    case pki::ChainStatus::wrong_usage: return Reason::signer_wrong_usage;
    case pki::ChainStatus::weak: return Reason::signer_weak_key;
    case pki::ChainStatus::untrusted:
    case pki::ChainStatus::invalid: return Reason::untrusted_signer;
  }
  return Reason::untrusted_signer;
}

std::string revocation_text(pki::ChainStatus status, bool crl_loaded) {
  switch (status) {
    case pki::ChainStatus::ok: return crl_loaded ? "good (CRL checked)" : "not checked (no CRL)";
    case pki::ChainStatus::revoked: return "revoked";
    case pki::ChainStatus::crl_unavailable: return "unknown (no current CRL)";
    default: return "not checked";
  }
}

}  // namespace

ChainCheck check_chain(CMS_ContentInfo* cms, X509* signer, const pki::TrustStore& store, std::int64_t at_time) {
  ChainCheck check;
  if (signer == nullptr) {
    check.reason = Reason::untrusted_signer;
    check.detail = "the signer's certificate is not in the message";
    check.revocation = "not checked";
    return check;
  }
  bool crl_loaded = !store.crls().empty();
  ossl::X509StackPtr certs(CMS_get1_certs(cms));  // intermediates (and the leaf)
  pki::ChainResult result =
      at_time == 0 ? store.chain_cache().verify(store, signer, certs.get(), pki::Purpose::smime_sign)
                   : pki::verify_chain(store, signer, certs.get(), pki::Purpose::smime_sign, at_time);
  check.chain = result.chain;
  check.revocation = revocation_text(result.status, crl_loaded);
  check.reason = reason_of(result.status);
  if (!result.ok()) check.detail = std::string(pki::to_string(result.status)) + ": " + result.detail;
  return check;
}

void check_signer_chain(SignedMessage& message, X509* signer, const OpenOptions& options, Verdict& v) {
  ChainCheck check = check_chain(message.cms.get(), signer, *options.trust, options.at_time);
  v.chain = std::move(check.chain);
  v.revocation = std::move(check.revocation);
  if (check.reason != Reason::none) note_failure(v, check.reason, std::move(check.detail));
}

}  // namespace sm::smime::detail
