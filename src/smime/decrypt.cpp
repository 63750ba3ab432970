// decrypt.cpp - RecipientInfo matching and content decryption for open().
//
// We match RecipientInfos to our certificates ourselves (issuer and serial
// or subject key identifier) so "not encrypted to us" (not_for_us) is told
// apart from "ours, but the unwrap, padding or tag failed"
// (decrypt_failed). CMS_DEBUG_DECRYPT makes OpenSSL report a failed key
// unwrap instead of going on with a random key (its MMA counter-measure,
// meant for callers that do not know which RecipientInfo is theirs); both
// failures end in the same reason, so no new oracle is exposed.
#include "smime/decrypt.h"

#include <openssl/err.h>

#include <cctype>

#include "smime/bio_chain.h"
#include "smime/checks.h"
#include "util/text.h"

namespace sm::smime::detail {
namespace {

bool recipient_matches(CMS_RecipientInfo* ri, X509* cert) {
  switch (CMS_RecipientInfo_type(ri)) {
    case CMS_RECIPINFO_TRANS:
      return CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0;
    case CMS_RECIPINFO_AGREE: {
      STACK_OF(CMS_RecipientEncryptedKey)* reks = CMS_RecipientInfo_kari_get0_reks(ri);
      for (int i = 0; i < sk_CMS_RecipientEncryptedKey_num(reks); ++i)
        if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(reks, i), cert) == 0)
          return true;
      return false;
    }
    default:
      return false;
  }
}

CMS_RecipientInfo* find_recipient(CMS_ContentInfo* cms, X509* cert) {
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i)
    if (recipient_matches(sk_CMS_RecipientInfo_value(ris, i), cert)) return sk_CMS_RecipientInfo_value(ris, i);
  return nullptr;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string key_management_of(CMS_RecipientInfo* ri) {
  switch (CMS_RecipientInfo_type(ri)) {
    case CMS_RECIPINFO_TRANS: {
      X509_ALGOR* alg = nullptr;
      if (CMS_RecipientInfo_ktri_get0_algs(ri, nullptr, nullptr, &alg) <= 0 || alg == nullptr) return "rsa";
      const ASN1_OBJECT* oid = nullptr;
      X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
      int nid = OBJ_obj2nid(oid);
      if (nid == NID_rsaesOaep) return "rsa-oaep";
      if (nid == NID_rsaEncryption) return "rsa-pkcs1";
      return nid == NID_undef ? "unknown" : ascii_lower(OBJ_nid2sn(nid));
    }
    case CMS_RECIPINFO_AGREE: return "ecdh";
    case CMS_RECIPINFO_KEK: return "kek";
    case CMS_RECIPINFO_PASS: return "password";
    default: return "unknown";
  }
}

// Decrypt the content with the content key already unwrapped: the
// ciphertext is written through OpenSSL's cipher BIO (in decrypt mode)
// into `plain`; the final flush checks the padding or the GCM tag (set
// from AuthEnvelopedData.mac when the BIO was made). Returns false (and
// `error`) when they do not check.
Result<bool> decrypt_content(CMS_ContentInfo* cms, Verdict& v, const CiphertextFeed& feed, BIO* plain,
                             std::string& error) {
  FilterStack chain(plain);
  BIO* top = CMS_dataInit(cms, plain);
  if (top == nullptr) {
    error = ossl::openssl_error("cannot set up content decryption");
    return false;
  }
  chain.adopt(top);
  bool cipher = BIO_method_type(top) == BIO_TYPE_CIPHER;
  if (cipher) {
    EVP_CIPHER_CTX* ctx = nullptr;
    BIO_get_cipher_ctx(top, &ctx);
    if (ctx != nullptr && EVP_CIPHER_CTX_get0_cipher(ctx) != nullptr)
      v.content_encryption = OBJ_nid2ln(EVP_CIPHER_CTX_get_nid(ctx));
  }
  if (auto fed = feed(top); !fed) return std::unexpected(fed.error());
  ERR_clear_error();
  bool flushed = BIO_flush(top) > 0;
  bool ok = flushed && (!cipher || BIO_get_cipher_status(top) > 0);
  if (!ok) {
    if (!cipher || BIO_get_cipher_status(top) > 0) return local_error("writing the decrypted content failed");
    error = ossl::openssl_error(v.authenticated_encryption ? "authentication tag mismatch" : "bad padding");
    return false;
  }
  return true;
}

}  // namespace

Result<bool> decrypt(CMS_ContentInfo* cms, const OpenOptions& options, Verdict& v, const CiphertextFeed& feed,
                     BIO* plain) {
  int type = OBJ_obj2nid(CMS_get0_type(cms));
  v.encrypted = true;
  v.authenticated_encryption = type == NID_id_smime_ct_authEnvelopedData;
  if (!v.authenticated_encryption && !options.allow_cbc) {
    note_failure(v, Reason::cbc_not_allowed, "EnvelopedData (no authenticated encryption)");
    return false;
  }
  ERR_clear_error();
  // Only sets the debug flag (no key, no output): report unwrap failures.
  CMS_decrypt(cms, nullptr, nullptr, nullptr, nullptr, CMS_DEBUG_DECRYPT);
  ERR_clear_error();

  bool ours = false;
  std::string error;
  for (const Identity& id : options.keys) {
    if (id.key == nullptr || id.cert == nullptr) continue;
    auto* cert = const_cast<X509*>(id.cert);
    CMS_RecipientInfo* ri = find_recipient(cms, cert);
    if (ri == nullptr) continue;
    ours = true;
    v.key_management = key_management_of(ri);
    ERR_clear_error();
    if (CMS_decrypt_set1_pkey_and_peer(cms, const_cast<EVP_PKEY*>(id.key), cert, nullptr) <= 0) {
      error = "key unwrap with " + id.id + " failed: " + ossl::openssl_error();
      continue;  // another of our keys may share this certificate
    }
    auto decrypted = decrypt_content(cms, v, feed, plain, error);
    if (!decrypted) return std::unexpected(decrypted.error());
    if (!*decrypted) break;  // the content key was ours: the content itself is bad
    v.decrypted_with = id.id;
    return true;
  }
  if (!ours) {
    int n = sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(cms));
    note_failure(v, Reason::not_for_us,
                 std::to_string(n) + " recipient(s), none for our " + std::to_string(options.keys.size()) + " key(s)");
  } else {
    note_failure(v, Reason::decrypt_failed, error);
  }
  return false;
}

}  // namespace sm::smime::detail
