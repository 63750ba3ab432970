// member_certificate.cpp - the first-use check of a member certificate
// (see member_certificate.h); validate.cpp uses the same parsing and
// wording for the authority's checks, so both say the same thing.
#include "directory/member_certificate.h"

#include <algorithm>
#include <limits>

#include "pki/certificate.h"
#include "pki/chain_cache.h"

namespace sm::directory {

namespace {

std::optional<std::int64_t> unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

ParsedCertificate parse_member_certificate(std::string_view pem) {
  ParsedCertificate out;
  auto certs = pki::parse_certificates_pem(pem);
  if (!certs) {
    out.problem = "does not parse: " + certs.error().text;
    return out;
  }
  if (certs->size() != 1) {
    out.problem = "holds " + std::to_string(certs->size()) + " certificates, not one";
    return out;
  }
  out.cert = std::move(certs->front());
  out.sha256 = pki::fingerprint(out.cert.get());
  out.dns_names = pki::describe(out.cert.get()).dns_names;
  std::sort(out.dns_names.begin(), out.dns_names.end());
  return out;
}

std::string chain_problem(const pki::ChainResult& chain) {
  if (chain.ok()) return {};
  return "does not chain to the authority for S/MIME encryption: " + std::string(pki::to_string(chain.status)) +
         " (" + chain.detail + ")";
}

std::optional<FeedError> check_member_certificate(const Member& member, std::size_t index,
                                                  const ParsedCertificate& parsed, const pki::TrustStore* trust) {
  auto refused = [&](const std::string& why) {
    return FeedError{Rejection::certificate_mismatch,
                     "member " + member.id + " certificates[" + std::to_string(index) + "] " + why};
  };
  if (!parsed.cert) return refused(parsed.problem);
  if (trust != nullptr) {
    pki::ChainResult chain =
        trust->chain_cache().verify(*trust, parsed.cert.get(), nullptr, pki::Purpose::smime_encrypt);
    if (!chain.ok()) {
      if (chain.status == pki::ChainStatus::revoked && member.status == Status::suspended) return std::nullopt;
      return refused(chain_problem(chain));
    }
  }
  for (const std::string& d : member.domains)
    if (!std::binary_search(parsed.dns_names.begin(), parsed.dns_names.end(), d))
      return refused("does not name domain " + d);
  return std::nullopt;
}

Result<pki::TrustStore> member_trust(const pki::TrustStore& trust, std::int64_t at_time, std::int64_t* recheck_at) {
  std::int64_t change = std::numeric_limits<std::int64_t>::max();
  std::vector<ossl::X509Ptr> anchors;
  for (const auto& a : trust.anchors()) anchors.push_back(pki::clone(a.get()));
  std::vector<ossl::X509CrlPtr> crls;
  for (const auto& c : trust.crls()) {
    auto last = unix_time(X509_CRL_get0_lastUpdate(c.get()));
    const ASN1_TIME* next_field = X509_CRL_get0_nextUpdate(c.get());
    auto next = unix_time(next_field);
    if (!last || (next_field != nullptr && !next)) continue;  // unreadable dates: never current
    if (*last > at_time) {  // not current yet: becomes so at its thisUpdate
      change = std::min(change, *last);
      continue;
    }
    if (next && at_time > *next) continue;  // past its nextUpdate: stays so
    if (next) change = std::min(change, *next + 1);
    X509_CRL_up_ref(c.get());
    crls.emplace_back(c.get());
  }
  if (recheck_at != nullptr) *recheck_at = change;
  return pki::TrustStore::make(std::move(anchors), std::move(crls), {.require_crl = false});
}

Result<std::shared_ptr<const pki::TrustStore>> FirstUseTrust::at(const std::shared_ptr<const pki::TrustStore>& gateway,
                                                                 std::int64_t now) {
  if (!gateway) return local_error("no trust store to check member certificates with");
  std::lock_guard lock(mu_);
  if (gateway != source_ || !store_ || now >= recheck_at_) {
    auto made = member_trust(*gateway, now, &recheck_at_);
    if (!made) return std::unexpected(made.error());
    store_ = std::make_shared<const pki::TrustStore>(std::move(*made));
    source_ = gateway;
  }
  return store_;
}

}  // namespace sm::directory
