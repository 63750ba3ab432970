// seal.cpp - sign, then encrypt to the recipients' certificates, streaming.
//
// Output chain, top to bottom:
//   SMIME_write_CMS (signed entity) -> CRLF filter (stops flushes)
//   -> BIO_new_CMS (AES-256-GCM AuthEnvelopedData or AES-256-CBC
//      EnvelopedData, BER indefinite length) -> base64 -> CRLF filter -> out
// so the message passes through in fixed-size pieces and memory stays
// bounded whatever its size. One BIO_flush on the CMS BIO at the end
// finalises the encryption (and the GCM tag) and the base64.
// With SealOptions::signed_copy a tee (tee_bio.h) sits on top of the CMS
// BIO and copies the signed entity out as it is encrypted.
// With SealOptions::binary the base64 and CRLF filters are left out: the
// BER goes to `out` as it is, under Content-Transfer-Encoding: binary.
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "smime/bio_chain.h"
#include "smime/crlf_bio.h"
#include "smime/enveloping.h"
#include "smime/outer_header.h"
#include "smime/signing.h"
#include "smime/tee_bio.h"

namespace sm::smime {
namespace {

const EVP_CIPHER* cipher_of(Cipher c) {
  return c == Cipher::aes256_gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
}

// Key transport: RSA-OAEP with SHA-256 (and MGF1-SHA-256), or PKCS#1 v1.5.
bool set_ktri_params(EVP_PKEY_CTX* pctx, bool oaep) {
  if (!oaep) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

Result<> add_recipient(CMS_ContentInfo* cms, const Recipient& r) {
  if (r.cert == nullptr) return local_error("seal: recipient without a certificate");
  // CMS_KEY_PARAM: leave the RecipientInfo open so its parameters can be
  // set; they are written when the content key is wrapped.
  CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms, const_cast<X509*>(r.cert), CMS_KEY_PARAM);
  if (ri == nullptr) return local_error("cannot encrypt to this certificate: " + ossl::openssl_error());
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (pctx == nullptr) return local_error("recipient has no key context");
  bool ok = true;
  switch (CMS_RecipientInfo_type(ri)) {
    case CMS_RECIPINFO_TRANS:
      ok = set_ktri_params(pctx, r.rsa_oaep);
      break;
    case CMS_RECIPINFO_AGREE:  // ECDH (RFC 5753): X9.63 KDF with SHA-256, not OpenSSL's SHA-1 default
      ok = EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) > 0;
      break;
    default:
      return local_error("unsupported recipient key type");
  }
  if (!ok) return local_error("cannot set recipient key parameters: " + ossl::openssl_error());
  return {};
}

}  // namespace

namespace detail {
Result<ossl::CmsPtr> make_enveloped_cms(std::span<const Recipient> recipients, Cipher cipher) {
  ossl::CmsPtr cms(CMS_encrypt(nullptr, nullptr, cipher_of(cipher), CMS_STREAM | CMS_PARTIAL | CMS_BINARY));
  if (!cms) return local_error("CMS_encrypt: " + ossl::openssl_error());
  for (const auto& r : recipients)
    if (auto added = add_recipient(cms.get(), r); !added) return std::unexpected(added.error());
  return cms;
}
}  // namespace detail

std::string_view to_string(Cipher cipher) {
  return cipher == Cipher::aes256_gcm ? "aes-256-gcm" : "aes-256-cbc";
}

Result<> seal(const MessageSource& message, BIO* out, const Identity& signer,
              std::span<const Recipient> recipients, const SealOptions& options) {
  if (out == nullptr) return local_error("seal: no output");
  if (recipients.empty()) return local_error("seal: no recipients");
  ERR_clear_error();
  auto header = detail::copied_header_fields(message);
  if (!header) return std::unexpected(header.error());
  auto enveloped = detail::make_enveloped_cms(recipients, options.cipher);
  if (!enveloped) return std::unexpected(enveloped.error());

  if (!detail::write_all(out, *header + detail::enveloped_mime_fields(options.cipher, options.binary)))
    return local_error("write failed");
  detail::FilterStack stack(out);
  if (!options.binary && (!stack.push(detail::new_crlf_filter(detail::FlushMode::pass)) ||
                          !stack.push(ossl::BioPtr(BIO_new(BIO_f_base64())))))
    return local_error("out of memory");
  BIO* cms_bio = BIO_new_CMS(stack.top(), enveloped->get());
  if (cms_bio == nullptr) return local_error("BIO_new_CMS: " + ossl::openssl_error());
  stack.adopt(cms_bio);
  // The signed entity is copied as it goes into the encryption; without a
  // copy nothing is added to the chain.
  if (options.signed_copy != nullptr && !stack.push(detail::new_tee_filter(options.signed_copy)))
    return local_error("out of memory");

  if (auto r = detail::write_signed_entity(message, stack.top(), signer, options.sign); !r) return r;
  if (BIO_flush(stack.top()) <= 0)
    return local_error("finishing the encryption failed: " + ossl::openssl_error());
  stack.release();
  if (BIO_flush(out) <= 0) return local_error("flushing the output failed");
  return {};
}

}  // namespace sm::smime
