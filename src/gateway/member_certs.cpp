// member_certs.cpp - PEM from the directory to X509 once per certificate,
// and the first-use check of each (see member_certs.h).
#include "gateway/member_certs.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <ctime>
#include <unordered_set>

#include "pki/certificate.h"
#include "util/hex.h"
#include "util/log.h"

namespace sm::gateway {

namespace {

// Parsed certificates kept at most (a bound, far above any real directory's
// certificates in use; reached, the cache starts again).
constexpr std::size_t kMaxParsed = 1 << 18;

Error refused(const directory::Member& member, const std::string& why) {
  return Error{451, "4.7.5", "the directory entry of member " + member.id + " is refused: " + why +
                                 "; the authority must publish a fixed entry"};
}

}  // namespace

MemberCertificates::MemberCertificates(TrustSource trust) : trust_(std::move(trust)) {}

std::shared_ptr<const directory::ParsedCertificate> MemberCertificates::parsed(const std::string& pem) {
  auto it = by_pem_.find(pem);
  if (it != by_pem_.end()) return it->second;
  if (by_pem_.size() >= kMaxParsed) by_pem_.clear();
  auto fresh = std::make_shared<const directory::ParsedCertificate>(directory::parse_member_certificate(pem));
  by_pem_.emplace(pem, fresh);
  return fresh;
}

Result<std::vector<MemberCertificate>> MemberCertificates::check(const directory::Member& member) {
  std::shared_ptr<const pki::TrustStore> trust;
  if (trust_) {
    auto store = first_use_.at(trust_(), static_cast<std::int64_t>(std::time(nullptr)));
    if (!store) return fail(451, "4.7.5", "cannot check the certificates of member " + member.id + ": " + store.error().text);
    trust = std::move(*store);
  }
  std::vector<MemberCertificate> out;
  for (std::size_t i = 0; i < member.certificates.size(); ++i) {
    std::shared_ptr<const directory::ParsedCertificate> held = parsed(member.certificates[i]);
    const directory::ParsedCertificate& p = *held;
    if (!trust && !p.cert)
      return std::unexpected(refused(member, "certificates[" + std::to_string(i) + "] " + p.problem));
    if (trust)
      if (auto problem = directory::check_member_certificate(member, i, p, trust.get()))
        return std::unexpected(refused(member, problem->text()));
    if (p.cert) out.push_back({p.cert.get(), p.sha256, held});
  }
  if (out.empty()) return std::unexpected(refused(member, "it holds no usable certificate"));
  return out;
}

Result<std::vector<MemberCertificate>> MemberCertificates::of(const directory::Member& member) {
  std::lock_guard lock(mu_);
  return check(member);  // a refusal is logged by whoever defers or refuses the mail
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
    std::unordered_set<std::string_view> listed;
    for (const auto& m : directory->feed().members) {
      for (const auto& pem : m.certificates) listed.insert(pem);
      if (m.status != directory::Status::active) continue;
      for (const auto& pem : m.certificates) by_fingerprint_.emplace(pem_sha256(pem), &m);
    }
    std::erase_if(by_pem_, [&](const auto& entry) { return !listed.contains(entry.first); });
    indexed_ = directory;
  }
  auto it = by_fingerprint_.find(std::string(sha256));
  if (it == by_fingerprint_.end()) return nullptr;
  auto certs = check(*it->second);  // the first-use check of the member
  if (!certs) {
    log::warn("directory: {}", certs.error().text);
    return nullptr;
  }
  for (const auto& c : *certs)
    if (c.sha256 == sha256) return it->second;
  return nullptr;
}

}  // namespace sm::gateway
