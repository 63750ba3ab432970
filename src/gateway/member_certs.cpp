// member_certs.cpp - PEM from the directory to X509 once per certificate.
#include "gateway/member_certs.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "pki/certificate.h"
#include "util/hex.h"

namespace sm::gateway {

Result<std::vector<MemberCertificate>> MemberCertificates::of(const directory::Member& member) {
  std::vector<MemberCertificate> out;
  std::lock_guard lock(mu_);
  for (const auto& pem : member.certificates) {
    auto it = by_pem_.find(pem);
    if (it == by_pem_.end()) {
      auto parsed = pki::parse_certificates_pem(pem);
      if (!parsed || parsed->empty()) continue;
      std::string fp = pki::fingerprint(parsed->front().get());
      it = by_pem_.emplace(pem, std::pair{std::move(parsed->front()), std::move(fp)}).first;
    }
    out.push_back({it->second.first.get(), it->second.second});
  }
  if (out.empty())
    return fail(451, "4.7.5", "the directory entry of member " + member.id + " holds no usable certificate");
  return out;
}

std::vector<std::string> MemberCertificates::fingerprints(const directory::Member& member) {
  std::vector<std::string> out;
  if (auto certs = of(member))
    for (const auto& c : *certs) out.push_back(c.sha256);
  return out;
}

namespace {

// SHA-256 over the DER inside one PEM block, without parsing the
// certificate (the index covers every member of a large directory).
std::string pem_sha256(std::string_view pem) {
  auto begin = pem.find("-----BEGIN CERTIFICATE-----");
  auto end = pem.find("-----END CERTIFICATE-----");
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return {};
  std::string b64;
  for (char c : pem.substr(begin + 27, end - begin - 27))
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') b64 += c;
  std::string der((b64.size() / 4) * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return {};
  std::size_t pad = b64.size() >= 2 ? (b64[b64.size() - 1] == '=') + (b64[b64.size() - 2] == '=') : 0;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), static_cast<std::size_t>(n) - pad, md);
  return to_hex(md, sizeof md);
}

}  // namespace

const directory::Member* MemberCertificates::member_with_certificate(
    const std::shared_ptr<const directory::Directory>& directory, std::string_view sha256) {
  if (!directory || sha256.empty()) return nullptr;
  std::lock_guard lock(mu_);
  if (indexed_ != directory) {
    by_fingerprint_.clear();
    for (const auto& m : directory->feed().members) {
      if (m.status != directory::Status::active) continue;
      for (const auto& pem : m.certificates) by_fingerprint_.emplace(pem_sha256(pem), &m);
    }
    indexed_ = directory;
  }
  auto it = by_fingerprint_.find(std::string(sha256));
  return it == by_fingerprint_.end() ? nullptr : it->second;
}

}  // namespace sm::gateway
