// certificate_cache.cpp - see certificate_cache.h. Changes are journalled
// (cleared / removed / added) so the replica writes only what changed.
#include "directory/certificate_cache.h"

#include <utility>

namespace sm::directory {

void CertificateCache::bind(std::string_view trust_state) {
  if (trust_state == trust_state_) return;
  entries_.clear();
  removed_.clear();
  added_.clear();
  cleared_ = true;
  trust_state_ = trust_state;
}

const CertificateFacts* CertificateCache::find(std::string_view pem_digest, std::int64_t at_time,
                                               bool crl_in_use) const {
  auto it = entries_.find(pem_digest);
  if (it == entries_.end()) return nullptr;
  const CertificateFacts& f = it->second;
  if (at_time < f.not_before || at_time > f.not_after) return nullptr;
  if (crl_in_use && !f.crl_checked) return nullptr;
  return &f;
}

void CertificateCache::insert(std::string pem_digest, CertificateFacts facts) {
  removed_.erase(pem_digest);
  added_.insert(pem_digest);
  entries_.insert_or_assign(std::move(pem_digest), std::move(facts));
}

void CertificateCache::retain(const std::unordered_set<std::string_view>& digests) {
  std::erase_if(entries_, [&](const auto& entry) {
    if (digests.contains(entry.first)) return false;
    added_.erase(entry.first);
    removed_.insert(entry.first);
    return true;
  });
}

CertificateCache::Changes CertificateCache::take_changes() {
  Changes c;
  c.cleared = std::exchange(cleared_, false);
  c.trust_state = trust_state_;
  c.removed.assign(removed_.begin(), removed_.end());
  for (const std::string& digest : added_) {
    auto it = entries_.find(digest);
    if (it != entries_.end()) c.added.emplace_back(digest, &it->second);
  }
  removed_.clear();
  added_.clear();
  return c;
}

void CertificateCache::restore(std::string_view trust_state, std::string pem_digest, CertificateFacts facts) {
  if (trust_state != trust_state_) {
    entries_.clear();
    trust_state_ = trust_state;
  }
  entries_.insert_or_assign(std::move(pem_digest), std::move(facts));
}

}  // namespace sm::directory
