// receipt.cpp - signing and checking ESS signed receipts (see receipt.h),
// with OpenSSL's CMS_sign_receipt and CMS_verify_receipt doing the crypto
// (msgSigDigest, the receipt's own signature, the identifier and
// originatorSignatureValue comparison). The signer's chain and membership
// are checked the same way open() checks a message's signer
// (signature.h's check_chain, checks.h's same_fingerprint).
#include "smime/receipt.h"

#include <openssl/err.h>

#include "pki/certificate.h"
#include "smime/checks.h"
#include "smime/ess.h"
#include "smime/signature.h"

namespace sm::smime {
namespace {

constexpr std::string_view kNotAReceipt = "not a signed receipt (CMS SignedData of id-ct-receipt)";

CMS_SignerInfo* first_signer(CMS_ContentInfo* cms) {
  return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
}

bool is_signed_data(CMS_ContentInfo* cms) {
  return cms != nullptr && OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed && first_signer(cms) != nullptr;
}

// The signedContentIdentifier of the Receipt (RFC 2634 2.8) carried in
// `rcms`: SEQUENCE { version INTEGER, contentType OID,
// signedContentIdentifier OCTET STRING, originatorSignatureValue OCTET
// STRING }. nullopt when `rcms` holds no such Receipt.
std::optional<std::string> receipt_identifier(CMS_ContentInfo* rcms) {
  if (rcms == nullptr || OBJ_obj2nid(CMS_get0_type(rcms)) != NID_pkcs7_signed ||
      OBJ_obj2nid(CMS_get0_eContentType(rcms)) != NID_id_smime_ct_receipt)
    return std::nullopt;
  ASN1_OCTET_STRING** content = CMS_get0_content(rcms);
  if (content == nullptr || *content == nullptr) return std::nullopt;
  const unsigned char* p = ASN1_STRING_get0_data(*content);
  long n = ASN1_STRING_length(*content);
  const unsigned char* end = p + n;
  ossl::Asn1SequencePtr fields(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, n));
  if (!fields || p != end || sk_ASN1_TYPE_num(fields.get()) != 4) return std::nullopt;
  constexpr int kTypes[4] = {V_ASN1_INTEGER, V_ASN1_OBJECT, V_ASN1_OCTET_STRING, V_ASN1_OCTET_STRING};
  for (int i = 0; i < 4; ++i)
    if (ASN1_TYPE_get(sk_ASN1_TYPE_value(fields.get(), i)) != kTypes[i]) return std::nullopt;
  const ASN1_OCTET_STRING* id = sk_ASN1_TYPE_value(fields.get(), 2)->value.octet_string;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
                     static_cast<std::size_t>(ASN1_STRING_length(id)));
}

ReceiptCheck refused(ReceiptCheck check, Reason reason, std::string detail) {
  if (check.reason == Reason::none) {
    check.reason = reason;
    check.detail = std::move(detail);
  }
  return check;
}

// The receipt's signature and its match with the original (msgSigDigest,
// identifier, originatorSignatureValue, content type).
Reason check_receipt_crypto(CMS_ContentInfo* rcms, CMS_ContentInfo* ocms, std::string& detail) {
  ERR_clear_error();
  // The chain is checked apart (check_chain), as for messages.
  if (CMS_verify_receipt(rcms, ocms, nullptr, nullptr, CMS_NO_SIGNER_CERT_VERIFY) > 0) return Reason::none;
  unsigned long code = ERR_peek_error();
  detail = ossl::openssl_error("receipt check failed");
  if (ERR_GET_LIB(code) == ERR_LIB_CMS && ERR_GET_REASON(code) == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND)
    return Reason::untrusted_signer;
  return Reason::bad_signature;
}

}  // namespace

Result<std::string> sign_receipt(std::string_view original, const Identity& signer) {
  if (signer.key == nullptr || signer.cert == nullptr) return local_error("a receipt needs a key and a certificate");
  ERR_clear_error();
  ossl::CmsPtr ocms = detail::parse_der_cms(original);
  if (!is_signed_data(ocms.get())) return fail(554, "5.6.0", "the original is not a CMS SignedData");
  CMS_SignerInfo* si = first_signer(ocms.get());
  if (detail::read_receipt_request(si).request == std::nullopt)
    return fail(554, "5.6.0", "the original asks for no signed receipt (no usable ReceiptRequest)");
  ossl::X509StackPtr chain(sk_X509_new_null());
  if (!chain) return local_error("out of memory");
  for (const X509* c : signer.chain) {
    if (c == nullptr) continue;
    if (X509_up_ref(const_cast<X509*>(c)) != 1) return local_error("X509_up_ref failed");
    ossl::X509Ptr reference(const_cast<X509*>(c));
    if (sk_X509_push(chain.get(), reference.get()) <= 0) return local_error("out of memory");
    reference.release();  // owned by `chain`
  }
  ossl::CmsPtr receipt(CMS_sign_receipt(si, const_cast<X509*>(signer.cert), const_cast<EVP_PKEY*>(signer.key),
                                        chain.get(), 0));
  if (!receipt) return local_error("CMS_sign_receipt: " + ossl::openssl_error());
  unsigned char* raw = nullptr;
  int n = i2d_CMS_ContentInfo(receipt.get(), &raw);
  ossl::OpensslBytePtr der(raw);
  if (n <= 0 || !der) return local_error("encoding the receipt failed: " + ossl::openssl_error());
  return std::string(reinterpret_cast<const char*>(der.get()), static_cast<std::size_t>(n));
}

Result<ReceiptCheck> verify_receipt(std::string_view receipt, std::string_view original,
                                    const ReceiptOptions& options) {
  if (options.trust == nullptr) return local_error("verify_receipt: no trust store");
  ReceiptCheck check;
  check.reason = Reason::none;
  ERR_clear_error();
  ossl::CmsPtr rcms = detail::parse_der_cms(receipt);
  auto id = receipt_identifier(rcms.get());
  if (!id || first_signer(rcms.get()) == nullptr) return refused(check, Reason::malformed, std::string(kNotAReceipt));
  check.content_identifier = *id;
  ossl::CmsPtr ocms = detail::parse_der_cms(original);
  if (!is_signed_data(ocms.get()))
    return refused(check, Reason::malformed, "the kept original is not a CMS SignedData");

  CMS_SignerInfo* si = first_signer(rcms.get());
  ERR_clear_error();
  CMS_set1_signers_certs(rcms.get(), nullptr, 0);  // find the signer's certificate in the receipt
  ERR_clear_error();
  X509* signer = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, &signer, nullptr, nullptr);
  check.signing_time = detail::signing_time_of(si);
  if (signer != nullptr) {
    pki::CertificateInfo info = pki::describe(signer);
    check.signer_subject = info.subject;
    check.signer_fingerprint = info.fingerprint;
    check.signer_domains = info.dns_names;
  }

  std::string detail;
  if (Reason r = check_receipt_crypto(rcms.get(), ocms.get(), detail); r != Reason::none)
    return refused(std::move(check), r, std::move(detail));
  detail::ChainCheck chain = detail::check_chain(rcms.get(), signer, *options.trust, options.at_time);
  if (chain.reason != Reason::none) return refused(std::move(check), chain.reason, std::move(chain.detail));
  if (!options.allowed_signer_fingerprints.empty()) {
    bool listed = false;
    for (const auto& fp : options.allowed_signer_fingerprints)
      listed = listed || detail::same_fingerprint(fp, check.signer_fingerprint);
    if (!listed)
      return refused(std::move(check), Reason::signer_not_member,
                     "receipt signer " + check.signer_fingerprint + " is not the recipient's member");
  }
  return check;
}

Result<std::string> receipt_content_identifier(std::string_view receipt) {
  ossl::CmsPtr rcms = detail::parse_der_cms(receipt);
  auto id = receipt_identifier(rcms.get());
  if (!id) return fail(554, "5.6.0", std::string(kNotAReceipt));
  return *id;
}

}  // namespace sm::smime
