// validate.cpp - whole-feed checks: unique ids and domains, and every
// member certificate against the authority (see validate.h).
//
// The authority runs these (registry.cpp: add, update, publish); a gateway
// applying a feed does not - it checks each certificate on first use
// (member_certificate.h), with the same parsing and wording.
//
// Certificates dominate the cost (parsing one with OpenSSL 3.0 and
// verifying its chain takes a few hundred microseconds), so each distinct
// PEM is examined once, shared out over worker threads; members are then
// checked against the results in feed order, so the first problem reported
// is the same whatever the scheduling. A loaded CRL is used when it covers
// `at_time` (member_trust()); none is required.
#include "directory/validate.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <unordered_map>

#include "directory/member_certificate.h"
#include "pki/certificate.h"

namespace sm::directory::detail {

namespace {

std::string where(const Feed& feed, std::size_t i) {
  return "members[" + std::to_string(i) + "] (" + feed.members[i].id + ")";
}

std::unexpected<FeedError> refuse(Rejection reason, std::string detail) {
  return std::unexpected(FeedError{reason, std::move(detail)});
}

// What one distinct certificate PEM turned out to be.
struct Examined {
  std::string problem;  // empty: one certificate, chains to the authority
  std::vector<std::string> dns_names;  // sorted
  bool revoked = false;  // the problem is only that the authority revoked it
  bool chain_only = false;  // it parsed; only its chain failed (dns_names hold its names)
};

Examined examine(std::string_view pem, const pki::TrustStore& trust, std::int64_t at_time) {
  ParsedCertificate parsed = parse_member_certificate(pem);
  if (!parsed.cert) return {parsed.problem, {}};
  auto chain = pki::verify_chain(trust, parsed.cert.get(), nullptr, pki::Purpose::smime_encrypt, at_time);
  if (!chain.ok())
    return {chain_problem(chain), std::move(parsed.dns_names), chain.status == pki::ChainStatus::revoked, true};
  return {{}, std::move(parsed.dns_names)};
}

// examine() for every PEM; several threads once there are enough to share.
std::vector<Examined> examine_all(const std::vector<std::string_view>& pems, const pki::TrustStore& trust,
                                  std::int64_t at_time) {
  std::vector<Examined> out(pems.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < pems.size();)
      out[i] = examine(pems[i], trust, at_time);
  };
  std::size_t wanted = std::min<std::size_t>({std::max(1u, std::thread::hardware_concurrency()), 8,
                                              pems.size() / 64 + 1});
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

// The feed's certificates, each distinct one once (by its PEM text), and
// which one each member certificate is, in feed order.
struct Distinct {
  std::vector<std::string_view> pems;
  std::vector<std::size_t> order;
};

Distinct distinct_certificates(const Feed& feed) {
  Distinct out;
  std::unordered_map<std::string_view, std::size_t> index;
  for (const Member& m : feed.members) {
    for (const std::string& pem : m.certificates) {
      auto [it, fresh] = index.try_emplace(pem, out.pems.size());
      if (fresh) out.pems.push_back(pem);
      out.order.push_back(it->second);
    }
  }
  return out;
}

// The first member certificate that is bad or does not name its member's
// domains. A suspended member may keep a revoked certificate: suspending a
// member whose key was compromised is exactly when its certificate is
// revoked, and gateways trust nothing of a suspended member anyway. A
// certification fixture may keep one whose only fault is its chain: that
// fault is what it is for, and gateways refuse it on first use.
std::optional<FeedError> first_mismatch(const Feed& feed, const std::vector<std::size_t>& order,
                                        const std::vector<Examined>& examined, const std::vector<std::string>& facilities) {
  std::size_t next = 0;
  for (std::size_t i = 0; i < feed.members.size(); ++i) {
    const Member& m = feed.members[i];
    const bool fixture = is_fixture(m, facilities);
    for (std::size_t j = 0; j < m.certificates.size(); ++j) {
      std::size_t k = order[next++];
      auto cert = [&] { return where(feed, i) + ".certificates[" + std::to_string(j) + "]"; };
      const Examined& e = examined[k];
      if (!e.problem.empty() && e.revoked && m.status == Status::suspended) continue;
      if (!e.problem.empty() && !(fixture && e.chain_only))
        return FeedError{Rejection::certificate_mismatch, cert() + " " + e.problem};
      const auto& names = e.dns_names;
      for (const std::string& d : m.domains)
        if (!std::binary_search(names.begin(), names.end(), d))
          return FeedError{Rejection::certificate_mismatch, cert() + " does not name domain " + d};
    }
  }
  return std::nullopt;
}

}  // namespace

Checked check_certificates(const Feed& feed, const pki::TrustStore& trust, std::int64_t at_time,
                           const std::vector<std::string>* facilities) {
  auto store = member_trust(trust, at_time);
  if (!store) return refuse(Rejection::certificate_mismatch, "cannot set up the authority's trust: " + store.error().text);
  Distinct certs = distinct_certificates(feed);
  std::vector<Examined> examined = examine_all(certs.pems, *store, at_time);
  const std::vector<std::string> own = facilities ? std::vector<std::string>{} : facility_domains(feed.members);
  if (auto failure = first_mismatch(feed, certs.order, examined, facilities ? *facilities : own))
    return std::unexpected(std::move(*failure));
  return {};
}

}  // namespace sm::directory::detail
