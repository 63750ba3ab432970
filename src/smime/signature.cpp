// signature.cpp - the signature check and the signer facts of a verdict.
//
// CMS_verify runs with CMS_NO_SIGNER_CERT_VERIFY: it checks only that the
// signature matches the content (message digest, signed attributes, the
// signature value), so a tampered message is reported as bad_signature and
// never confused with a certificate problem; the chain is checked apart
// (signer_chain.cpp) with the gateway's own rules.
#include <openssl/err.h>

#include <cctype>
#include <ctime>

#include "pki/certificate.h"
#include "smime/bio_chain.h"
#include "smime/checks.h"
#include "smime/signature.h"
#include "util/text.h"

namespace sm::smime::detail {
namespace {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::int64_t signing_time_of(CMS_SignerInfo* si) {
  int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx < 0) return 0;
  ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
  if (t == nullptr || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)) return 0;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t->value.utctime, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

namespace {

void describe_signer(X509* signer, Verdict& v) {
  pki::CertificateInfo info = pki::describe(signer);
  v.signer_subject = info.subject;
  v.signer_fingerprint = info.fingerprint;
  v.signer_domains = info.dns_names;
  v.signer_email = info.emails.empty() ? std::string() : info.emails.front();
}

}  // namespace

X509* check_signature(SignedMessage& message, Verdict& v) {
  CMS_ContentInfo* cms = message.cms.get();
  v.signed_content = true;
  v.signature_form = message.opaque ? "opaque" : "detached";
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  if (sk_CMS_SignerInfo_num(infos) <= 0) {
    v.signed_content = false;
    note_failure(v, Reason::unsigned_content, "SignedData without a signer");
    return nullptr;
  }
  ERR_clear_error();
  CMS_set1_signers_certs(cms, nullptr, 0);  // find each signer's certificate in the message
  ERR_clear_error();
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  X509* signer = nullptr;
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, &signer, &digest, nullptr);
  if (digest != nullptr) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
    int nid = OBJ_obj2nid(oid);
    v.digest = nid == NID_undef ? "unknown" : ascii_lower(OBJ_nid2sn(nid));
  }
  v.signing_time = signing_time_of(si);
  if (signer != nullptr) describe_signer(signer, v);

  unsigned flags = CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY;
  // The content streams from its source (a file range or memory). OpenSSL
  // 3.0's CMS_verify copies content held in a memory BIO into a BIO of its
  // own, and leaks that copy when it cannot set up the digests (an unknown
  // algorithm; found by the smime_open fuzz target): content behind a null
  // filter is read in place and freed here.
  auto source = message.content.open();
  BIO* filter = source ? BIO_new(BIO_f_null()) : nullptr;
  if (filter == nullptr) {
    note_failure(v, Reason::bad_signature, source ? "out of memory" : source.error().text);
    return signer;
  }
  ossl::BioPtr content(BIO_push(filter, source->release()));
  BIO* data = content.get();
  if (CMS_verify(cms, nullptr, nullptr, data, nullptr, flags) <= 0)
    note_failure(v, Reason::bad_signature, ossl::openssl_error("signature check failed"));
  return signer;
}

}  // namespace sm::smime::detail
