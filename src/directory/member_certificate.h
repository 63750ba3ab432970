// member_certificate.h - a member's certificate checked when it is first
// used, not when the feed is applied.
//
// Applying a feed trusts the authority's CMS signature over the whole
// member list (verify_feed checks it), so 100,000 certificates are neither
// parsed nor chained at apply time. Each certificate is checked the first
// time a gateway uses it - sealing to the member, verifying a signature
// from it, pinning its TLS certificate - with the same rules the apply of
// a feed used before: it parses as exactly one certificate, it chains to
// the authority for S/MIME encryption (a CRL is checked when one is
// current; none is required), and it names every domain of its member as
// a SAN dNSName. A failure is a certificate_mismatch naming the member and
// the certificate, as the feed's refusal did; the caller treats the whole
// member as refused (gateway/member_certs.h). A suspended member may keep
// a revoked certificate, as before.
//
// Checks run "now" against first_use_trust(): the chain answer comes from
// that store's chain cache (pki/chain_cache.h), so it is made once per
// certificate per CRL version.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/feed.h"
#include "pki/openssl.h"
#include "pki/trust.h"

namespace sm::directory {

// One certificate of a feed as a PEM text, parsed once.
struct ParsedCertificate {
  ossl::X509Ptr cert;                   // null when the text is not exactly one certificate
  std::string sha256;                   // lower-case hex fingerprint of the DER (when parsed)
  std::vector<std::string> dns_names;   // SAN dNSNames, lower-case, sorted
  std::string problem;                  // why cert is null: "does not parse: ...", "holds 2 certificates, not one"
};
ParsedCertificate parse_member_certificate(std::string_view pem);

// Why this chain answer makes a member certificate unusable ("does not
// chain to the authority for S/MIME encryption: expired (...)"); empty
// when ok.
std::string chain_problem(const pki::ChainResult& chain);

// certificate_mismatch when certificate `index` of `member` may not be
// used now; nothing when it may. `trust` is FirstUseTrust's store (null:
// the chain is not checked, only the parse and the domain names).
std::optional<FeedError> check_member_certificate(const Member& member, std::size_t index,
                                                  const ParsedCertificate& parsed, const pki::TrustStore* trust);

// The store member certificates are checked against at `at_time`: the
// anchors of `trust` and those of its CRLs current at that time, with no
// CRL required (the gateway's own CRL running late is not the member's
// fault; the signer check of every opened message still requires one).
// *recheck_at (when given) is when that choice of CRLs may change.
Result<pki::TrustStore> member_trust(const pki::TrustStore& trust, std::int64_t at_time,
                                     std::int64_t* recheck_at = nullptr);

// member_trust() kept for as long as it holds, so its chain cache is kept
// too: rebuilt when the gateway's store changes (a new CRL) or a CRL in
// use expires. Thread-safe.
class FirstUseTrust {
 public:
  Result<std::shared_ptr<const pki::TrustStore>> at(const std::shared_ptr<const pki::TrustStore>& gateway,
                                                    std::int64_t now);

 private:
  std::mutex mu_;
  std::shared_ptr<const pki::TrustStore> source_, store_;
  std::int64_t recheck_at_ = 0;
};

}  // namespace sm::directory
