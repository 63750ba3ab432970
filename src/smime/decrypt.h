// decrypt.h - the encryption layer of open(): find a RecipientInfo for one
// of our keys, unwrap the content key, decrypt (and for GCM authenticate)
// the content as it streams, into a BIO the caller gives (open()'s
// scratch file, never its output).
#pragma once

#include <functional>

#include "pki/openssl.h"
#include "smime/engine.h"
#include "smime/verdict.h"
#include "util/error.h"

namespace sm::smime::detail {

// Writes the ciphertext (encryptedContent octets, in order) into `cipher`.
using CiphertextFeed = std::function<Result<>(BIO* cipher)>;

// `cms` is EnvelopedData or AuthEnvelopedData, its content detached (or
// not: then `feed` still supplies it). Fills the encryption fields of `v`.
// Writes the plaintext (the inner MIME entity) to `plain` and returns true
// when it decrypted and (GCM) the tag or (CBC) the padding checked; false
// with v.reason set to cbc_not_allowed, not_for_us or decrypt_failed, and
// then what `plain` got must be thrown away. An error only for local
// trouble (I/O, out of memory).
Result<bool> decrypt(CMS_ContentInfo* cms, const OpenOptions& options, Verdict& v, const CiphertextFeed& feed,
                     BIO* plain);

}  // namespace sm::smime::detail
