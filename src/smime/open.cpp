// open.cpp - open(): read the S/MIME structure, decrypt, verify, decide
// whether the restored message may be released, and say why in a Verdict.
//
// Steps (the first failure is the verdict's reason; later steps still run
// where they can, to fill in facts for logs):
//   outer header -> SMIME_read_CMS -> [decrypt -> SMIME_read_CMS of the
//   inner entity] -> signature -> signer chain -> signed From:, signer
//   domain, membership -> header protection -> release.
//
// Memory: OpenSSL's S/MIME reader has no streaming mode, so the CMS
// structure, then the decrypted entity, then the signed content are held
// in memory (each freed as soon as the next is made); max_size bounds it.
#include <openssl/err.h>

#include <algorithm>

#include "mime/header.h"
#include "smime/bio_chain.h"
#include "smime/checks.h"
#include "smime/decrypt.h"
#include "smime/header_protection.h"
#include "smime/signature.h"
#include "util/text.h"

namespace sm::smime {
namespace {

using detail::note_failure;

std::optional<mime::HeaderBlock> header_of(std::string_view text) {
  auto h = mime::HeaderBlock::parse(text.substr(0, mime::HeaderBlock::kDefaultMaxSize + 1));
  if (!h) return std::nullopt;
  return std::move(*h);
}

// EFAIL rule: decrypted content that did not verify is released only when
// its integrity is known (GCM) or it was never encrypted (signed only),
// and only for failures after the content was recovered intact.
bool may_release(const Verdict& v) {
  switch (v.reason) {
    case Reason::none:
      return true;
    case Reason::not_encrypted:
    case Reason::bad_signature:
    case Reason::untrusted_signer:
    case Reason::signer_expired:
    case Reason::signer_not_yet_valid:
    case Reason::signer_revoked:
    case Reason::revocation_unknown:
    case Reason::signer_wrong_usage:
    case Reason::signer_domain_mismatch:
    case Reason::signer_not_member:
    case Reason::from_invalid:
    case Reason::header_mismatch:
      return !v.encrypted || v.authenticated_encryption;
    default:
      return false;
  }
}

// Parse an S/MIME entity into a SignedData and its content; null with the
// reason noted when it is not signed.
std::optional<detail::SignedMessage> read_signed(BIO* entity, int flags, Verdict& v) {
  BIO* content = nullptr;
  ERR_clear_error();
  ossl::CmsPtr cms(SMIME_read_CMS_ex(entity, flags, &content, nullptr));
  ossl::BioPtr detached(content);
  if (!cms) {
    note_failure(v, Reason::malformed, ossl::openssl_error("unreadable signed entity"));
    return std::nullopt;
  }
  int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type != NID_pkcs7_signed) {
    note_failure(v, Reason::unsigned_content, std::string("inner content is ") + OBJ_nid2sn(type) + ", not signed");
    return std::nullopt;
  }
  return detail::SignedMessage{std::move(cms), std::move(detached)};
}

// The inner entity after decryption: must be signed.
std::optional<detail::SignedMessage> read_decrypted(ossl::BioPtr plain, Verdict& v) {
  std::string_view text = detail::mem_view(plain.get());
  auto header = header_of(text);
  if (header) v.content_type = detail::media_type(*header);
  if (!header || detail::smime_form(*header) == detail::SmimeForm::none) {
    note_failure(v, Reason::unsigned_content, "decrypted content is " + v.content_type + ", not signed");
    return std::nullopt;
  }
  return read_signed(plain.get(), detail::smime_read_flags(text, *header), v);
}

void verify_signed(detail::SignedMessage& message, const mime::HeaderBlock& outer,
                   const OpenOptions& options, Verdict& v) {
  X509* signer = detail::check_signature(message, v);
  if (!v.signed_content) return;
  detail::check_signer_chain(message, signer, options, v);
  auto inner = header_of(message.content());
  if (!inner) {
    note_failure(v, Reason::from_invalid, "the signed message's header is unreadable");
    return;
  }
  detail::check_sender(*inner, outer, signer, options, v);
}

// application/pkcs7-mime with Content-Transfer-Encoding: binary (RFC 3030
// BINARYMIME between gateways): the body is the CMS structure in DER, which
// OpenSSL's S/MIME reader (base64 only) cannot read.
bool binary_body(const mime::HeaderBlock& outer) {
  if (detail::smime_form(outer) != detail::SmimeForm::pkcs7_mime) return false;
  auto cte = outer.get("Content-Transfer-Encoding");
  if (!cte) return false;
  std::string_view t = *cte;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n')) t.remove_suffix(1);
  return ascii_lower(t) == "binary";
}

// The DER after the outer header; null (malformed) when it does not parse.
CMS_ContentInfo* read_der_body(BIO* input, const mime::HeaderBlock& outer) {
  char skip[4096];
  for (std::size_t left = outer.body_offset(); left > 0;) {
    int n = BIO_read(input, skip, static_cast<int>(std::min(left, sizeof skip)));
    if (n <= 0) return nullptr;
    left -= static_cast<std::size_t>(n);
  }
  return d2i_CMS_bio(input, nullptr);
}

// The signed layer of the message, decrypted first when it is encrypted;
// nullopt with the reason noted when there is none to verify.
Result<std::optional<detail::SignedMessage>> unwrap(const MessageSource& message, std::string_view head,
                                                    const mime::HeaderBlock& outer, const OpenOptions& options,
                                                    Verdict& v) {
  auto input = message.open();
  if (!input) return std::unexpected(input.error());
  BIO* content = nullptr;
  ERR_clear_error();
  ossl::CmsPtr cms(binary_body(outer) ? read_der_body(input->get(), outer)
                                      : SMIME_read_CMS_ex(input->get(), detail::smime_read_flags(head, outer),
                                                          &content, nullptr));
  ossl::BioPtr detached(content);
  input->reset();
  if (!cms) {
    note_failure(v, Reason::malformed, ossl::openssl_error("unreadable S/MIME structure"));
    return std::nullopt;
  }
  int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type == NID_pkcs7_enveloped || type == NID_id_smime_ct_authEnvelopedData) {
    auto plain = detail::decrypt(cms.get(), options, v);
    if (!plain) return std::unexpected(plain.error());
    if (!*plain) return std::nullopt;
    cms.reset();  // the ciphertext is no longer needed
    return read_decrypted(std::move(*plain), v);
  }
  if (type == NID_pkcs7_signed) {
    if (options.require_encryption) note_failure(v, Reason::not_encrypted, "signed only");
    return detail::SignedMessage{std::move(cms), std::move(detached)};
  }
  note_failure(v, Reason::malformed, std::string("unsupported CMS content type ") + OBJ_nid2sn(type));
  return std::nullopt;
}

}  // namespace

Result<Verdict> open(const MessageSource& message, BIO* out, const OpenOptions& options) {
  if (options.trust == nullptr) return local_error("open: no trust store");
  Verdict v;
  auto size = message.size();
  if (!size) return std::unexpected(size.error());
  if (*size > options.max_size) {
    v.reason = Reason::too_large;
    v.detail = std::to_string(*size) + " octets, limit " + std::to_string(options.max_size);
    return v;
  }
  auto head = message.head(mime::HeaderBlock::kDefaultMaxSize + 1);
  if (!head) return std::unexpected(head.error());
  auto outer = header_of(*head);
  if (!outer || detail::smime_form(*outer) == detail::SmimeForm::none) {
    v.detail = outer ? "content type " + detail::media_type(*outer) : "header too large";
    return v;  // not_smime
  }
  v.reason = Reason::none;

  auto signed_message = unwrap(message, *head, *outer, options, v);
  if (!signed_message) return std::unexpected(signed_message.error());
  if (!*signed_message) return v;
  verify_signed(**signed_message, *outer, options, v);

  std::string_view content = (*signed_message)->content();
  if (out != nullptr && v.signed_content && !content.empty() && may_release(v)) {
    if (!detail::write_all(out, content) || BIO_flush(out) <= 0)
      return local_error("writing the opened message failed");
    v.released = true;
  }
  return v;
}

}  // namespace sm::smime
