// blob.cpp - encrypt_blob / decrypt_blob (receipt.h): evidence files kept
// encrypted to our own certificate as bare DER AuthEnvelopedData. The
// recipient set-up is seal()'s (enveloping.h) and the decryption open()'s
// (decrypt.h), so a blob is protected exactly like a sealed message.
#include <openssl/err.h>

#include "smime/bio_chain.h"
#include "smime/decrypt.h"
#include "smime/enveloping.h"
#include "smime/ess.h"
#include "smime/receipt.h"

namespace sm::smime {

Result<std::string> encrypt_blob(std::string_view plain, std::span<const Recipient> recipients) {
  if (recipients.empty()) return local_error("encrypt_blob: no recipients");
  if (plain.size() > (1u << 30)) return local_error("encrypt_blob: over 1 GiB");
  ERR_clear_error();
  auto cms = detail::make_enveloped_cms(recipients, Cipher::aes256_gcm);
  if (!cms) return std::unexpected(cms.error());
  ossl::BioPtr data(BIO_new_mem_buf(plain.data(), static_cast<int>(plain.size())));
  if (!data) return local_error("out of memory");
  if (CMS_final(cms->get(), data.get(), nullptr, CMS_BINARY) != 1)
    return local_error("encrypting failed: " + ossl::openssl_error());
  unsigned char* raw = nullptr;
  int n = i2d_CMS_ContentInfo(cms->get(), &raw);
  ossl::OpensslBytePtr der(raw);
  if (n <= 0 || !der) return local_error("encoding the encrypted blob failed: " + ossl::openssl_error());
  return std::string(reinterpret_cast<const char*>(der.get()), static_cast<std::size_t>(n));
}

Result<std::string> decrypt_blob(std::string_view der, std::span<const Identity> keys) {
  ERR_clear_error();
  ossl::CmsPtr cms = detail::parse_der_cms(der);
  int type = cms ? OBJ_obj2nid(CMS_get0_type(cms.get())) : NID_undef;
  if (type != NID_id_smime_ct_authEnvelopedData)
    return fail(554, "5.6.0", "not an encrypted blob (CMS AuthEnvelopedData)");
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (content == nullptr || *content == nullptr) return fail(554, "5.6.0", "encrypted blob without content");
  const ASN1_OCTET_STRING* ciphertext = *content;
  auto feed = [ciphertext](BIO* cipher) -> Result<> {
    std::string_view bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ciphertext)),
                           static_cast<std::size_t>(ASN1_STRING_length(ciphertext)));
    if (!detail::write_all(cipher, bytes)) return local_error("decrypting failed: " + ossl::openssl_error());
    return {};
  };
  OpenOptions options;
  options.keys.assign(keys.begin(), keys.end());
  Verdict v;
  v.reason = Reason::none;  // decrypt() notes the first failure
  ossl::BioPtr plain(BIO_new(BIO_s_mem()));
  if (!plain) return local_error("out of memory");
  auto decrypted = detail::decrypt(cms.get(), options, v, feed, plain.get());
  if (!decrypted) return std::unexpected(decrypted.error());
  if (!*decrypted)
    return fail(554, "5.7.0", "cannot decrypt the blob: " + std::string(to_string(v.reason)) + ": " + v.detail);
  return std::string(detail::mem_view(plain.get()));
}

}  // namespace sm::smime
