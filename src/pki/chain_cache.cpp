// chain_cache.cpp - see chain_cache.h. The key is built from DER digests
// (a few microseconds) so a hit costs a small fraction of X509_verify_cert
// (100-150 us with OpenSSL 3.0).
#include "pki/chain_cache.h"

#include <ctime>
#include <vector>

namespace sm::pki {

namespace {

// Appends the SHA-256 of the certificate's DER; false when it cannot be taken.
bool append_digest(std::string& key, X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), md, &len) != 1) return false;
  key.append(reinterpret_cast<const char*>(md), len);
  return true;
}

// Purpose, leaf, then every offered intermediate in order; empty on failure.
std::string key_of(X509* leaf, STACK_OF(X509)* intermediates, Purpose purpose) {
  std::string key(1, static_cast<char>(purpose));
  if (!append_digest(key, leaf)) return {};
  for (int i = 0; intermediates != nullptr && i < sk_X509_num(intermediates); ++i)
    if (!append_digest(key, sk_X509_value(intermediates, i))) return {};
  return key;
}

}  // namespace

ChainCache::ChainCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void ChainCache::set_clock(Clock clock) {
  std::lock_guard lock(mu_);
  clock_ = std::move(clock);
  entries_.clear();
}

std::int64_t ChainCache::now() const {
  return clock_ ? clock_() : static_cast<std::int64_t>(std::time(nullptr));
}

ChainCache::Stats ChainCache::stats() const {
  std::lock_guard lock(mu_);
  return {hits_, misses_, entries_.size()};
}

ChainResult ChainCache::verify(const TrustStore& trust, X509* leaf, STACK_OF(X509)* intermediates,
                               Purpose purpose) {
  std::string key = key_of(leaf, intermediates, purpose);
  std::int64_t at;
  {
    std::lock_guard lock(mu_);
    at = now();
    if (!key.empty()) {
      auto it = entries_.find(key);
      if (it != entries_.end() && at < it->second.until) {
        ++hits_;
        return it->second.result;
      }
      if (it != entries_.end()) entries_.erase(it);
    }
    ++misses_;
  }
  // Verified outside the lock: two threads may check one chain at once, the
  // same answer either way.
  ChainResult result = verify_chain(trust, leaf, intermediates, purpose, at);
  if (result.ok() && !key.empty() && result.valid_until > at) {
    std::lock_guard lock(mu_);
    insert(std::move(key), result, at);
  }
  return result;
}

void ChainCache::insert(std::string key, const ChainResult& result, std::int64_t now) {
  if (entries_.size() >= capacity_) {
    std::erase_if(entries_, [now](const auto& e) { return e.second.until <= now; });
    if (entries_.size() >= capacity_) entries_.clear();
  }
  entries_.insert_or_assign(std::move(key), Entry{result, result.valid_until});
}

}  // namespace sm::pki
