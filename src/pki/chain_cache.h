// chain_cache.h - remembered chain checks: a certificate chain that
// verified "now" is not verified again for every message while nothing it
// depended on can have changed.
//
// A TrustStore owns one ChainCache (TrustStore::chain_cache()). A store's
// anchors and CRLs never change, and a new CRL always comes as a new store
// (GatewayKeys::reload_trust), so the cache is per CRL version by
// construction: loading a new CRL starts from an empty cache and a
// revocation can never be hidden by an old answer.
//
// An entry is keyed by the purpose and the SHA-256 of the leaf and of each
// intermediate offered with it, holds only an "ok" answer (a failure is
// never cached, so a tampered or revoked certificate is checked every time)
// and holds only until the earliest notAfter in the built chain or the
// earliest nextUpdate of the store's CRLs, whichever comes first. It is
// only for checks "now": callers validating at another time call
// verify_chain. Bounded: when full, expired entries go first, then all.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "pki/openssl.h"
#include "pki/trust.h"

namespace sm::pki {

class ChainCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 16384;
  using Clock = std::function<std::int64_t()>;  // unix seconds

  explicit ChainCache(std::size_t capacity = kDefaultCapacity);

  // verify_chain(trust, leaf, intermediates, purpose, now), answered from
  // the cache while an earlier "ok" still holds. `trust` must be the store
  // that owns this cache.
  ChainResult verify(const TrustStore& trust, X509* leaf, STACK_OF(X509)* intermediates, Purpose purpose);

  // Tests: what "now" is (default: the system clock).
  void set_clock(Clock clock);

  struct Stats {
    std::uint64_t hits = 0, misses = 0;
    std::size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    ChainResult result;
    std::int64_t until = 0;  // good while now < until
  };
  std::int64_t now() const;
  void insert(std::string key, const ChainResult& result, std::int64_t now);

  std::size_t capacity_;
  mutable std::mutex mu_;
  Clock clock_;
  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace sm::pki
