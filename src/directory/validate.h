// validate.h - the checks on a whole feed beyond field shapes (module
// internal: feed.cpp and registry.cpp): unique ids and domains, and member
// certificates against the authority (the authority's side).
#pragma once

#include <cstdint>

#include "directory/feed.h"
#include "pki/trust.h"

namespace sm::directory::detail {

using Checked = FeedResult<void>;

// duplicate_member: two members share an id. duplicate_domain: a domain
// listed twice, by one member or by two.
Checked check_unique(const Feed& feed);

// certificate_mismatch unless every certificate of every member parses as
// exactly one certificate, chains to `trust` for S/MIME encryption at
// `at_time` and names every domain of its member. A loaded CRL is checked
// when it covers `at_time`; none is ever required. Each distinct
// certificate is examined once (a provider's certificate shared by many
// members), spread over the machine's cores. The authority's check
// (registry.cpp); gateways check on first use (member_certificate.h).
// One exception: a certification fixture (member.h is_fixture, judged
// against `facilities`, or the feed's own facilities when null) may carry
// a certificate whose only fault is its chain (expired, not yet valid,
// revoked, foreign, too weak); it must still parse and name its domains.
Checked check_certificates(const Feed& feed, const pki::TrustStore& trust, std::int64_t at_time,
                           const std::vector<std::string>* facilities = nullptr);

}  // namespace sm::directory::detail
