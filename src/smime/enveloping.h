// enveloping.h - the (Auth)EnvelopedData set-up shared by seal() and
// encrypt_blob(): a streaming CMS structure with one RecipientInfo per
// certificate (RSA-OAEP/PKCS#1 v1.5 key transport or ECDH key agreement,
// parameters as engine.h describes).
#pragma once

#include <span>

#include "pki/openssl.h"
#include "smime/engine.h"
#include "util/error.h"

namespace sm::smime::detail {

// CMS_STREAM | CMS_PARTIAL | CMS_BINARY: finish it with BIO_new_CMS and a
// flush (seal) or CMS_final (a blob in memory).
Result<ossl::CmsPtr> make_enveloped_cms(std::span<const Recipient> recipients, Cipher cipher);

}  // namespace sm::smime::detail
