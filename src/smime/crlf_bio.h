// crlf_bio.h - a filter BIO that turns bare LF into CRLF (CRLF passes
// unchanged), on write and on read.
//
// Why: S/MIME signs the canonical (CRLF) form, and everything we emit must
// be CRLF, but OpenSSL's BIO_f_base64 and the signature part written by
// SMIME_write_CMS end their lines with a bare LF. Writing through this
// filter fixes that on the fly, without buffering. Reading through it
// canonicalises a message that is about to be signed.
#pragma once

#include "pki/openssl.h"

namespace sm::smime::detail {

enum class FlushMode {
  pass,  // BIO_flush goes on down the chain (the normal filter behaviour)
  stop,  // BIO_flush stops here: used between SMIME_write_CMS and the
         // encrypting BIO below it, which SMIME_write_CMS flushes several
         // times mid-stream (that would finalise the encryption too early)
};

// A new, unchained filter; null only when out of memory.
ossl::BioPtr new_crlf_filter(FlushMode mode = FlushMode::pass);

}  // namespace sm::smime::detail
