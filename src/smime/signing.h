// signing.h - the signed MIME entity shared by sign() and seal(): a
// streaming CMS SignedData over the message, written by SMIME_write_CMS as
// multipart/signed (detached) or application/pkcs7-mime signed-data
// (opaque), all CRLF.
#pragma once

#include "smime/engine.h"
#include "util/error.h"

namespace sm::smime::detail {

// The digest `chosen`; automatic: SHA-384 for P-384 (and larger EC) keys,
// SHA-256 otherwise.
const EVP_MD* digest_for(const EVP_PKEY* key, Digest chosen = Digest::automatic);

// Write the entity, starting with its MIME-Version and Content-Type fields,
// into `into`. The message is read once, canonicalised to CRLF on the fly
// and never held in memory. `into` is flushed by the caller (it may be an
// encrypting BIO that a flush would finalise).
Result<> write_signed_entity(const MessageSource& message, BIO* into, const Identity& signer,
                             const SignOptions& options);

}  // namespace sm::smime::detail
