// trust.cpp - chain validation against the authority's anchors and CRLs,
// each failure mapped to its own ChainStatus (see trust.h).
//
// OpenSSL's S/MIME-encrypt purpose demands keyEncipherment, which an EC
// certificate (keyAgreement, for ECDH key transport) never has; so for
// smime_encrypt the chain is built with no purpose and the leaf's usage is
// checked here by key type.
#include "pki/trust.h"

#include <openssl/pem.h>

#include <algorithm>
#include <limits>

#include "pki/certificate.h"
#include "pki/chain_cache.h"
#include "pki/detail.h"
#include "pki/key.h"

namespace sm::pki {

namespace {

Result<std::vector<ossl::X509CrlPtr>> read_crls(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) return std::unexpected(text.error());
  ossl::BioPtr bio = detail::mem_bio(*text);
  std::vector<ossl::X509CrlPtr> crls;
  while (ossl::X509CrlPtr crl{PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)})
    crls.push_back(std::move(crl));
  std::string why = ossl::openssl_error("empty file");
  if (crls.empty()) return local_error(file.string() + ": not a PEM CRL: " + why);
  return crls;
}

ChainStatus map_error(int err) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return ChainStatus::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return ChainStatus::not_yet_valid;
    case X509_V_ERR_CERT_REVOKED: return ChainStatus::revoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
      return ChainStatus::crl_unavailable;
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
    case X509_V_ERR_INVALID_CA:
      return ChainStatus::wrong_usage;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return ChainStatus::weak;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
      return ChainStatus::untrusted;
    default: return ChainStatus::invalid;
  }
}

int openssl_purpose(Purpose p) {
  switch (p) {
    case Purpose::smime_sign: return X509_PURPOSE_SMIME_SIGN;
    case Purpose::smime_encrypt: return X509_PURPOSE_ANY;  // leaf checked in encrypt_usage_error
    case Purpose::tls_server: return X509_PURPOSE_SSL_SERVER;
    case Purpose::tls_client: return X509_PURPOSE_SSL_CLIENT;
  }
  return X509_PURPOSE_ANY;
}

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Empty when the leaf may be used for S/MIME encryption: emailProtection
// (or no EKU) and keyEncipherment for RSA, keyAgreement for EC (or no KU).
std::string encrypt_usage_error(const X509* leaf) {
  CertificateInfo info = describe(leaf);
  X509* x = const_cast<X509*>(leaf);
  if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) && !has(info.extended_key_usage, "emailProtection"))
    return "extendedKeyUsage lacks emailProtection";
  if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE)) return {};
  bool ec = info.key_type.starts_with("ec-");
  const char* need = ec ? "keyAgreement" : "keyEncipherment";
  return has(info.key_usage, need) ? std::string() : std::string("keyUsage lacks ") + need;
}

bool crl_loaded_for(const TrustStore& trust, const X509* leaf) {
  for (const auto& crl : trust.crls())
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(leaf)) == 0) return true;
  return false;
}

// Is the certificate at `depth` of the built chain issued by one of the
// store's anchors?
bool issued_by_anchor(const TrustStore& trust, X509_STORE_CTX* ctx, int depth) {
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  if (chain == nullptr || depth < 0 || depth + 1 >= sk_X509_num(chain)) return false;
  const X509* issuer = sk_X509_value(chain, depth + 1);
  for (const auto& anchor : trust.anchors())
    if (X509_cmp(anchor.get(), issuer) == 0) return true;
  return false;
}

std::vector<std::string> chain_subjects(X509_STORE_CTX* ctx) {
  std::vector<std::string> out;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  for (int i = 0; chain && i < sk_X509_num(chain); ++i)
    out.push_back(describe(sk_X509_value(chain, i)).subject);
  return out;
}

// How long an "ok" answer holds: until the first certificate of the built
// chain expires or the first CRL of the store is due for renewal.
std::int64_t answer_holds_until(const TrustStore& trust, X509_STORE_CTX* ctx) {
  std::int64_t until = std::numeric_limits<std::int64_t>::max();
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
    auto t = detail::asn1_time_unix(X509_get0_notAfter(sk_X509_value(chain, i)));
    until = std::min(until, t.value_or(0));
  }
  for (const auto& crl : trust.crls())
    if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()))
      until = std::min(until, detail::asn1_time_unix(next).value_or(0));
  return until;
}

}  // namespace

std::string_view to_string(ChainStatus status) {
  switch (status) {
    case ChainStatus::ok: return "ok";
    case ChainStatus::untrusted: return "untrusted";
    case ChainStatus::expired: return "expired";
    case ChainStatus::not_yet_valid: return "not_yet_valid";
    case ChainStatus::revoked: return "revoked";
    case ChainStatus::crl_unavailable: return "crl_unavailable";
    case ChainStatus::wrong_usage: return "wrong_usage";
    case ChainStatus::weak: return "weak";
    case ChainStatus::invalid: break;
  }
  return "invalid";
}

Result<TrustStore> TrustStore::make(std::vector<ossl::X509Ptr> anchors, std::vector<ossl::X509CrlPtr> crls,
                                    TrustOptions options) {
  if (anchors.empty()) return local_error("no trust anchor (authority certificate) given");
  TrustStore t;
  t.store_.reset(X509_STORE_new());
  if (!t.store_) return local_error("cannot create trust store: " + ossl::openssl_error());
  for (const auto& a : anchors)
    if (!a || X509_STORE_add_cert(t.store_.get(), a.get()) != 1)
      return local_error("cannot add trust anchor: " + ossl::openssl_error("null certificate"));
  for (const auto& c : crls)
    if (!c || X509_STORE_add_crl(t.store_.get(), c.get()) != 1)
      return local_error("cannot add CRL: " + ossl::openssl_error("null CRL"));
  t.anchors_ = std::move(anchors);
  t.crls_ = std::move(crls);
  t.options_ = options;
  t.chain_cache_ = std::make_shared<ChainCache>();
  return t;
}

Result<TrustStore> TrustStore::load(const std::filesystem::path& anchors_pem,
                                    const std::filesystem::path& crl_pem, TrustOptions options) {
  auto anchors = read_certificates(anchors_pem);
  if (!anchors) return std::unexpected(anchors.error());
  std::vector<ossl::X509CrlPtr> crls;
  if (!crl_pem.empty() && std::filesystem::exists(crl_pem)) {
    auto read = read_crls(crl_pem);
    if (!read) return std::unexpected(read.error());
    crls = std::move(*read);
  }
  return make(std::move(*anchors), std::move(crls), options);
}

// OpenSSL's security level for certificate chains (see verify_chain).
constexpr int kMinimumSecurityLevel = 2;

ChainResult verify_chain(const TrustStore& trust, X509* leaf, STACK_OF(X509)* intermediates,
                         Purpose purpose, std::int64_t at_time) {
  ChainResult result;
  ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (leaf == nullptr || trust.get() == nullptr) {
    result.detail = "no certificate or no trust store";
    return result;
  }
  if (!ctx || X509_STORE_CTX_init(ctx.get(), trust.get(), leaf, intermediates) != 1 ||
      X509_STORE_CTX_set_purpose(ctx.get(), openssl_purpose(purpose)) != 1) {
    result.detail = ossl::openssl_error("cannot set up chain verification");
    return result;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  unsigned long flags = X509_V_FLAG_X509_STRICT;
  // With require_crl every certificate below the anchor needs its issuer's
  // current CRL (CRL_CHECK_ALL): a subordinate CA the authority revoked
  // fails, and so does a leaf whose subordinate publishes no CRL. The
  // anchor's own CRL covers a leaf it issued directly and the anchor itself.
  if (trust.options().require_crl)
    flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
  else if (crl_loaded_for(trust, leaf))
    flags |= X509_V_FLAG_CRL_CHECK;
  X509_VERIFY_PARAM_set_flags(param, flags);
  // Security level 2 (112 bits, NIST SP 800-57): no RSA or DSA key under
  // 2048 bits, no EC key under 224, no SHA-1 or MD5 certificate signature,
  // anywhere in the chain, whatever signed it. Our authority issues none,
  // but a chain is judged by what it is, not by who is expected to issue it.
  X509_VERIFY_PARAM_set_auth_level(param, kMinimumSecurityLevel);
  if (at_time != 0) X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at_time));

  int rc = X509_verify_cert(ctx.get());
  result.chain = chain_subjects(ctx.get());
  if (rc != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    result.status = map_error(err);
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    result.detail = std::string(X509_verify_cert_error_string(err)) + " at depth " + std::to_string(depth);
    // Only an anchor's CRL ever reaches a gateway (the directory feed carries
    // the authority's). Missing or stale, it is ours to fetch again: the
    // status stays crl_unavailable and mail is deferred. The CRL of any other
    // issuer (a subordinate CA) never comes, so its certificates' status
    // cannot be known, now or later (RFC 5280 6.3.3): not trusted.
    if (result.status == ChainStatus::crl_unavailable && !issued_by_anchor(trust, ctx.get(), depth)) {
      result.status = ChainStatus::untrusted;
      result.detail += ": its issuer is not an authority this gateway trusts, and no CRL of it reaches here";
    }
    ossl::openssl_error();  // leave the thread's queue clean
    return result;
  }
  // A CA certificate is never a gateway's own certificate, whatever its usage bits.
  if (X509_get_extension_flags(leaf) & EXFLAG_CA) {
    result.status = ChainStatus::wrong_usage;
    result.detail = "certificate is a CA (basicConstraints CA:TRUE), not an end entity";
    return result;
  }
  if (purpose == Purpose::smime_encrypt) {
    if (std::string why = encrypt_usage_error(leaf); !why.empty()) {
      result.status = ChainStatus::wrong_usage;
      result.detail = "not usable for S/MIME encryption: " + why;
      return result;
    }
  }
  result.status = ChainStatus::ok;
  result.detail = "ok";
  result.valid_until = answer_holds_until(trust, ctx.get());
  return result;
}

}  // namespace sm::pki
