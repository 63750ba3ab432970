// builder.h - X.509 construction helpers for the authority (pki-internal):
// random serials, names, extensions from OpenSSL's config syntax, the
// signing digest for a CA key, and an exclusive lock on the AUTH folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "pki/authority.h"
#include "pki/openssl.h"
#include "util/error.h"

namespace sm::pki::detail {

// 128 random bits, positive and non-zero.
Result<ossl::Asn1IntegerPtr> random_serial();
// Upper-case hex of a serial, no leading zeros ("0" for zero).
std::string serial_text(const ASN1_INTEGER* serial);
// Hex serial (any case, leading zeros and colons allowed) to ASN1_INTEGER.
Result<ossl::Asn1IntegerPtr> parse_serial(std::string_view hex);
// Canonical form used for comparisons: upper case, no colons or leading zeros.
std::string normalise_serial(std::string_view hex);

// CN (and O when not empty) as a UTF-8 name.
Result<ossl::X509NamePtr> make_name(std::string_view common_name, std::string_view organisation);

// Add an extension to `subject` (a certificate) in openssl.cnf syntax, e.g.
// (NID_key_usage, "critical,keyCertSign,cRLSign"); issuer is the CA
// certificate (for AKI), or subject itself when self-signed.
Result<> add_extension(X509* subject, X509* issuer, int nid, const std::string& value);

// SHA-384 for a P-384 CA key, SHA-256 otherwise.
const EVP_MD* signing_digest(const EVP_PKEY* ca_key);

// A signed v2 CRL (CRL number, AKI, reason codes) listing every revoked
// record that has not yet expired at `now`; nextUpdate = now + days.
Result<ossl::X509CrlPtr> build_crl(X509* ca_cert, EVP_PKEY* ca_key,
                                   const std::vector<IssuedRecord>& records, long number,
                                   std::int64_t now, int days);

// An exclusive flock on DIR/.lock, held while the object lives, so two
// processes never interleave read-modify-write of the authority's index.
class FolderLock {
 public:
  static Result<FolderLock> acquire(const std::filesystem::path& dir);
  FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  FolderLock& operator=(FolderLock&&) = delete;
  ~FolderLock();

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sm::pki::detail
