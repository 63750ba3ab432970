// signer_chain.cpp - validating the signer's certificate chain with
// pki::verify_chain (purpose S/MIME signing), each failure its own reason.
//
// OpenOptions carries the X509_STORE of a pki::TrustStore (that is what
// callers hold); verify_chain wants the TrustStore with its options, so one
// is rebuilt here from the store's anchors and CRLs (a handful of
// reference-counted objects) with options.require_crl.
#include "pki/trust.h"
#include "smime/checks.h"
#include "smime/signature.h"

namespace sm::smime::detail {
namespace {

struct StoreContents {
  std::vector<ossl::X509Ptr> anchors;
  std::vector<ossl::X509CrlPtr> crls;
};

StoreContents contents_of(X509_STORE* store) {
  StoreContents out;
  X509_STORE_lock(store);
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509_OBJECT* o = sk_X509_OBJECT_value(objects, i);
    if (X509* x = X509_OBJECT_get0_X509(o); x != nullptr && X509_up_ref(x) == 1)
      out.anchors.emplace_back(x);
    else if (X509_CRL* c = X509_OBJECT_get0_X509_CRL(o); c != nullptr && X509_CRL_up_ref(c) == 1)
      out.crls.emplace_back(c);
  }
  X509_STORE_unlock(store);
  return out;
}

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
  StoreContents trust = contents_of(options.trust);
  bool crl_loaded = !trust.crls.empty();
  auto store = pki::TrustStore::make(std::move(trust.anchors), std::move(trust.crls),
                                     pki::TrustOptions{.require_crl = options.require_crl});
  if (!store) {
    v.revocation = "not checked";
    note_failure(v, Reason::untrusted_signer, "no usable trust anchors: " + store.error().text);
    return;
  }
  ossl::X509StackPtr certs(CMS_get1_certs(message.cms.get()));  // intermediates (and the leaf)
  pki::ChainResult result =
      pki::verify_chain(*store, signer, certs.get(), pki::Purpose::smime_sign, options.at_time);
  v.chain = result.chain;
  v.revocation = revocation_text(result.status, crl_loaded);
  if (!result.ok())
    note_failure(v, reason_of(result.status),
                 std::string(pki::to_string(result.status)) + ": " + result.detail);
}

}  // namespace sm::smime::detail
