// ber_reader.h - a strict streaming reader for one BER-encoded CMS
// ContentInfo (RFC 5652), for open() on messages of any size.
//
// OpenSSL's d2i reads a whole structure into memory, ciphertext included.
// This reader walks the encoding once, keeps every octet of the structure
// except the content octets (EnvelopedData / AuthEnvelopedData
// encryptedContent, SignedData eContent), hands those to a sink as they
// are read, and gives back a "skeleton": the same ContentInfo with the
// content left out (detached), which d2i can then read in a few KiB. The
// content's ancestors are re-encoded with definite lengths; everything
// else is copied byte for byte (so certificates, RecipientInfos and signed
// attributes are exactly what was sent).
//
// Strict: definite and indefinite lengths, constructed OCTET STRINGs (as
// OpenSSL's streaming encoder writes the content) are read; every
// definite length is checked against what its container has left, nesting
// is bounded, primitive elements with indefinite lengths, truncation and
// anything but line ends after the ContentInfo are refused, and the
// structure outside the content is bounded (kMaxSkeleton).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::smime::detail {

enum class CmsType { other, data, signed_data, enveloped_data, auth_enveloped_data };

struct CmsLayout {
  CmsType type = CmsType::other;
  std::string skeleton;              // the ContentInfo without its content octets
  bool content_present = false;      // the content element was there (not already detached)
  std::uint64_t content_octets = 0;  // how many went to the sink
  std::string malformed;             // not empty: why this is not one well-formed ContentInfo
};

// Receives the content octets in order, with the ContentInfo's type (known
// before the content comes); false stops the walk (a local error).
using ContentSink = std::function<bool(CmsType type, std::string_view octets)>;

constexpr std::size_t kMaxBerDepth = 30;           // as OpenSSL's ASN1_MAX_CONSTRUCTED_NEST
constexpr std::size_t kMaxSkeleton = 4u << 20;     // the structure outside the content

// Read one ContentInfo from `der` (decoded octets: DER or BER), at most
// `max_octets` of them. Malformed input is reported in the layout; an
// error only when the sink fails.
Result<CmsLayout> read_cms_layout(BIO* der, std::uint64_t max_octets, const ContentSink& sink);

// d2i of a skeleton (null when it does not parse).
ossl::CmsPtr parse_skeleton(const std::string& skeleton);

}  // namespace sm::smime::detail
