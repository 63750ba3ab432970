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

void check_signer_chain(SignedMessage& message, X509* signer, const OpenOptions& options, Verdict& v) {
  if (signer == nullptr) {
    v.revocation = "not checked";
    note_failure(v, Reason::untrusted_signer, "the signer's certificate is not in the message");
    return;
  }
  const pki::TrustStore& store = *options.trust;
  bool crl_loaded = !store.crls().empty();
  ossl::X509StackPtr certs(CMS_get1_certs(message.cms.get()));  // intermediates (and the leaf)
  pki::ChainResult result =
      options.at_time == 0
          ? store.chain_cache().verify(store, signer, certs.get(), pki::Purpose::smime_sign)
          : pki::verify_chain(store, signer, certs.get(), pki::Purpose::smime_sign, options.at_time);
  v.chain = result.chain;
  v.revocation = revocation_text(result.status, crl_loaded);
  if (!result.ok())
    note_failure(v, reason_of(result.status),
                 std::string(pki::to_string(result.status)) + ": " + result.detail);
}

}  // namespace sm::smime::detail
