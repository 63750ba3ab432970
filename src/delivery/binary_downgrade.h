// binary_downgrade.h - turning our own sealed message from its BINARYMIME
// form (application/pkcs7-mime, Content-Transfer-Encoding: binary, the CMS
// as BER) into the base64 form on the fly, for a next hop that does not
// offer BINARYMIME (RFC 3030 3: a binary body may only be sent to a server
// that announces it; Postfix offers CHUNKING but not BINARYMIME).
//
// Streaming in bounded memory: the header is held until its end (at most
// mime::HeaderBlock's limit), then the body goes out as 76-column base64
// lines with CRLF ends, three octets at a time. Only a header that is our
// sealed form is converted: anything else is refused (554 5.6.3, the
// conversion is not permitted), never rewritten.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace sm::delivery {

class BinaryDowngrade {
 public:
  // Take the next stored octets and append what can be sent to `out`.
  // Errors: the header is not the sealed binary form, or too large.
  Result<void> feed(std::string_view in, std::string& out);
  // After the last octet: the final base64 line. Error when the header
  // never ended.
  Result<void> finish(std::string& out);

  // The size of `size` stored octets after conversion, an upper bound
  // (the header is counted as if it were body): for SIZE=.
  static std::uint64_t estimated_size(std::uint64_t size);

 private:
  Result<void> rewrite_header(std::string& out);
  void encode(std::string_view in, std::string& out);

  bool in_body_ = false;
  std::string header_;  // until the empty line; then empty
  std::string carry_;   // body octets not yet making a whole line (< 57)
};

}  // namespace sm::delivery
