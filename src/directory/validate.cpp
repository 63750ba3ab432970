// validate.cpp - whole-feed checks: unique ids and domains, and every
// member certificate against the authority (see validate.h).
//
// Certificates dominate the cost of applying a large feed (parsing one with
// OpenSSL 3.0 and verifying its chain takes a few hundred microseconds), so
// each distinct PEM is examined once, known ones come from the cache, and
// the rest are shared out over worker threads; members are then checked
// against those facts in feed order, so the first problem reported is the
// same whatever the scheduling.
//
// Certificates are checked as of the feed's issue time, so a feed that was
// good stays good (a certificate expiring next week does not make this
// week's stored copy unreadable). A loaded CRL is used when it covers that
// time; a CRL issued after the feed cannot, and then revocation is left to
// the check made when the certificate is used.
#include "directory/validate.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "directory/digest.h"
#include "pki/certificate.h"

namespace sm::directory::detail {

namespace {

std::string where(const Feed& feed, std::size_t i) {
  return "members[" + std::to_string(i) + "] (" + feed.members[i].id + ")";
}

std::unexpected<FeedError> refuse(Rejection reason, std::string detail) {
  return std::unexpected(FeedError{reason, std::move(detail)});
}

template <class T, int (*Encode)(const T*, unsigned char**)>
std::string der_of(const T* object) {
  unsigned char* raw = nullptr;
  int size = Encode(object, &raw);
  ossl::OpensslBytePtr owned(raw);
  return size > 0 ? std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(size)) : std::string();
}

std::optional<std::int64_t> unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

bool covers(const X509_CRL* crl, std::int64_t at_time) {
  auto last = unix_time(X509_CRL_get0_lastUpdate(crl));
  auto next = unix_time(X509_CRL_get0_nextUpdate(crl));
  return last && *last <= at_time && (X509_CRL_get0_nextUpdate(crl) == nullptr || (next && at_time <= *next));
}

// The store a feed's certificates are checked against at one time: the
// gateway's with its CRLs when one covers that time, its anchors alone
// otherwise; never requiring a CRL.
class FeedTrust {
 public:
  FeedTrust(const pki::TrustStore& trust, std::int64_t at_time) : store_(&trust), at_time_(at_time) {
    for (const auto& c : trust.crls()) uses_crl_ = uses_crl_ || covers(c.get(), at_time);
    bool exact = uses_crl_ ? !trust.options().require_crl
                           : trust.crls().empty() && !trust.options().require_crl;
    if (!exact) own_ = copy(trust, uses_crl_);
    if (own_) store_ = &*own_;
  }

  bool uses_crl() const { return uses_crl_; }

  // What the checks depended on: anchors and CRLs, as DER, digested.
  std::string state() const {
    std::string all;
    for (const auto& a : store_->anchors()) all += der_of<X509, i2d_X509>(a.get());
    for (const auto& c : store_->crls()) all += der_of<X509_CRL, i2d_X509_CRL>(c.get());
    return std::string(view(sha256(all)));
  }

  pki::ChainResult verify(X509* cert) const {
    return pki::verify_chain(*store_, cert, nullptr, pki::Purpose::smime_encrypt, at_time_);
  }

 private:
  static std::optional<pki::TrustStore> copy(const pki::TrustStore& trust, bool with_crls) {
    std::vector<ossl::X509Ptr> anchors;
    for (const auto& a : trust.anchors()) anchors.push_back(pki::clone(a.get()));
    std::vector<ossl::X509CrlPtr> crls;
    for (const auto& c : trust.crls()) {
      if (!with_crls) break;
      X509_CRL_up_ref(c.get());
      crls.emplace_back(c.get());
    }
    auto store = pki::TrustStore::make(std::move(anchors), std::move(crls), {.require_crl = false});
    return store ? std::optional<pki::TrustStore>(std::move(*store)) : std::nullopt;
  }

  const pki::TrustStore* store_;
  std::optional<pki::TrustStore> own_;
  std::int64_t at_time_;
  bool uses_crl_ = false;
};

// What one distinct certificate PEM turned out to be.
struct Examined {
  std::string problem;  // empty: one certificate, chains to the authority
  CertificateFacts facts;
  bool revoked = false;  // the problem is only that the authority revoked it
};

Examined examine(std::string_view pem, const FeedTrust& trust) {
  auto certs = pki::parse_certificates_pem(pem);
  if (!certs) return {"does not parse: " + certs.error().text, {}};
  if (certs->size() != 1)
    return {"holds " + std::to_string(certs->size()) + " certificates, not one", {}};
  X509* cert = certs->front().get();
  auto chain = trust.verify(cert);
  if (!chain.ok())
    return {"does not chain to the authority for S/MIME encryption: " +
                std::string(pki::to_string(chain.status)) + " (" + chain.detail + ")",
            {}, chain.status == pki::ChainStatus::revoked};
  pki::CertificateInfo info = pki::describe(cert);
  Examined e;
  e.facts = {info.not_before, info.not_after, trust.uses_crl(), std::move(info.dns_names)};
  std::sort(e.facts.dns_names.begin(), e.facts.dns_names.end());
  return e;
}

// examine() for the PEMs at `which`; several threads once there are enough to share.
std::vector<Examined> examine_all(const std::vector<std::string_view>& pems, const std::vector<std::size_t>& which,
                                  const FeedTrust& trust) {
  std::vector<Examined> out(which.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < which.size();)
      out[i] = examine(pems[which[i]], trust);
  };
  std::size_t wanted = std::min<std::size_t>({std::max(1u, std::thread::hardware_concurrency()), 8,
                                              which.size() / 64 + 1});
  {
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < wanted; ++t) {
      try {
        helpers.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // fewer threads, same result
      }
    }
    work();
  }  // joined here
  return out;
}

}  // namespace

Checked check_unique(const Feed& feed) {
  std::unordered_map<std::string_view, std::size_t> ids;
  ids.reserve(feed.members.size());
  for (std::size_t i = 0; i < feed.members.size(); ++i) {
    auto [it, fresh] = ids.try_emplace(feed.members[i].id, i);
    if (!fresh)
      return refuse(Rejection::duplicate_member,
                    "member id \"" + feed.members[i].id + "\" is used by members[" +
                        std::to_string(it->second) + "] and members[" + std::to_string(i) + "]");
  }
  std::unordered_map<std::string_view, std::size_t> domains;
  domains.reserve(feed.members.size() * 2);
  for (std::size_t i = 0; i < feed.members.size(); ++i) {
    for (const std::string& d : feed.members[i].domains) {
      auto [it, fresh] = domains.try_emplace(d, i);
      if (fresh) continue;
      if (it->second == i)
        return refuse(Rejection::duplicate_domain, where(feed, i) + " lists domain " + d + " twice");
      return refuse(Rejection::duplicate_domain, "domain " + d + " is listed by " +
                                                     where(feed, it->second) + " and " + where(feed, i));
    }
  }
  return {};
}

namespace {

// The feed's certificates, each distinct one once (by the SHA-256 of its
// PEM text), and which one each member certificate is, in feed order.
struct Distinct {
  std::vector<Digest> digests;
  std::vector<std::string_view> pems;
  std::vector<std::size_t> order;
};

Distinct distinct_certificates(const Feed& feed) {
  Distinct out;
  std::unordered_map<Digest, std::size_t, DigestHash> index;
  for (const Member& m : feed.members) {
    for (const std::string& pem : m.certificates) {
      Digest d = sha256(pem);
      auto [it, fresh] = index.try_emplace(d, out.pems.size());
      if (fresh) {
        out.digests.push_back(d);
        out.pems.push_back(pem);
      }
      out.order.push_back(it->second);
    }
  }
  return out;
}

// The first member certificate that is bad or does not name its member's
// domains. A suspended member may keep a revoked certificate: suspending a
// member whose key was compromised is exactly when its certificate is
// revoked, and gateways trust nothing of a suspended member anyway.
std::optional<FeedError> first_mismatch(const Feed& feed, const std::vector<std::size_t>& order,
                                        const std::vector<const CertificateFacts*>& facts,
                                        const std::vector<const std::string*>& problems,
                                        const std::vector<bool>& revoked) {
  std::size_t next = 0;
  for (std::size_t i = 0; i < feed.members.size(); ++i) {
    const Member& m = feed.members[i];
    for (std::size_t j = 0; j < m.certificates.size(); ++j) {
      std::size_t k = order[next++];
      auto cert = [&] { return where(feed, i) + ".certificates[" + std::to_string(j) + "]"; };
      if (problems[k] != nullptr && revoked[k] && m.status == Status::suspended) continue;
      if (problems[k] != nullptr) return FeedError{Rejection::certificate_mismatch, cert() + " " + *problems[k]};
      const auto& names = facts[k]->dns_names;
      for (const std::string& d : m.domains)
        if (!std::binary_search(names.begin(), names.end(), d))
          return FeedError{Rejection::certificate_mismatch, cert() + " does not name domain " + d};
    }
  }
  return std::nullopt;
}

}  // namespace

Checked check_certificates(const Feed& feed, const pki::TrustStore& trust, std::int64_t at_time,
                           CertificateCache* cache) {
  FeedTrust stores(trust, at_time);
  if (cache != nullptr) cache->bind(stores.state());
  Distinct certs = distinct_certificates(feed);

  // Facts from the cache or, failing that, from examining the certificate.
  std::vector<const CertificateFacts*> facts(certs.pems.size(), nullptr);
  std::vector<std::size_t> unknown;
  for (std::size_t k = 0; k < certs.pems.size(); ++k) {
    if (cache != nullptr) facts[k] = cache->find(view(certs.digests[k]), at_time, stores.uses_crl());
    if (facts[k] == nullptr) unknown.push_back(k);
  }
  std::vector<Examined> examined = examine_all(certs.pems, unknown, stores);
  std::vector<const std::string*> problems(certs.pems.size(), nullptr);
  std::vector<bool> revoked(certs.pems.size(), false);
  for (std::size_t j = 0; j < unknown.size(); ++j) {
    if (examined[j].problem.empty()) facts[unknown[j]] = &examined[j].facts;
    else problems[unknown[j]] = &examined[j].problem;
    revoked[unknown[j]] = examined[j].revoked;
  }
  std::optional<FeedError> failure = first_mismatch(feed, certs.order, facts, problems, revoked);

  if (cache != nullptr) {
    for (std::size_t j = 0; j < unknown.size(); ++j)
      if (examined[j].problem.empty())
        cache->insert(std::string(view(certs.digests[unknown[j]])), std::move(examined[j].facts));
    if (!failure) {
      std::unordered_set<std::string_view> keep;
      keep.reserve(certs.digests.size());
      for (const Digest& d : certs.digests) keep.insert(view(d));
      cache->retain(keep);
    }
  }
  if (failure) return std::unexpected(std::move(*failure));
  return {};
}

}  // namespace sm::directory::detail
