// decrypt.h - the encryption layer of open(): find a RecipientInfo for one
// of our keys, unwrap the content key, decrypt (and for GCM authenticate)
// the content into memory.
#pragma once

#include "pki/openssl.h"
#include "smime/engine.h"
#include "smime/verdict.h"
#include "util/error.h"

namespace sm::smime::detail {

// `cms` is EnvelopedData or AuthEnvelopedData. Fills the encryption fields
// of `v`. Returns the plaintext (the inner MIME entity) in a memory BIO,
// or null with v.reason set to cbc_not_allowed, not_for_us or
// decrypt_failed. An error only for local trouble (out of memory).
Result<ossl::BioPtr> decrypt(CMS_ContentInfo* cms, const OpenOptions& options, Verdict& v);

}  // namespace sm::smime::detail
