// tee_bio.h - a write-only filter BIO that passes everything on down its
// chain and writes a copy of it to a second BIO: seal() uses it to keep the
// signed entity it encrypts (SealOptions::signed_copy) without reading the
// message twice or holding it.
#pragma once

#include "pki/openssl.h"

namespace sm::smime::detail {

// A new, unchained tee whose copies go to `copy` (not owned; it must
// outlive the tee). A flush flushes both. Null only when out of memory.
ossl::BioPtr new_tee_filter(BIO* copy);

}  // namespace sm::smime::detail
