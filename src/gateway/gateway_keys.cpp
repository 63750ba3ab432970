// gateway_keys.cpp - loading DATA/pki for the daemon.
#include "gateway/gateway_keys.h"

#include "pki/certificate.h"

namespace sm::gateway {

Result<std::shared_ptr<const GatewayKeys>> GatewayKeys::load(const config::Config& config) {
  auto keys = std::make_shared<GatewayKeys>();
  keys->data_dir_ = config.data_dir;
  auto ring = pki::Keyring::load(config.data_dir);
  if (!ring) return std::unexpected(ring.error());
  keys->ring_ = std::move(*ring);
  if (auto t = keys->reload_trust(); !t) return std::unexpected(t.error());
  for (const auto& set : keys->ring_.sets()) keys->identities_.push_back(keys->identity(set));
  return std::shared_ptr<const GatewayKeys>(std::move(keys));
}

Result<void> GatewayKeys::reload_trust() const {
  std::error_code ec;
  auto anchors = pki::Keyring::anchors_file(data_dir_);
  std::shared_ptr<const pki::TrustStore> fresh;
  if (std::filesystem::exists(anchors, ec)) {
    auto trust = pki::TrustStore::load(anchors, pki::Keyring::crl_file(data_dir_));
    if (!trust) return std::unexpected(trust.error());
    fresh = std::make_shared<const pki::TrustStore>(std::move(*trust));
  }
  std::lock_guard lock(trust_mu_);
  trust_ = std::move(fresh);
  return {};
}

std::shared_ptr<const pki::TrustStore> GatewayKeys::trust() const {
  std::lock_guard lock(trust_mu_);
  return trust_;
}

const pki::KeySet* GatewayKeys::signer_for(std::string_view domain) const {
  for (const auto& set : ring_.sets())
    if (set.active() && pki::certificate_names_domain(set.cert.get(), domain)) return &set;
  return nullptr;
}

smime::Identity GatewayKeys::identity(const pki::KeySet& set) const {
  smime::Identity id;
  id.key = set.key.get();
  id.cert = set.cert.get();
  for (const auto& c : set.chain) id.chain.push_back(c.get());
  id.id = set.id;
  return id;
}

std::vector<smime::Recipient> GatewayKeys::active_recipients() const {
  std::vector<smime::Recipient> out;
  for (const auto& set : ring_.sets())
    if (set.active()) out.push_back({set.cert.get(), true});
  return out;
}

std::optional<GatewayKeys::TlsFiles> GatewayKeys::tls_files() const {
  const pki::KeySet* set = ring_.signing();
  if (!set) return std::nullopt;
  auto dir = pki::Keyring::dir(data_dir_) / "keys" / set->id;
  return TlsFiles{dir / "cert.pem", dir / "key.pem"};
}

}  // namespace sm::gateway
