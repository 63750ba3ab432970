// gateway_keys.h - the gateway's own keys and trust at run time: every key
// set of DATA/pki (active ones sign, all of them open), the authority with
// its CRL, and which certificate the gateway presents in TLS. Loaded once
// at start-up; `keys rotate` takes effect on the next start or reload (reload.h), a new CRL
// (from the directory feed, or on SIGHUP) at once.
//
// A gateway service provider holds one key set per customer organisation
// (or one naming all their domains): signer_for() picks the active set
// whose certificate names the sender's domain.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "pki/keyring.h"
#include "pki/trust.h"
#include "smime/engine.h"

namespace sm::gateway {

class GatewayKeys {
 public:
  // An absent DATA/pki gives empty keys (a gateway without a directory
  // needs none). Errors name the file that could not be used.
  static Result<std::shared_ptr<const GatewayKeys>> load(const config::Config& config);

  bool empty() const { return ring_.empty(); }
  // The active key set whose certificate names this domain; null when none.
  const pki::KeySet* signer_for(std::string_view domain) const;
  smime::Identity identity(const pki::KeySet& set) const;
  // The certificates of the active key sets: what the gateway's own
  // evidence is encrypted to (read back with identities()).
  std::vector<smime::Recipient> active_recipients() const;
  // Every key set, active and retired, for opening.
  const std::vector<smime::Identity>& identities() const { return identities_; }
  // The authority and CRL; null when DATA/pki/authority.pem is absent.
  // Hold the pointer for as long as it is used: reload_trust() swaps it.
  std::shared_ptr<const pki::TrustStore> trust() const;
  // Read DATA/pki/authority.pem and crl.pem again (a new CRL from the
  // directory feed, SIGHUP). On error the old store stays and the error
  // is returned.
  Result<void> reload_trust() const;
  // Certificate and key files of the first active set: what the inbound
  // listener presents, and the TLS client certificate towards members.
  struct TlsFiles {
    std::filesystem::path cert, key;
  };
  std::optional<TlsFiles> tls_files() const;

 private:
  std::filesystem::path data_dir_;
  pki::Keyring ring_;
  mutable std::mutex trust_mu_;
  mutable std::shared_ptr<const pki::TrustStore> trust_;
  std::vector<smime::Identity> identities_;
};

}  // namespace sm::gateway
