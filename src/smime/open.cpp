// open.cpp - open(): read the S/MIME structure, decrypt, verify, decide
// whether the restored message may be released, and say why in a Verdict.
//
// Steps (the first failure is the verdict's reason; later steps still run
// where they can, to fill in facts for logs):
//   outer header -> CMS structure (pass 1: everything but the ciphertext)
//   -> [key unwrap, decrypt (pass 2: the ciphertext streamed through the
//   cipher into the scratch file) -> the inner entity] -> signature (the
//   content streamed from its file range) -> signer chain -> signed From:,
//   signer domain, membership -> header protection -> [on pass: the
//   receipt request (ess.h), the signed entity to signed_out] -> release
//   (copy the range to `out`).
//
// Memory: nothing scales with the message. The ciphertext is read twice
// from the source (once to find the structure around it, once to decrypt
// it); the plaintext goes to an anonymous scratch file, never to `out`,
// until every check has passed (the EFAIL rules in may_release()).
#include <openssl/err.h>

#include <algorithm>
#include <vector>

#include "mime/header.h"
#include "smime/bio_chain.h"
#include "smime/checks.h"
#include "smime/decrypt.h"
#include "smime/entity_reader.h"
#include "smime/ess.h"
#include "smime/header_protection.h"
#include "smime/scratch_file.h"
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
    case Reason::signer_weak_key:
    case Reason::signer_domain_mismatch:
    case Reason::signer_not_member:
    case Reason::from_invalid:
    case Reason::header_mismatch:
      return !v.encrypted || v.authenticated_encryption;
    default:
      return false;
  }
}

// The inner entity after decryption (in the scratch file): must be signed.
Result<std::optional<detail::SignedMessage>> read_decrypted(const MessageSource& entity, detail::ScratchFile& scratch,
                                                            Verdict& v) {
  auto text = entity.head(mime::HeaderBlock::kDefaultMaxSize + 1);
  if (!text) return std::unexpected(text.error());
  auto header = header_of(*text);
  if (header) v.content_type = detail::media_type(*header);
  if (!header || detail::smime_form(*header) == detail::SmimeForm::none) {
    note_failure(v, Reason::unsigned_content, "decrypted content is " + v.content_type + ", not signed");
    return std::nullopt;
  }
  return detail::read_signed_entity(entity, *text, *header, scratch, "unreadable signed entity", v);
}

Result<> verify_signed(detail::SignedMessage& message, const mime::HeaderBlock& outer, const OpenOptions& options,
                       Verdict& v) {
  X509* signer = detail::check_signature(message, v);
  if (!v.signed_content) return {};
  detail::check_signer_chain(message, signer, options, v);
  auto text = message.content.head(mime::HeaderBlock::kDefaultMaxSize + 1);
  if (!text) return std::unexpected(text.error());
  auto inner = header_of(*text);
  if (!inner) {
    note_failure(v, Reason::from_invalid, "the signed message's header is unreadable");
    return {};
  }
  detail::check_sender(*inner, outer, signer, options, v);
  return {};
}

// Decrypt the (Auth)EnvelopedData in `body` into the scratch file, then
// read the signed entity it holds.
Result<std::optional<detail::SignedMessage>> decrypt_body(CMS_ContentInfo* cms, const MessageSource& body, bool binary,
                                                          detail::ScratchFile& scratch, const OpenOptions& options,
                                                          Verdict& v, MessageSource& entity) {
  auto feed = [&](BIO* cipher) { return detail::feed_ciphertext(body, binary, cipher); };
  if (auto f = scratch.flush(); !f) return std::unexpected(f.error());
  std::uint64_t begin = scratch.size();
  auto decrypted = detail::decrypt(cms, options, v, feed, scratch.writer());
  if (!decrypted) return std::unexpected(decrypted.error());
  if (!*decrypted) return std::nullopt;
  if (auto f = scratch.flush(); !f) return std::unexpected(f.error());
  entity = scratch.contents(begin, scratch.size());
  return read_decrypted(entity, scratch, v);
}

// The signed layer of the message, decrypted first when it is encrypted;
// nullopt with the reason noted when there is none to verify. `entity`:
// the signed entity (the decrypted one, or the message itself when it was
// signed only).
Result<std::optional<detail::SignedMessage>> unwrap(const MessageSource& message, std::string_view head,
                                                    const mime::HeaderBlock& outer, detail::ScratchFile& scratch,
                                                    const OpenOptions& options, Verdict& v, MessageSource& entity) {
  constexpr std::string_view what = "unreadable S/MIME structure";
  if (detail::smime_form(outer) == detail::SmimeForm::multipart_signed) {
    auto signed_message = detail::read_signed_entity(message, head, outer, scratch, what, v);
    if (signed_message && *signed_message && options.require_encryption)
      note_failure(v, Reason::not_encrypted, "signed only");
    return signed_message;
  }
  MessageSource body = message.slice(outer.body_offset(), UINT64_MAX);
  bool binary = detail::binary_body(outer);
  auto read = detail::read_cms_body(body, binary, scratch, what, v);
  if (!read) return std::unexpected(read.error());
  if (!*read) return std::nullopt;
  detail::CmsBody& cms = **read;
  int type = OBJ_obj2nid(CMS_get0_type(cms.cms.get()));
  if (type == NID_pkcs7_enveloped || type == NID_id_smime_ct_authEnvelopedData)
    return decrypt_body(cms.cms.get(), body, binary, scratch, options, v, entity);
  if (type == NID_pkcs7_signed) {
    if (options.require_encryption) note_failure(v, Reason::not_encrypted, "signed only");
    return detail::SignedMessage{std::move(cms.cms), scratch.contents(cms.content.begin, cms.content.end), true};
  }
  note_failure(v, Reason::malformed, std::string("unsupported CMS content type ") + OBJ_nid2sn(type));
  return std::nullopt;
}

// A verified signature's receipt request, and the SignedData that
// sign_receipt will need. A request that cannot be used is only noted in
// the detail: it must not make good mail undeliverable.
Result<> read_request(detail::SignedMessage& message, Verdict& v) {
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(message.cms.get()), 0);
  if (si == nullptr) return {};
  detail::RequestFound found = detail::read_receipt_request(si);
  if (!found.problem.empty()) v.detail = found.problem + "; no receipt will be sent";
  if (!found.request) return {};
  auto der = detail::detached_der(message.cms.get());
  if (!der) return std::unexpected(der.error());
  v.receipt_request = std::move(found.request);
  v.signed_data = std::move(*der);
  return {};
}

// Copy the verified message to the caller's output.
Result<bool> release(const MessageSource& content, BIO* out) {
  auto in = content.open();
  if (!in) return std::unexpected(in.error());
  std::vector<char> buf(1u << 16);
  bool any = false;
  int n;
  while ((n = BIO_read(in->get(), buf.data(), static_cast<int>(buf.size()))) > 0) {
    if (!detail::write_all(out, std::string_view(buf.data(), static_cast<std::size_t>(n))))
      return local_error("writing the opened message failed");
    any = true;
  }
  if (n < 0) return local_error("reading the opened message back failed");
  if (any && BIO_flush(out) <= 0) return local_error("writing the opened message failed");
  return any;
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

  auto scratch = detail::ScratchFile::create(options.scratch_folder);
  if (!scratch) return std::unexpected(scratch.error());
  MessageSource entity = message;
  auto signed_message = unwrap(message, *head, *outer, *scratch, options, v, entity);
  if (!signed_message) return std::unexpected(signed_message.error());
  if (!*signed_message) return v;
  if (auto r = verify_signed(**signed_message, *outer, options, v); !r) return std::unexpected(r.error());
  if (v.verified()) {
    if (auto r = read_request(**signed_message, v); !r) return std::unexpected(r.error());
    if (options.signed_out != nullptr)
      if (auto copied = release(entity, options.signed_out); !copied) return std::unexpected(copied.error());
  }

  if (out != nullptr && v.signed_content && may_release(v)) {
    auto released = release((*signed_message)->content, out);
    if (!released) return std::unexpected(released.error());
    v.released = *released;
  }
  return v;
}

}  // namespace sm::smime
