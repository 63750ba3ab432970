// crl.cpp - the authority's certificate revocation list: building and
// signing it (X.509 v2 with CRL number, AKI and reason codes), and CRL
// files in and out of PEM (see authority.h).
#include <openssl/pem.h>

#include "pki/authority.h"
#include "pki/builder.h"
#include "pki/detail.h"

namespace sm::pki {

namespace detail {

namespace {

int crl_reason_code(std::string_view reason) {
  auto r = parse_revocation_reason(reason).value_or(RevocationReason::unspecified);
  switch (r) {
    case RevocationReason::key_compromise: return CRL_REASON_KEY_COMPROMISE;
    case RevocationReason::superseded: return CRL_REASON_SUPERSEDED;
    case RevocationReason::cessation_of_operation: return CRL_REASON_CESSATION_OF_OPERATION;
    case RevocationReason::unspecified: break;
  }
  return CRL_REASON_UNSPECIFIED;
}

Result<> add_entry(X509_CRL* crl, const IssuedRecord& record) {
  auto serial = parse_serial(record.serial);
  if (!serial) return std::unexpected(serial.error());
  ossl::X509RevokedPtr entry(X509_REVOKED_new());
  ossl::Asn1TimePtr when(ASN1_TIME_set(nullptr, static_cast<time_t>(record.revoked_at)));
  bool ok = entry && when && X509_REVOKED_set_serialNumber(entry.get(), serial->get()) == 1 &&
            X509_REVOKED_set_revocationDate(entry.get(), when.get()) == 1;
  // RFC 5280 5.3.1: reasonCode "unspecified" SHOULD be absent.
  if (int code = crl_reason_code(record.revocation_reason); ok && code != CRL_REASON_UNSPECIFIED) {
    ossl::Asn1EnumeratedPtr reason(ASN1_ENUMERATED_new());
    ok = reason && ASN1_ENUMERATED_set(reason.get(), code) == 1 &&
         X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, reason.get(), 0, 0) == 1;
  }
  if (!ok || X509_CRL_add0_revoked(crl, entry.get()) != 1)
    return local_error("cannot add serial " + record.serial + " to the CRL: " + ossl::openssl_error());
  entry.release();  // the CRL owns it now
  return {};
}

}  // namespace

Result<ossl::X509CrlPtr> build_crl(X509* ca_cert, EVP_PKEY* ca_key,
                                   const std::vector<IssuedRecord>& records, long number,
                                   std::int64_t now, int days) {
  ossl::X509CrlPtr crl(X509_CRL_new());
  ossl::Asn1TimePtr last(ASN1_TIME_set(nullptr, static_cast<time_t>(now)));
  ossl::Asn1TimePtr next(ASN1_TIME_set(nullptr, static_cast<time_t>(now + std::int64_t{days} * 86400)));
  ossl::Asn1IntegerPtr crl_number(ASN1_INTEGER_new());
  if (!crl || !last || !next || !crl_number || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1 ||
      ASN1_INTEGER_set(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, 0) != 1)
    return local_error("cannot build the CRL: " + ossl::openssl_error());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert, nullptr, nullptr, crl.get(), 0);
  ossl::X509ExtensionPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1)
    return local_error("cannot add AKI to the CRL: " + ossl::openssl_error());
  for (const auto& r : records) {
    if (r.revoked_at == 0 || r.not_after <= now) continue;
    if (auto ok = add_entry(crl.get(), r); !ok) return std::unexpected(ok.error());
  }
  if (X509_CRL_sort(crl.get()) != 1 || X509_CRL_sign(crl.get(), ca_key, signing_digest(ca_key)) <= 0)
    return local_error("cannot sign the CRL: " + ossl::openssl_error());
  return crl;
}

}  // namespace detail

Result<ossl::X509CrlPtr> read_crl(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) return std::unexpected(text.error());
  ossl::BioPtr bio = detail::mem_bio(*text);
  ossl::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) return local_error(file.string() + ": not a PEM CRL: " + ossl::openssl_error());
  return crl;
}

std::string to_pem(const X509_CRL* crl) {
  ossl::BioPtr bio = detail::mem_bio();
  if (!bio || crl == nullptr || !PEM_write_bio_X509_CRL(bio.get(), crl)) return {};
  return detail::bio_text(bio.get());
}

}  // namespace sm::pki
