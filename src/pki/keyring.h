// keyring.h - a gateway's own keys and trust, kept in DATA/pki:
//
//   DATA/pki/authority.pem          trust anchor(s): the authority certificate
//   DATA/pki/crl.pem                the authority's CRL (optional until required)
//   DATA/pki/keys/ID/key.pem        0600 (DATA/pki and keys/ are 0700)
//   DATA/pki/keys/ID/cert.pem       the gateway certificate for that key
//   DATA/pki/keys/ID/chain.pem      intermediates (may be absent)
//   DATA/pki/keys/ID/retired        present once rotated out: unix time, one line
//
// ID is "<keytype>-<UTC yyyymmddHHMMSS>", e.g. "ec-p256-20261123120000".
// A gateway may hold one active key set per key type (RSA and EC side by
// side). Rotation installs a new set and marks the previous active set of
// that type retired: retired keys still open mail sealed to them, but are
// never used to sign or advertised as current.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pki/key.h"
#include "pki/openssl.h"
#include "util/error.h"

namespace sm::pki {

struct KeySet {
  std::string id;
  KeyType type = KeyType::ec_p256;
  ossl::EvpPkeyPtr key;
  ossl::X509Ptr cert;
  std::vector<ossl::X509Ptr> chain;  // intermediates, may be empty
  std::int64_t retired_at = 0;       // 0: active
  bool active() const { return retired_at == 0; }
};

class Keyring {
 public:
  static std::filesystem::path dir(const std::filesystem::path& data_dir) { return data_dir / "pki"; }
  static std::filesystem::path anchors_file(const std::filesystem::path& data_dir) { return dir(data_dir) / "authority.pem"; }
  static std::filesystem::path crl_file(const std::filesystem::path& data_dir) { return dir(data_dir) / "crl.pem"; }

  // Read every key set. Error (naming the file) for an unreadable or
  // mismatched set (key does not match certificate) or a key file that is
  // group/world accessible. An absent DATA/pki is an empty keyring.
  static Result<Keyring> load(const std::filesystem::path& data_dir);

  // Active sets first (strongest security level first, EC before RSA at
  // equal strength), then retired ones, newest first.
  const std::vector<KeySet>& sets() const { return sets_; }
  bool empty() const { return sets_.empty(); }
  // The active set to sign with: the active set of `prefer` when held,
  // else the first active set. Null when none is active.
  const KeySet* signing(std::optional<KeyType> prefer = {}) const;
  const KeySet* find(std::string_view id) const;

  // Install a new key set as the active one of its type; the previously
  // active set of that type (if any) is marked retired. The key must match
  // the certificate. Creates DATA/pki with 0700. Returns the new ID.
  static Result<std::string> install(const std::filesystem::path& data_dir, const EVP_PKEY* key,
                                     const X509* cert, const std::vector<ossl::X509Ptr>& chain = {});
  // Install a retired set as-is (restore from backup): keeps its id.
  static Result<> install_set(const std::filesystem::path& data_dir, const KeySet& set);
  // Replace authority.pem (and crl.pem when crl_pem is not empty).
  static Result<> install_trust(const std::filesystem::path& data_dir,
                                const std::vector<ossl::X509Ptr>& anchors,
                                std::string_view crl_pem = {});

 private:
  std::vector<KeySet> sets_;
};

std::string make_key_id(KeyType type, std::int64_t unix_seconds);

}  // namespace sm::pki
