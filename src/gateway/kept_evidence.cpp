// kept_evidence.cpp - a signed entity and the trust in force, kept together.
#include "gateway/kept_evidence.h"

#include <algorithm>

#include "pki/authority.h"
#include "pki/certificate.h"

namespace sm::gateway {

std::int64_t evidence_retention(const config::Config& config, const std::vector<std::string>& domains) {
  auto longest = config.evidence.retention;
  for (const auto& rc : config.relay_clients) {
    if (!rc.evidence_retention) continue;
    for (const auto& d : domains)
      if (std::find(rc.domains.begin(), rc.domains.end(), d) != rc.domains.end())
        longest = std::max(longest, *rc.evidence_retention);
  }
  return longest.count();
}

Result<void> keep_with_trust(evidence::EvidenceStore& store, const pki::TrustStore* trust,
                             evidence::EvidenceEntry entry, std::string_view signed_entity) {
  if (auto kept = store.keep(signed_entity, entry); !kept) return std::unexpected(kept.error());
  if (!trust) return {};
  std::string crls;
  for (const auto& crl : trust->crls()) crls += pki::to_pem(crl.get());
  std::pair<evidence::EvidenceKind, std::string> parts[] = {
      {evidence::EvidenceKind::authority, pki::to_pem(trust->anchors())},
      {evidence::EvidenceKind::crl, std::move(crls)},
  };
  for (auto& [kind, pem] : parts) {
    if (pem.empty()) continue;
    entry.kind = kind;
    entry.sha256.clear();
    if (auto kept = store.keep(pem, entry); !kept) return std::unexpected(kept.error());
  }
  return {};
}

}  // namespace sm::gateway
