// authority.h - the SecureMail authority: a small CA kept in one folder,
// which issues gateway certificates, revokes them, and publishes a CRL.
//
// Folder layout (AUTH):
//   authority.json   name, key type, created, next CRL number (rewritten atomically)
//   ca.key           the CA private key, 0600, PKCS#8 encrypted when a passphrase was given
//   ca.pem           the CA certificate: the trust anchor every gateway gets
//   issued.json      every certificate issued: serial, subject, domains, validity, revocation
//   issued/SERIAL.pem
//   crl.pem          the latest CRL (X.509 v2, with CRL number and AKI)
//   .lock            flock held while the index files are rewritten
// Serials are 128-bit random (RFC 5280 allows 20 octets; CA/B practice).
// Every write is atomic (temp + fsync + rename), so a crash leaves either
// the old or the new state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pki/key.h"
#include "pki/openssl.h"
#include "util/error.h"

namespace sm::pki {

struct AuthorityOptions {
  std::string name = "SecureMail Authority";  // CN (and O) of the CA
  KeyType key_type = kDefaultAuthorityKey;
  int days = 3650;
  const Passphrase* passphrase = nullptr;     // null: ca.key unencrypted (0600)
};

// Create AUTH with a new CA key and self-signed certificate (basicConstraints
// CA:TRUE critical, keyUsage keyCertSign+cRLSign critical, SKI) and an empty
// CRL. Refuses when AUTH already holds an authority.
Result<> init_authority(const std::filesystem::path& dir, const AuthorityOptions& options);

class Authority;
// What a subordinate CA below an authority may issue for.
struct SubordinateOptions {
  std::string name;              // CN (and O) of the subordinate CA
  std::string permitted_domain;  // name constraints: this domain and its subdomains (DNS and email)
  int days = 825;
};
// Create DIR as an authority folder (openable with Authority::open) whose CA
// certificate `parent` issues: basicConstraints CA:TRUE pathlen:0 and
// keyUsage keyCertSign+cRLSign (critical), nameConstraints (critical)
// permitting DNS:D and email:.D only, SKI and AKI; recorded in the
// parent's issued.json, so the parent can revoke it. Its own crl.pem is
// made in DIR and published nowhere else unless the caller does so (the
// certification fixture fx-nocrl relies on that). Refuses when DIR already
// holds an authority.
Result<> init_subordinate_authority(const std::filesystem::path& dir, Authority& parent,
                                    const SubordinateOptions& options);

// What the authority puts in a gateway certificate.
struct GatewayCertRequest {
  std::vector<std::string> domains;  // SAN dNSName each; first is the CN. At least one.
  std::string admin_email;           // SAN rfc822Name; empty: securemailadmin@domains[0]
  std::string organisation;          // O=, optional
  const EVP_PKEY* public_key = nullptr;  // the gateway's key (only its public half is used)
  int days = 825;
  // Tests and backdating: when non-zero, these override "now" and days.
  std::int64_t not_before = 0, not_after = 0;
  // When set, a cRLDistributionPoints URI (fullName) naming where the
  // issuer publishes its CRL.
  std::string crl_url;
  // supported; weak_fixture only for the certification fixture fx-weak
  // (certify/fixtures.h), a certificate every gateway refuses.
  KeyAcceptance keys = KeyAcceptance::supported;
};
// Key usage by key type: RSA digitalSignature+keyEncipherment, EC
// digitalSignature+keyAgreement (critical); extendedKeyUsage
// emailProtection, serverAuth, clientAuth; basicConstraints CA:FALSE
// critical; SKI and AKI. Signed with SHA-256 (SHA-384 for a P-384 CA key).

enum class RevocationReason { unspecified, key_compromise, superseded, cessation_of_operation };
std::string_view to_string(RevocationReason reason);  // "keyCompromise", ...
std::optional<RevocationReason> parse_revocation_reason(std::string_view text);  // accepts "key-compromise" and "keyCompromise"

struct IssuedRecord {
  std::string serial;       // upper-case hex
  std::string subject;
  std::vector<std::string> domains;
  std::string fingerprint;  // sha256 hex
  std::int64_t not_before = 0, not_after = 0;
  std::int64_t revoked_at = 0;  // 0: not revoked
  std::string revocation_reason;
};

class Authority {
 public:
  // Open AUTH with its private key (passphrase when ca.key is encrypted).
  static Result<Authority> open(const std::filesystem::path& dir,
                                const Passphrase* passphrase = nullptr);
  // The CA certificate only (no key needed): AUTH/ca.pem.
  static Result<ossl::X509Ptr> read_certificate(const std::filesystem::path& dir);
  static std::filesystem::path certificate_file(const std::filesystem::path& dir) { return dir / "ca.pem"; }
  static std::filesystem::path crl_file(const std::filesystem::path& dir) { return dir / "crl.pem"; }

  const X509* certificate() const { return cert_.get(); }
  // The CA private key (for signing what the authority publishes, such as
  // the directory feed); owned by this object.
  const EVP_PKEY* key() const { return key_.get(); }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& name() const { return name_; }

  // Issue a gateway certificate; recorded in issued.json and issued/SERIAL.pem.
  // Rejects domains that are not host names and admin addresses that are
  // not addr-spec.
  Result<ossl::X509Ptr> issue(const GatewayCertRequest& request);
  // Issue a subordinate CA certificate for `public_key` (see
  // init_subordinate_authority); recorded like a gateway certificate.
  Result<ossl::X509Ptr> issue_subordinate(const SubordinateOptions& options, const EVP_PKEY* public_key);
  // Revoke by serial (hex, any case) or by sha256 fingerprint; regenerates
  // crl.pem. Error when unknown or already revoked.
  Result<IssuedRecord> revoke(std::string_view serial_or_fingerprint,
                              RevocationReason reason = RevocationReason::unspecified);
  // Write a fresh crl.pem (next CRL number, nextUpdate = now + days) and
  // return it. The CRL lists every revoked certificate not yet expired.
  Result<ossl::X509CrlPtr> publish_crl(int days = 30);
  Result<std::vector<IssuedRecord>> issued() const;

 private:
  // Sign `cert` and record it in issued.json and issued/SERIAL.pem.
  Result<> sign_and_record(X509* cert, std::int64_t not_before, std::int64_t not_after);

  std::filesystem::path dir_;
  std::string name_;
  ossl::EvpPkeyPtr key_;
  ossl::X509Ptr cert_;
};

Result<ossl::X509CrlPtr> read_crl(const std::filesystem::path& file);
std::string to_pem(const X509_CRL* crl);

}  // namespace sm::pki
