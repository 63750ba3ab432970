// trust.h - chain validation against the SecureMail authority: RFC 5280
// path building with OpenSSL's X509_STORE, validity dates, key usage and
// extended key usage for the purpose, and CRL revocation checks, each
// failure reported as its own status.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::pki {

class ChainCache;

struct TrustOptions {
  // Revocation: with require_crl, every certificate of the chain below the
  // anchor is checked against its issuer's CRL. When an anchor's CRL is
  // not loaded or past nextUpdate the chain fails as crl_unavailable (ours
  // to fetch again); when another issuer's is (a subordinate CA: its CRL
  // never reaches a gateway) as untrusted. Without require_crl the leaf's
  // CRL is checked when one is loaded and ignored otherwise.
  bool require_crl = true;
};

// The trust anchors (the authority certificates) and their CRLs.
class TrustStore {
 public:
  static Result<TrustStore> make(std::vector<ossl::X509Ptr> anchors,
                                 std::vector<ossl::X509CrlPtr> crls,
                                 TrustOptions options = {});
  // anchors_pem: one or more CA certificates. crl_pem: may be empty path
  // or a missing file (then no CRL is loaded).
  static Result<TrustStore> load(const std::filesystem::path& anchors_pem,
                                 const std::filesystem::path& crl_pem,
                                 TrustOptions options = {});

  X509_STORE* get() const { return store_.get(); }
  const TrustOptions& options() const { return options_; }
  const std::vector<ossl::X509Ptr>& anchors() const { return anchors_; }
  const std::vector<ossl::X509CrlPtr>& crls() const { return crls_; }
  // Chain checks "now" against this store, remembered (chain_cache.h). A
  // store never changes, so the cache lives and dies with its CRL version.
  ChainCache& chain_cache() const { return *chain_cache_; }

 private:
  ossl::X509StorePtr store_;
  std::vector<ossl::X509Ptr> anchors_;
  std::vector<ossl::X509CrlPtr> crls_;
  TrustOptions options_;
  std::shared_ptr<ChainCache> chain_cache_;
};

// smime_encrypt accepts keyEncipherment (RSA) or keyAgreement (EC) on the
// leaf; OpenSSL's own S/MIME-encrypt purpose would refuse every EC leaf.
enum class Purpose { smime_sign, smime_encrypt, tls_server, tls_client };

enum class ChainStatus {
  ok,
  untrusted,         // no path to an anchor (foreign CA, self-signed, missing intermediate)
  expired,           // the leaf or an issuer is past notAfter
  not_yet_valid,
  revoked,
  crl_unavailable,   // CRL required but missing, expired or not yet valid, or its signature is bad
  wrong_usage,       // keyUsage / extendedKeyUsage / basicConstraints do not allow the purpose
  weak,              // a key or certificate signature in the chain under security level 2 (112 bits)
  invalid,           // anything else (bad signature on a certificate, malformed)
};
std::string_view to_string(ChainStatus status);  // "untrusted", "expired", ...

struct ChainResult {
  ChainStatus status = ChainStatus::invalid;
  std::string detail;               // OpenSSL's verify error text and depth
  std::vector<std::string> chain;   // subjects, leaf first, when a path was built
  // When ok: the answer holds until this unix time (the earliest notAfter
  // in the chain, or the earliest nextUpdate of the store's CRLs).
  std::int64_t valid_until = 0;
  bool ok() const { return status == ChainStatus::ok; }
};

// Validate leaf (with optional untrusted intermediates) for the purpose.
// at_time: unix seconds to validate at; 0 = now.
ChainResult verify_chain(const TrustStore& trust, X509* leaf, STACK_OF(X509)* intermediates,
                         Purpose purpose, std::int64_t at_time = 0);

}  // namespace sm::pki
