// entity_reader.h - reading the S/MIME entities of a message for open(),
// streaming: a CMS body (base64, or DER for Content-Transfer-Encoding:
// binary) walked by ber_reader into a detached CMS structure, and the
// signed layer (multipart/signed split in place, or opaque SignedData
// whose content is copied out to the scratch file).
//
// Nothing here decides a verdict beyond "this cannot be read"
// (malformed) and "this is not signed" (unsigned_content); the checks
// come after, in open.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mime/header.h"
#include "smime/ber_reader.h"
#include "smime/multipart_split.h"
#include "smime/scratch_file.h"
#include "smime/signature.h"
#include "smime/source.h"
#include "smime/verdict.h"
#include "util/error.h"

namespace sm::smime::detail {

struct CmsBody {
  ossl::CmsPtr cms;   // content detached
  CmsType type = CmsType::other;
  PartRange content;  // SignedData only: its content, in the scratch file
};

// A fresh read of `body` decoded: base64 (what OpenSSL's S/MIME reader
// reads), or DER as it is when `binary`.
Result<ossl::BioPtr> decoded_body(const MessageSource& body, bool binary);

// Walk the ContentInfo in `body`. A SignedData's content is appended to
// `scratch`; an (Auth)EnvelopedData's ciphertext is skipped (read it with
// feed_ciphertext). nullopt with malformed noted ("<what>: why").
Result<std::optional<CmsBody>> read_cms_body(const MessageSource& body, bool binary, ScratchFile& scratch,
                                             std::string_view what, Verdict& v);

// Write the ciphertext of the (Auth)EnvelopedData in `body` into `cipher`
// (a second pass over the source).
Result<> feed_ciphertext(const MessageSource& body, bool binary, BIO* cipher);

// The signed layer of an entity whose header is parsed: multipart/signed
// or application/pkcs7-mime signed-data. `text` is the entity's start (the
// header block). nullopt with malformed or unsigned_content noted.
Result<std::optional<SignedMessage>> read_signed_entity(const MessageSource& entity, std::string_view text,
                                                        const mime::HeaderBlock& header, ScratchFile& scratch,
                                                        std::string_view what, Verdict& v);

}  // namespace sm::smime::detail
