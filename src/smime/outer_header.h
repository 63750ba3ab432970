// outer_header.h - the header of what seal() and sign() write: the fields a
// mail system needs to route and show the message, copied from the
// original (whose full header travels protected inside), then our MIME
// fields.
#pragma once

#include <string>

#include "smime/engine.h"
#include "smime/source.h"
#include "util/error.h"

namespace sm::smime::detail {

// From, To, Cc, Date, Subject, Message-ID, Reply-To, In-Reply-To and
// References, every occurrence in original order, as received (folding
// kept) with CRLF line ends. Error (552 5.3.4) when the header block is
// over mime::HeaderBlock's limit.
Result<std::string> copied_header_fields(const MessageSource& message);

// MIME-Version, Content-Type (application/pkcs7-mime with the smime-type
// for the cipher), Content-Transfer-Encoding (base64, or binary for the
// BINARYMIME form), Content-Disposition, and the empty line that ends the
// header.
std::string enveloped_mime_fields(Cipher cipher, bool binary = false);

}  // namespace sm::smime::detail
