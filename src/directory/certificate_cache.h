// certificate_cache.h - member certificates already found good, so that a
// gateway applying feed after feed checks only the certificates that are
// new: parsing one certificate and verifying its chain costs a few hundred
// microseconds with OpenSSL 3.0, which for 100,000 members is most of the
// cost of a feed.
//
// An entry is keyed by the SHA-256 of the certificate's PEM text as the
// feed carries it, holds only what the checks need, and counts only under
// the trust state (anchors and CRLs) it was found under and within the
// certificate's validity. Not thread-safe: one verification at a time uses
// a cache (a Replica serialises its applies, and keeps the cache in its
// database so that a restart need not examine every certificate again).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sm::directory {

struct CertificateFacts {
  std::int64_t not_before = 0, not_after = 0;  // unix seconds
  bool crl_checked = false;                    // revocation was checked against a CRL
  std::vector<std::string> dns_names;          // SAN dNSNames, lower-case, sorted
};

class CertificateCache {
 public:
  // Forget everything unless the entries were found under this trust state.
  void bind(std::string_view trust_state);
  // The facts for a certificate that chained at a time it was valid, when
  // they still hold at `at_time` (and a CRL now in use was used then).
  const CertificateFacts* find(std::string_view pem_digest, std::int64_t at_time, bool crl_in_use) const;
  void insert(std::string pem_digest, CertificateFacts facts);
  // Keep only these entries (the certificates of the feed just accepted).
  void retain(const std::unordered_set<std::string_view>& digests);
  std::size_t size() const { return entries_.size(); }

  // For keeping the cache on disk: what changed since the last call.
  struct Changes {
    bool cleared = false;              // everything before is void (new trust state)
    std::string trust_state;
    std::vector<std::string> removed;  // digests
    std::vector<std::pair<std::string, const CertificateFacts*>> added;
  };
  Changes take_changes();
  // Restore one stored entry found under `trust_state` (not a change).
  void restore(std::string_view trust_state, std::string pem_digest, CertificateFacts facts);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::string trust_state_;
  std::unordered_map<std::string, CertificateFacts, Hash, std::equal_to<>> entries_;
  bool cleared_ = false;
  std::unordered_set<std::string> removed_, added_;
};

}  // namespace sm::directory
