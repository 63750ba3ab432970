// certificate.h - X.509 certificates: PEM in and out, fingerprints, and the
// facts a gateway needs from one (domains, admin address, validity, key).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pki/key.h"
#include "pki/openssl.h"
#include "util/error.h"

namespace sm::pki {

// All certificates in a PEM text (in order). Error when the text holds none
// or a block is not a certificate.
Result<std::vector<ossl::X509Ptr>> parse_certificates_pem(std::string_view pem);
Result<std::vector<ossl::X509Ptr>> read_certificates(const std::filesystem::path& file);
// Exactly one certificate (the first when there are more).
Result<ossl::X509Ptr> read_certificate(const std::filesystem::path& file);
std::string to_pem(const X509* cert);
std::string to_pem(const std::vector<ossl::X509Ptr>& certs);
ossl::X509Ptr clone(const X509* cert);  // X509_up_ref, never null for non-null input

// SHA-256 over the DER, lower-case hex without separators (64 chars).
std::string fingerprint(const X509* cert);

struct CertificateInfo {
  std::string subject;        // RFC 2253 one line
  std::string issuer;
  std::string serial;         // hex, upper-case
  std::string fingerprint;    // sha256 hex
  std::int64_t not_before = 0, not_after = 0;  // unix seconds
  std::vector<std::string> dns_names;     // SAN dNSName, lower-case
  std::vector<std::string> emails;        // SAN rfc822Name
  std::string key_type;                   // "ec-p256", ... or "rsa-1024 (unsupported)"
  bool is_ca = false;
  std::vector<std::string> key_usage;     // "digitalSignature", "keyEncipherment", "keyAgreement", "keyCertSign", "cRLSign"
  std::vector<std::string> extended_key_usage;  // "emailProtection", "serverAuth", "clientAuth"
};
CertificateInfo describe(const X509* cert);

// True when the certificate's SAN lists this domain as a dNSName
// (case-insensitive, exact; no wildcards).
bool certificate_names_domain(const X509* cert, std::string_view domain);

// The unix time as ISO 8601 UTC "2026-11-23T12:00:00Z".
std::string iso_time(std::int64_t unix_seconds);

}  // namespace sm::pki
