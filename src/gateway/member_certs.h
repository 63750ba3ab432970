// member_certs.h - the certificates the directory lists for a member,
// parsed once and kept (the feed carries PEM text): what we encrypt to,
// and the fingerprints a member's signature and TLS certificate must
// match. Safe to use from every thread; entries live as long as the cache.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "pki/openssl.h"
#include "util/error.h"

namespace sm::gateway {

struct MemberCertificate {
  const X509* cert = nullptr;  // owned by the cache
  std::string sha256;          // lower-case hex
};

class MemberCertificates {
 public:
  // Every certificate of the member (several during a key rotation).
  // An error (4.7.5, temporary: the authority will publish a fixed entry)
  // when the entry holds none that parses.
  Result<std::vector<MemberCertificate>> of(const directory::Member& member);
  // Just the fingerprints (empty when none parse).
  std::vector<std::string> fingerprints(const directory::Member& member);
  // The active member whose directory entry lists a certificate with this
  // fingerprint (a TLS client certificate); null when none. Indexed once
  // per directory snapshot.
  const directory::Member* member_with_certificate(const std::shared_ptr<const directory::Directory>& directory,
                                                   std::string_view sha256);

 private:
  std::shared_ptr<const directory::Directory> indexed_;
  std::unordered_map<std::string, const directory::Member*> by_fingerprint_;
  std::mutex mu_;
  std::map<std::string, std::pair<ossl::X509Ptr, std::string>, std::less<>> by_pem_;
};

}  // namespace sm::gateway
