// sign.cpp - signing: the streaming SignedData entity (for sign() and for
// seal()) and sign() itself (copied header fields + that entity).
//
// The message flows: source BIO -> CRLF filter (canonical form) ->
// SMIME_write_CMS, which digests it and copies it into the first MIME part
// (CMS_BINARY: byte for byte), then writes the signature part. Its base64
// has bare LF line ends, so its output goes through a CRLF filter that
// stops flushes (see crlf_bio.h). A receipt request is one more signed
// attribute (ess.h); the record is taken once the signature is made.
// SMIME_write_CMS names the micalg of multipart/signed from the
// SignedData's digest algorithms, so it follows SignOptions::digest.
#include <openssl/err.h>

#include "smime/bio_chain.h"
#include "smime/crlf_bio.h"
#include "smime/ess.h"
#include "smime/outer_header.h"
#include "smime/signing.h"

namespace sm::smime {
namespace detail {
namespace {

// The SignedData, its one SignerInfo set up (attributes added, signed when
// the content has streamed through). `*id`: the receipt request's
// identifier when one is asked for.
Result<ossl::CmsPtr> make_signed_cms(const Identity& signer, unsigned flags, const SignOptions& options,
                                     std::string* id) {
  if (signer.key == nullptr || signer.cert == nullptr)
    return local_error("signing needs a key and a certificate");
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) return local_error("CMS_sign: " + ossl::openssl_error());
  // OpenSSL takes references (up_ref); it does not modify the objects.
  auto* cert = const_cast<X509*>(signer.cert);
  auto* key = const_cast<EVP_PKEY*>(signer.key);
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), cert, key, digest_for(signer.key, options.digest), flags);
  if (si == nullptr) return local_error("cannot sign with this key and certificate: " + ossl::openssl_error());
  if (options.receipt_request && options.raw_receipt_request_der)
    return local_error("a receipt request and a raw receipt request attribute: one or the other");
  Result<> added;
  if (options.receipt_request) added = add_receipt_request(si, *options.receipt_request, id);
  if (options.raw_receipt_request_der) added = add_raw_receipt_request(si, *options.raw_receipt_request_der);
  if (!added) return std::unexpected(added.error());
  for (const X509* c : signer.chain)
    if (c != nullptr && CMS_add1_cert(cms.get(), const_cast<X509*>(c)) <= 0)
      return local_error("CMS_add1_cert: " + ossl::openssl_error());
  return cms;
}

// The message as a canonical (CRLF) read stream.
Result<ossl::BioPtr> canonical_reader(const MessageSource& message) {
  auto src = message.open();
  if (!src) return std::unexpected(src.error());
  ossl::BioPtr filter = new_crlf_filter();
  if (!filter) return local_error("out of memory");
  BIO_push(filter.get(), src->release());
  return filter;  // frees the source with it (BIO_free_all)
}

}  // namespace

const EVP_MD* digest_for(const EVP_PKEY* key, Digest chosen) {
  switch (chosen) {
    case Digest::sha256: return EVP_sha256();
    case Digest::sha384: return EVP_sha384();
    case Digest::sha512: return EVP_sha512();
    case Digest::automatic: break;
  }
  bool ec = EVP_PKEY_is_a(key, "EC");
  return ec && EVP_PKEY_get_bits(key) >= 384 ? EVP_sha384() : EVP_sha256();
}

Result<> write_signed_entity(const MessageSource& message, BIO* into, const Identity& signer,
                             const SignOptions& options) {
  ERR_clear_error();
  unsigned flags = CMS_PARTIAL | CMS_STREAM | CMS_BINARY | (options.opaque ? 0 : CMS_DETACHED);
  std::string id;
  auto cms = make_signed_cms(signer, flags, options, &id);
  if (!cms) return std::unexpected(cms.error());
  auto data = canonical_reader(message);
  if (!data) return std::unexpected(data.error());

  FilterStack stack(into);
  if (!stack.push(new_crlf_filter(FlushMode::stop))) return local_error("out of memory");
  if (SMIME_write_CMS(stack.top(), cms->get(), data->get(), static_cast<int>(flags | SMIME_CRLFEOL)) <= 0)
    return local_error("writing the signed message failed: " + ossl::openssl_error());
  // SMIME_write_CMS has finalised the SignerInfo (signed the attributes).
  if (options.record != nullptr) return fill_record(cms->get(), std::move(id), *options.record);
  return {};
}

}  // namespace detail

Result<> sign(const MessageSource& message, BIO* out, const Identity& signer,
              const SignOptions& options) {
  if (out == nullptr) return local_error("sign: no output");
  auto header = detail::copied_header_fields(message);
  if (!header) return std::unexpected(header.error());
  if (!detail::write_all(out, *header)) return local_error("write failed");
  if (auto r = detail::write_signed_entity(message, out, signer, options); !r) return r;
  if (BIO_flush(out) <= 0) return local_error("flushing the output failed");
  return {};
}

}  // namespace sm::smime
