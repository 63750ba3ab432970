// certificate.cpp - X.509 certificates in and out of PEM, fingerprints, and
// the facts a gateway reads from one (see certificate.h).
#include "pki/certificate.h"

#include <openssl/pem.h>

#include <cstring>
#include <ctime>

#include "pki/detail.h"
#include "util/text.h"
#include "util/utc_time.h"

namespace sm::pki {

namespace {

std::string name_text(const X509_NAME* name) {
  ossl::BioPtr bio = detail::mem_bio();
  if (!bio || name == nullptr) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return detail::bio_text(bio.get());
}

std::string serial_hex(const X509* cert) {
  ossl::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  ossl::OpensslCharPtr text(bn ? BN_bn2hex(bn.get()) : nullptr);
  return text ? std::string(text.get()) : std::string();
}

void add_san(const X509* cert, CertificateInfo& info) {
  ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
    if (value == nullptr || (type != GEN_DNS && type != GEN_EMAIL)) continue;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
    if (type == GEN_DNS) info.dns_names.push_back(ascii_lower(text));
    else info.emails.push_back(text);
  }
}

void add_usage(X509* cert, CertificateInfo& info) {
  static constexpr std::pair<uint32_t, const char*> kKu[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"}};
  static constexpr std::pair<uint32_t, const char*> kXku[] = {
      {XKU_SMIME, "emailProtection"}, {XKU_SSL_SERVER, "serverAuth"}, {XKU_SSL_CLIENT, "clientAuth"},
      {XKU_CODE_SIGN, "codeSigning"}, {XKU_OCSP_SIGN, "OCSPSigning"}, {XKU_TIMESTAMP, "timeStamping"}};
  uint32_t flags = X509_get_extension_flags(cert);
  info.is_ca = (flags & EXFLAG_CA) != 0;
  if (flags & EXFLAG_KUSAGE) {
    uint32_t ku = X509_get_key_usage(cert);
    for (auto [bit, name] : kKu)
      if (ku & bit) info.key_usage.push_back(name);
  }
  if (flags & EXFLAG_XKUSAGE) {
    uint32_t xku = X509_get_extended_key_usage(cert);
    for (auto [bit, name] : kXku)
      if (xku & bit) info.extended_key_usage.push_back(name);
  }
}

}  // namespace

Result<std::vector<ossl::X509Ptr>> parse_certificates_pem(std::string_view pem) {
  ossl::BioPtr bio = detail::mem_bio(pem);
  std::vector<ossl::X509Ptr> certs;
  while (true) {
    char* name_raw = nullptr;
    char* header_raw = nullptr;
    unsigned char* data_raw = nullptr;
    long len = 0;
    int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len);
    ossl::OpensslCharPtr name(name_raw), header(header_raw);
    ossl::OpensslBytePtr data(data_raw);
    if (!ok) break;
    if (std::strcmp(name.get(), "CERTIFICATE") != 0 && std::strcmp(name.get(), "X509 CERTIFICATE") != 0)
      return local_error(std::string("PEM block ") + std::to_string(certs.size() + 1) + " is " +
                         name.get() + ", not a CERTIFICATE");
    const unsigned char* p = data.get();
    ossl::X509Ptr cert(d2i_X509(nullptr, &p, len));
    if (!cert || p != data.get() + len)
      return local_error("PEM block " + std::to_string(certs.size() + 1) +
                         " is not a valid certificate: " + ossl::openssl_error("trailing data"));
    certs.push_back(std::move(cert));
  }
  ossl::openssl_error();  // the expected "no start line" at the end
  if (certs.empty()) return local_error("no PEM certificate found");
  return certs;
}

Result<std::vector<ossl::X509Ptr>> read_certificates(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) return std::unexpected(text.error());
  auto certs = parse_certificates_pem(*text);
  if (!certs) return local_error(file.string() + ": " + certs.error().text);
  return certs;
}

Result<ossl::X509Ptr> read_certificate(const std::filesystem::path& file) {
  auto certs = read_certificates(file);
  if (!certs) return std::unexpected(certs.error());
  return std::move(certs->front());
}

std::string to_pem(const X509* cert) {
  ossl::BioPtr bio = detail::mem_bio();
  if (!bio || cert == nullptr || !PEM_write_bio_X509(bio.get(), cert)) return {};
  return detail::bio_text(bio.get());
}

std::string to_pem(const std::vector<ossl::X509Ptr>& certs) {
  std::string out;
  for (const auto& c : certs) out += to_pem(c.get());
  return out;
}

ossl::X509Ptr clone(const X509* cert) {
  if (cert == nullptr) return nullptr;
  X509_up_ref(const_cast<X509*>(cert));
  return ossl::X509Ptr(const_cast<X509*>(cert));
}

std::string fingerprint(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || !X509_digest(cert, EVP_sha256(), md, &len)) return {};
  return detail::hex(md, len);
}

namespace {

// "rsa-1024 (unsupported)", "ed25519 (unsupported)": what a key we never
// make or take is, for people (the certification fixture fx-weak's).
std::string unsupported_key_name(const EVP_PKEY* key) {
  if (key == nullptr) return "unsupported";
  std::string name = ascii_lower(EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
  if (EVP_PKEY_is_a(key, "RSA")) name += "-" + std::to_string(EVP_PKEY_get_bits(key));
  return name + " (unsupported)";
}

}  // namespace

CertificateInfo describe(const X509* cert) {
  CertificateInfo info;
  if (cert == nullptr) return info;
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));
  info.serial = serial_hex(cert);
  info.fingerprint = fingerprint(cert);
  info.not_before = detail::asn1_time_unix(X509_get0_notBefore(cert)).value_or(0);
  info.not_after = detail::asn1_time_unix(X509_get0_notAfter(cert)).value_or(0);
  add_san(cert, info);
  auto type = key_type_of(X509_get0_pubkey(cert));
  info.key_type = type ? std::string(to_string(*type)) : unsupported_key_name(X509_get0_pubkey(cert));
  add_usage(const_cast<X509*>(cert), info);  // the flag getters cache and so are not const
  return info;
}

bool certificate_names_domain(const X509* cert, std::string_view domain) {
  if (cert == nullptr) return false;
  std::string wanted = ascii_lower(domain);
  CertificateInfo info;
  add_san(cert, info);
  for (const auto& name : info.dns_names)
    if (name == wanted) return true;
  return false;
}

std::string iso_time(std::int64_t unix_seconds) { return utc_text(unix_seconds, "%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace sm::pki
