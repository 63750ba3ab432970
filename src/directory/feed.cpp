// feed.cpp - the signed feed: CMS SignedData over canonical JSON, made by
// the authority (sign_feed) and checked by every gateway (verify_feed).
//
// verify_feed decides in this order, so the cheap refusals come first and
// each reason is reported for what it is:
//   1. DER CMS SignedData with attached content, exactly one signer -> malformed
//   2. the signer is our authority's certificate (its issuer and serial
//      and, when the CMS carries it, its SHA-256 fingerprint) -> wrong_authority
//   3. the signature over the content verifies with that certificate,
//      and nothing else (CMS_NOINTERN) -> bad_signature
//   4. the content is a well-formed feed -> malformed
//   5. serial not below the held one -> rollback; issue time -> stale
//   6. ids and domains unique -> duplicate_*
// Member certificates are not parsed here: the authority's signature
// vouches for them and each is checked on first use (member_certificate.h).
// The CRLs in the crls set are taken out as they are (verify_feed_with_crls);
// they are neither covered by the feed's signature nor needed for it.
#include <openssl/err.h>

#include <ctime>
#include <limits>

#include "directory/codec.h"
#include "directory/validate.h"
#include "pki/certificate.h"

namespace sm::directory {

namespace {

constexpr std::int64_t kMaxClockSkew = 300;  // seconds a feed may come from the future

std::unexpected<FeedError> refuse(Rejection reason, std::string detail) {
  return std::unexpected(FeedError{reason, std::move(detail)});
}

// A verified CMS and a view of its content (valid while `cms` lives).
struct Verified {
  ossl::CmsPtr cms;
  std::string_view content;
};

FeedResult<ossl::CmsPtr> decode(std::string_view der) {
  if (der.size() > kMaxFeedBytes) return detail::malformed("the signed feed is too large");
  if (der.size() > static_cast<std::size_t>(std::numeric_limits<long>::max()))
    return detail::malformed("the signed feed is too large");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) return detail::malformed("not a DER CMS message: " + ossl::openssl_error());
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return detail::malformed("trailing bytes after the CMS message");
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return detail::malformed("the CMS message is not SignedData");
  if (OBJ_obj2nid(CMS_get0_eContentType(cms.get())) != NID_pkcs7_data)
    return detail::malformed("the signed content is not of type data");
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (content == nullptr || *content == nullptr)
    return detail::malformed("the CMS message carries no content (detached signature)");
  return cms;
}

// Who signed, for messages: the embedded certificate matching the signer, if any.
ossl::X509Ptr embedded_signer(CMS_ContentInfo* cms, CMS_SignerInfo* si) {
  ossl::X509StackPtr certs(CMS_get1_certs(cms));
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i)
    if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), i)) == 0)
      return pki::clone(sk_X509_value(certs.get(), i));
  return nullptr;
}

FeedResult<void> check_signer(CMS_ContentInfo* cms, const X509* authority) {
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  int count = infos != nullptr ? sk_CMS_SignerInfo_num(infos) : 0;
  if (count == 0) return detail::malformed("the CMS message has no signer");
  if (count != 1)
    return refuse(Rejection::wrong_authority,
                  std::to_string(count) + " signers; a feed is signed by the authority alone");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  ossl::X509Ptr signer = embedded_signer(cms, si);
  bool named = CMS_SignerInfo_cert_cmp(si, const_cast<X509*>(authority)) == 0;
  if (named && (!signer || pki::fingerprint(signer.get()) == pki::fingerprint(authority))) return {};
  std::string who = signer ? pki::describe(signer.get()).subject + " (sha256 " +
                                 pki::fingerprint(signer.get()) + ")"
                           : std::string("a certificate not in the message");
  return refuse(Rejection::wrong_authority,
                "signed by " + who + ", not by the authority " + pki::describe(authority).subject);
}

FeedResult<Verified> verify_signature(std::string_view der, const X509* authority) {
  ERR_clear_error();
  auto cms = decode(der);
  if (!cms) return std::unexpected(std::move(cms.error()));
  if (auto r = check_signer(cms->get(), authority); !r) return std::unexpected(std::move(r.error()));
  ossl::X509StackPtr certs(sk_X509_new_null());
  if (!certs || sk_X509_push(certs.get(), pki::clone(authority).release()) <= 0)
    return refuse(Rejection::bad_signature, "out of memory");
  // Our own copy of the authority certificate is the only candidate signer
  // and is trusted as it is (it is the anchor): no chain building.
  unsigned flags = CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY;
  if (CMS_verify(cms->get(), certs.get(), nullptr, nullptr, nullptr, flags) != 1)
    return refuse(Rejection::bad_signature, ossl::openssl_error("the signature does not verify"));
  ASN1_OCTET_STRING* content = *CMS_get0_content(cms->get());
  std::string_view view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(content)),
                        static_cast<std::size_t>(ASN1_STRING_length(content)));
  return Verified{std::move(*cms), view};
}

// An owning STACK_OF(X509_CRL) (pki/openssl.h has none yet).
struct CrlStackDeleter {
  void operator()(STACK_OF(X509_CRL)* s) const noexcept { sk_X509_CRL_pop_free(s, X509_CRL_free); }
};
using CrlStackPtr = std::unique_ptr<STACK_OF(X509_CRL), CrlStackDeleter>;

// The CRLs of the SignedData's crls set (other revocation formats skipped).
std::vector<ossl::X509CrlPtr> carried_crls(CMS_ContentInfo* cms) {
  std::vector<ossl::X509CrlPtr> out;
  CrlStackPtr crls(CMS_get1_crls(cms));
  while (crls && sk_X509_CRL_num(crls.get()) > 0) out.emplace_back(sk_X509_CRL_shift(crls.get()));
  return out;
}

FeedResult<void> check_fresh(const Feed& feed, const VerifyOptions& o) {
  std::int64_t now = o.now != 0 ? o.now : static_cast<std::int64_t>(std::time(nullptr));
  if (o.current_serial != 0 && feed.serial < o.current_serial)
    return refuse(Rejection::rollback, "serial " + std::to_string(feed.serial) +
                                           " is lower than the held serial " +
                                           std::to_string(o.current_serial));
  if (feed.issued - now > kMaxClockSkew)
    return refuse(Rejection::stale, "issued " + pki::iso_time(feed.issued) + ", in the future (now " +
                                        pki::iso_time(now) + ")");
  if (now - feed.issued > o.max_age.count())
    return refuse(Rejection::stale, "issued " + pki::iso_time(feed.issued) + ", older than " +
                                        std::to_string(o.max_age.count()) + " s");
  return {};
}

// Step 6: the checks parse_feed and verify_feed share.
FeedResult<void> check_contents(const Feed& feed, const pki::TrustStore* trust) {
  if (auto r = detail::check_unique(feed); !r) return r;
  if (trust != nullptr) return detail::check_certificates(feed, *trust, feed.issued);
  return {};
}

}  // namespace

std::string_view to_string(Rejection r) {
  switch (r) {
    case Rejection::malformed: return "malformed";
    case Rejection::bad_signature: return "bad-signature";
    case Rejection::wrong_authority: return "wrong-authority";
    case Rejection::rollback: return "rollback";
    case Rejection::stale: return "stale";
    case Rejection::duplicate_domain: return "duplicate-domain";
    case Rejection::duplicate_member: return "duplicate-member";
    case Rejection::certificate_mismatch: return "certificate-mismatch";
  }
  return "malformed";
}

std::string FeedError::text() const {
  std::string line = std::string(to_string(reason)) + ": " + detail;
  for (char& c : line)
    if (c == '\r' || c == '\n') c = ' ';
  return line;
}

FeedResult<Feed> parse_feed(std::string_view json, const pki::TrustStore* authority) {
  auto feed = detail::feed_from_text(json);
  if (!feed) return feed;
  if (auto r = check_contents(*feed, authority); !r) return std::unexpected(std::move(r.error()));
  return feed;
}

Result<std::string> sign_feed(const Feed& feed, const EVP_PKEY* key, const X509* cert, const X509_CRL* crl) {
  if (key == nullptr || cert == nullptr) return local_error("signing a feed needs the authority key and certificate");
  ERR_clear_error();
  std::string json = canonical_json(feed);
  if (json.size() > kMaxFeedBytes) return local_error("the feed is larger than a gateway accepts");
  ossl::BioPtr data(BIO_new_mem_buf(json.data(), static_cast<int>(json.size())));
  unsigned flags = CMS_BINARY | CMS_PARTIAL;
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!data || !cms) return local_error("CMS_sign: " + ossl::openssl_error());
  if (CMS_add1_signer(cms.get(), const_cast<X509*>(cert), const_cast<EVP_PKEY*>(key), EVP_sha256(),
                      flags) == nullptr)
    return local_error("cannot sign the feed with this key and certificate: " + ossl::openssl_error());
  if (crl != nullptr && CMS_add1_crl(cms.get(), const_cast<X509_CRL*>(crl)) != 1)
    return local_error("cannot add the CRL to the feed: " + ossl::openssl_error());
  if (CMS_final(cms.get(), data.get(), nullptr, flags) != 1)
    return local_error("CMS_final: " + ossl::openssl_error());
  unsigned char* raw = nullptr;
  int size = i2d_CMS_ContentInfo(cms.get(), &raw);
  ossl::OpensslBytePtr der(raw);
  if (size <= 0) return local_error("encoding the signed feed: " + ossl::openssl_error());
  return std::string(reinterpret_cast<const char*>(der.get()), static_cast<std::size_t>(size));
}

FeedResult<VerifiedFeed> verify_feed_with_crls(std::string_view signed_feed, const VerifyOptions& options) {
  if (options.authority == nullptr)
    return refuse(Rejection::wrong_authority, "no authority certificate configured");
  auto verified = verify_signature(signed_feed, options.authority);
  if (!verified) return std::unexpected(std::move(verified.error()));
  auto feed = detail::feed_from_text(verified->content);
  if (!feed) return std::unexpected(std::move(feed.error()));
  VerifiedFeed out{std::move(*feed), carried_crls(verified->cms.get())};
  verified->cms.reset();  // the content is parsed: free it
  if (auto r = check_fresh(out.feed, options); !r) return std::unexpected(std::move(r.error()));
  if (auto r = detail::check_unique(out.feed); !r) return std::unexpected(std::move(r.error()));
  return out;
}

FeedResult<Feed> verify_feed(std::string_view signed_feed, const VerifyOptions& options) {
  auto verified = verify_feed_with_crls(signed_feed, options);
  if (!verified) return std::unexpected(std::move(verified.error()));
  return std::move(verified->feed);
}

}  // namespace sm::directory
