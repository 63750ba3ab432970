// feed_crl.h - the authority's CRL as the directory feed carries it: which
// CRL a gateway takes from a verified feed, and installing it as the
// gateway's CRL file (DATA/pki/crl.pem) when it is newer than the one held.
//
// Nothing from the feed's signature vouches for a CRL (it rides beside the
// signed JSON, in the SignedData's crls set): a CRL is taken only when its
// own signature verifies with the authority certificate the feed was
// verified with, it names that authority as issuer, and it is current
// (thisUpdate <= now < nextUpdate). Any other CRL is skipped with a
// warning. A CRL never replaces a newer one of the same issuer (higher
// CRL number, or later thisUpdate when either has no number), so an old
// feed replayed cannot roll revocations back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::directory {

// The newest CRL of `crls` that `authority` signed and that is current at
// `now` (unix seconds); null when there is none. Each CRL refused is
// logged as a warning saying why.
const X509_CRL* authority_crl(const std::vector<ossl::X509CrlPtr>& crls, const X509* authority,
                              std::int64_t now);

// What install_crl did.
struct CrlInstalled {
  std::int64_t this_update = 0;  // unix seconds
  std::int64_t next_update = 0;
  // "CRL of 2026-11-23T12:00:00Z (next update 2026-12-23T12:00:00Z)"
  std::string text() const;
};

// Write `crl` to `file` (atomic, 0644) unless the file already holds a CRL
// of the same issuer that is as new or newer. CRLs of other issuers in the
// file are kept. Returns what was installed, nullopt when nothing was.
Result<std::optional<CrlInstalled>> install_crl(const std::filesystem::path& file, const X509_CRL* crl);

// Both steps for an applied feed. Logs only the CRLs refused (warnings):
// whoever installs says so (the CLI prints to stdout, where log lines
// must not go).
Result<std::optional<CrlInstalled>> install_feed_crl(const std::vector<ossl::X509CrlPtr>& crls,
                                                     const X509* authority, const std::filesystem::path& file,
                                                     std::int64_t now);

// The CRL number (RFC 5280 5.2.3) in decimal; nullopt when it has none.
std::optional<std::string> crl_number(const X509_CRL* crl);

// Seconds since the epoch of an ASN.1 time; nullopt when absent or invalid.
std::optional<std::int64_t> crl_time(const ASN1_TIME* t);

}  // namespace sm::directory
