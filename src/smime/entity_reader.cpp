// entity_reader.cpp - the S/MIME entity readers of open() (see
// entity_reader.h).
#include "smime/entity_reader.h"

#include <openssl/err.h>

#include "smime/bio_chain.h"
#include "smime/checks.h"

namespace sm::smime::detail {
namespace {

constexpr std::size_t kMaxSignaturePart = 1u << 20;  // a detached SignedData: certificates and a signature

std::string type_name(const CMS_ContentInfo* cms) {
  return OBJ_nid2sn(OBJ_obj2nid(CMS_get0_type(cms)));
}

// Part 2 of a multipart/signed: application/pkcs7-signature, base64 DER.
std::optional<ossl::CmsPtr> read_signature_part(const MessageSource& part, std::string_view what, Verdict& v) {
  auto size = part.size();
  if (!size || *size > kMaxSignaturePart) {
    note_failure(v, Reason::malformed, std::string(what) + ": signature part larger than 1 MiB");
    return std::nullopt;
  }
  auto text = part.head(kMaxSignaturePart);
  std::optional<mime::HeaderBlock> header;
  if (text)
    if (auto h = mime::HeaderBlock::parse(*text)) header = std::move(*h);
  std::string type = header ? media_type(*header) : std::string();
  if (!header || (type != "application/pkcs7-signature" && type != "application/x-pkcs7-signature")) {
    note_failure(v, Reason::malformed, std::string(what) + ": second part is " + (type.empty() ? "unreadable" : type) +
                                           ", not application/pkcs7-signature");
    return std::nullopt;
  }
  std::string_view body = std::string_view(*text).substr(header->body_offset());
  ossl::BioPtr b64(BIO_new(BIO_f_base64()));
  BIO* in = b64 ? BIO_new_mem_buf(body.data(), static_cast<int>(body.size())) : nullptr;
  if (in == nullptr) {
    note_failure(v, Reason::malformed, "out of memory");
    return std::nullopt;
  }
  BIO_push(b64.get(), in);
  ERR_clear_error();
  ossl::CmsPtr cms(d2i_CMS_bio(b64.get(), nullptr));
  if (!cms) {
    note_failure(v, Reason::malformed, std::string(what) + ": " + ossl::openssl_error("does not parse"));
    return std::nullopt;
  }
  return cms;
}

Result<std::optional<SignedMessage>> read_multipart(const MessageSource& entity, std::string_view text,
                                                    const mime::HeaderBlock& header, std::string_view what,
                                                    Verdict& v) {
  bool crlf = (smime_read_flags(text, header) & SMIME_CRLFEOL) != 0;
  auto parts = split_multipart_signed(entity, header, crlf);
  if (!parts) return std::unexpected(parts.error());
  if (!parts->malformed.empty()) {
    note_failure(v, Reason::malformed, std::string(what) + ": " + parts->malformed);
    return std::nullopt;
  }
  auto cms = read_signature_part(entity.slice(parts->signature.begin, parts->signature.end), what, v);
  if (!cms) return std::nullopt;
  if (OBJ_obj2nid(CMS_get0_type(cms->get())) != NID_pkcs7_signed) {
    note_failure(v, Reason::unsigned_content, "inner content is " + type_name(cms->get()) + ", not signed");
    return std::nullopt;
  }
  return SignedMessage{std::move(*cms), entity.slice(parts->content.begin, parts->content.end), false};
}

}  // namespace

Result<ossl::BioPtr> decoded_body(const MessageSource& body, bool binary) {
  auto in = body.open();
  if (!in || binary) return in;
  ossl::BioPtr b64(BIO_new(BIO_f_base64()));
  if (!b64) return local_error("out of memory");
  BIO_push(b64.get(), in->release());
  return b64;
}

Result<std::optional<CmsBody>> read_cms_body(const MessageSource& body, bool binary, ScratchFile& scratch,
                                             std::string_view what, Verdict& v) {
  auto size = body.size();
  if (!size) return std::unexpected(size.error());
  auto in = decoded_body(body, binary);
  if (!in) return std::unexpected(in.error());
  if (auto f = scratch.flush(); !f) return std::unexpected(f.error());
  CmsBody out;
  out.content.begin = scratch.size();
  BIO* writer = scratch.writer();
  auto layout = read_cms_layout(in->get(), *size, [writer](CmsType type, std::string_view octets) {
    return type != CmsType::signed_data || write_all(writer, octets);
  });
  if (!layout) return std::unexpected(layout.error());
  if (auto f = scratch.flush(); !f) return std::unexpected(f.error());
  out.content.end = scratch.size();
  if (!layout->malformed.empty()) {
    note_failure(v, Reason::malformed, std::string(what) + ": " + layout->malformed);
    return std::nullopt;
  }
  ERR_clear_error();
  out.cms = parse_skeleton(layout->skeleton);
  if (!out.cms) {
    note_failure(v, Reason::malformed, std::string(what) + ": " + ossl::openssl_error("does not parse"));
    return std::nullopt;
  }
  out.type = layout->type;
  return out;
}

Result<> feed_ciphertext(const MessageSource& body, bool binary, BIO* cipher) {
  auto size = body.size();
  if (!size) return std::unexpected(size.error());
  auto in = decoded_body(body, binary);
  if (!in) return std::unexpected(in.error());
  auto layout = read_cms_layout(in->get(), *size, [cipher](CmsType type, std::string_view octets) {
    return (type != CmsType::enveloped_data && type != CmsType::auth_enveloped_data) || write_all(cipher, octets);
  });
  if (!layout) return std::unexpected(layout.error());
  if (!layout->malformed.empty()) return local_error("the message changed while it was read: " + layout->malformed);
  return {};
}

Result<std::optional<SignedMessage>> read_signed_entity(const MessageSource& entity, std::string_view text,
                                                        const mime::HeaderBlock& header, ScratchFile& scratch,
                                                        std::string_view what, Verdict& v) {
  if (smime_form(header) == SmimeForm::multipart_signed) return read_multipart(entity, text, header, what, v);
  auto body = read_cms_body(entity.slice(header.body_offset(), UINT64_MAX), false, scratch, what, v);
  if (!body || !*body) return body ? Result<std::optional<SignedMessage>>(std::nullopt) : std::unexpected(body.error());
  if ((*body)->type != CmsType::signed_data || OBJ_obj2nid(CMS_get0_type((*body)->cms.get())) != NID_pkcs7_signed) {
    note_failure(v, Reason::unsigned_content, "inner content is " + type_name((*body)->cms.get()) + ", not signed");
    return std::nullopt;
  }
  PartRange r = (*body)->content;
  return SignedMessage{std::move((*body)->cms), scratch.contents(r.begin, r.end), true};
}

}  // namespace sm::smime::detail
