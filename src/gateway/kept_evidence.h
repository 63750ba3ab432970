// kept_evidence.h - keeping a signed message as evidence together with the
// trust in force when it was kept (the authority certificate(s) and CRL),
// so `securemail evidence export` can later show it verified then. Used
// when a sealed message is opened (kind received); the files are synced
// before the commit (and so the 250) they belong to.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "evidence/evidence_store.h"
#include "mail/envelope.h"
#include "pki/trust.h"
#include "util/error.h"

namespace sm::gateway {

// [evidence] retention for mail to or from these domains: the longest of
// the gateway's and those of the [[relay_client]]s that own one of them.
std::int64_t evidence_retention(const config::Config& config, const std::vector<std::string>& domains);

// Keep `signed_entity` as `entry` (sha256 filled in), then the authority
// certificates and CRLs of `trust` (when not null) as authority and crl
// entries of the same message, member, time and retention.
Result<void> keep_with_trust(evidence::EvidenceStore& store, const pki::TrustStore* trust,
                             evidence::EvidenceEntry entry, std::string_view signed_entity);

}  // namespace sm::gateway
