// member_certs.h - the certificates the directory lists for a member,
// parsed once and checked on first use: what we encrypt to, and the
// fingerprints a member's signature and TLS certificate must match.
//
// A feed is applied without looking at its certificates (the authority's
// signature covers them); this cache is where a gateway checks one, the
// first time it seals to the member, verifies a signature from it or pins
// its TLS certificate (directory/member_certificate.h has the rules: parse,
// chain to the directory authority, name every domain of the member).
// A member with a certificate that fails is refused as a whole, as a feed
// with such a member used to be: sealing to it is deferred (4.7.5, the
// authority must publish a fixed entry), no fingerprint of it is trusted
// for a signature or a TLS session. The parse is kept per PEM text (once
// per certificate, whatever the number of messages); the chain answer is
// kept by the trust store's chain cache (once per CRL version).
//
// Safe to use from every thread; a MemberCertificate keeps its certificate
// alive for as long as it is held.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "directory/directory.h"
#include "directory/member_certificate.h"
#include "pki/openssl.h"
#include "pki/trust.h"
#include "util/error.h"

namespace sm::gateway {

struct MemberCertificate {
  const X509* cert = nullptr;  // valid while `parsed` is held
  std::string sha256;          // lower-case hex
  std::shared_ptr<const directory::ParsedCertificate> parsed;  // keeps cert alive after the cache drops it
};

class MemberCertificates {
 public:
  // What member certificates must chain to now (DirectoryRuntime::member_trust).
  using TrustSource = std::function<std::shared_ptr<const pki::TrustStore>()>;
  // Without a trust source (a delivery agent run on its own in tests)
  // there is no authority to check against: certificates are only parsed.
  explicit MemberCertificates(TrustSource trust = {});

  // Every certificate of the member (several during a key rotation), each
  // checked on first use. An error (451 4.7.5, temporary: the authority
  // will publish a fixed entry) naming the failed certificate when one of
  // them fails its check, or when the entry holds none.
  Result<std::vector<MemberCertificate>> of(const directory::Member& member);
  // Just the fingerprints (empty when the member is refused).
  std::vector<std::string> fingerprints(const directory::Member& member);
  // The active member whose directory entry lists a certificate with this
  // fingerprint (a TLS client certificate) and passes its check; null when
  // none. The fingerprint index is built once per directory snapshot
  // without parsing certificates; parsed certificates no longer in the
  // snapshot are dropped then.
  const directory::Member* member_with_certificate(const std::shared_ptr<const directory::Directory>& directory,
                                                   std::string_view sha256);

 private:
  std::shared_ptr<const directory::ParsedCertificate> parsed(const std::string& pem);  // with mu_ held
  Result<std::vector<MemberCertificate>> check(const directory::Member& member);  // with mu_ held
  TrustSource trust_;
  directory::FirstUseTrust first_use_;
  std::mutex mu_;
  std::shared_ptr<const directory::Directory> indexed_;
  std::unordered_map<std::string, const directory::Member*> by_fingerprint_;
  std::unordered_map<std::string, std::shared_ptr<const directory::ParsedCertificate>> by_pem_;
};

}  // namespace sm::gateway
