// fixtures.cpp - making and finding the certification fixtures (see
// fixtures.h).
#include "certify/fixtures.h"

#include <ctime>
#include <map>

#include "directory/registry.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"

namespace sm::certify {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kDay = 86400;

Error trouble(std::string what) { return Error{451, "4.3.0", "certification fixtures: " + std::move(what)}; }

// fx-weak's key: RSA-1024, which pki::generate_key() never makes.
Result<ossl::EvpPkeyPtr> weak_rsa_key() {
  ossl::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  if (!key) return std::unexpected(trouble(ossl::openssl_error("cannot make an RSA-1024 key")));
  return key;
}

// A fresh key and a certificate for `domain` from `authority`, written to
// the fixture's folder.
Result<Fixture> issue_fixture(pki::Authority& authority, const fs::path& folder, const FixtureSpec& spec,
                              const std::string& facility_domain, std::int64_t not_before, std::int64_t not_after,
                              const std::string& crl_url = {}) {
  Fixture f{spec, "fx-" + std::string(spec.name), std::string(spec.name) + "." + facility_domain,
            folder / spec.name / "key.pem", folder / spec.name / "cert.pem"};
  const bool weak = has_weak_key(spec);
  auto key = weak ? weak_rsa_key() : pki::generate_key(pki::KeyType::ec_p256);
  if (!key) return std::unexpected(key.error());
  pki::GatewayCertRequest request;
  if (weak) request.keys = pki::KeyAcceptance::weak_fixture;
  request.domains = {f.domain};
  request.organisation = "SecureMail certification fixture";
  request.public_key = key->get();
  request.not_before = not_before;
  request.not_after = not_after;
  request.crl_url = crl_url;
  auto cert = authority.issue(request);
  if (!cert) return std::unexpected(cert.error());
  std::error_code ec;
  fs::create_directories(folder / spec.name, ec);
  if (ec) return std::unexpected(trouble("cannot create " + (folder / spec.name).string() + ": " + ec.message()));
  if (auto w = pki::write_private_key(f.key, key->get()); !w) return std::unexpected(w.error());
  if (X509_self_signed(const_cast<X509*>(authority.certificate()), 0) != 1) {
    f.chain = folder / spec.name / "chain.pem";  // a subordinate issued it: the runner sends its certificate along
    if (auto w = pki::write_file_atomic(f.chain, pki::to_pem(authority.certificate()), 0644, true); !w)
      return std::unexpected(w.error());
  }
  if (auto w = pki::write_file_atomic(f.cert, pki::to_pem(cert->get()), 0644, true); !w) return std::unexpected(w.error());
  return f;
}

// fx-nocrl's issuer: a subordinate CA below `authority` for the facility's
// domain only, made once in DATA/certify/nocrl-ca; its CRL stays there.
Result<pki::Authority> nocrl_issuer(pki::Authority& authority, const fs::path& data, const std::string& facility_domain) {
  const fs::path dir = data / "certify" / "nocrl-ca";
  if (!fs::exists(pki::Authority::certificate_file(dir))) {
    pki::SubordinateOptions options{"SecureMail Certification No-CRL CA", facility_domain, 3 * 365};
    if (auto r = pki::init_subordinate_authority(dir, authority, options); !r) return std::unexpected(r.error());
  }
  return pki::Authority::open(dir);
}

// The URL fx-nocrl names for its CRL: a host that never resolves.
std::string unreachable_crl_url(const std::string& facility_domain) {
  return "http://crl.nocrl." + facility_domain + ".invalid/nocrl-ca.crl";
}

}  // namespace

fs::path fixtures_folder(const fs::path& data) { return data / "certify" / "fixtures"; }

Result<std::vector<Fixture>> make_fixtures(pki::Authority& authority, const fs::path& authority_dir, const fs::path& data,
                                           const FixtureSetup& setup) {
  const std::string& facility_domain = setup.facility_domain;
  const fs::path folder = fixtures_folder(data);
  if (fs::exists(folder))
    return std::unexpected(trouble(folder.string() + " exists already: the fixtures are made (move it away to make "
                                   "them anew)"));
  const fs::path rogue_dir = data / "certify" / "rogue-ca";
  pki::AuthorityOptions rogue_options;
  rogue_options.name = "SecureMail Certification Rogue CA";  // not the real one's name: a clean "untrusted"
  if (!fs::exists(pki::Authority::certificate_file(rogue_dir)))
    if (auto r = pki::init_authority(rogue_dir, rogue_options); !r) return std::unexpected(r.error());
  auto rogue = pki::Authority::open(rogue_dir);
  if (!rogue) return std::unexpected(rogue.error());

  auto nocrl = nocrl_issuer(authority, data, facility_domain);
  if (!nocrl) return std::unexpected(nocrl.error());

  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<Fixture> made;
  for (const auto& spec : kFixtures) {
    std::int64_t nb = now - 30 * kDay, na = now + 3 * 365 * kDay;
    if (spec.name == "expired") na = now - kDay;
    if (spec.name == "notyet") nb = now + 3650 * kDay, na = nb + 365 * kDay;
    pki::Authority& issuer = spec.name == "wrongca" ? *rogue : spec.name == "nocrl" ? *nocrl : authority;
    auto f = issue_fixture(issuer, folder, spec, facility_domain, nb, na,
                           spec.name == "nocrl" ? unreachable_crl_url(facility_domain) : std::string());
    if (!f) return std::unexpected(f.error());
    if (spec.name == "revoked") {
      auto cert = pki::read_certificate(f->cert);
      if (!cert) return std::unexpected(cert.error());
      if (auto r = authority.revoke(pki::fingerprint(cert->get()), pki::RevocationReason::key_compromise); !r)
        return std::unexpected(r.error());
    }
    made.push_back(std::move(*f));
  }
  std::map<std::string, std::string> endpoints = {};  // member id -> its endpoint
  for (const auto& spec : kDecoys)
    for (const auto& [name, at] : setup.decoys)
      if (name == spec.name) {
        auto f = issue_fixture(authority, folder, spec, facility_domain, now - 30 * kDay, now + 3 * 365 * kDay);
        if (!f) return std::unexpected(f.error());
        endpoints[f->member_id] = at;
        made.push_back(std::move(*f));
      }
  // The registry opens after the revocation, so its trust sees the CRL.
  auto registry = directory::Registry::open(authority_dir);
  if (!registry) return std::unexpected(registry.error());
  for (const auto& f : made) {
    auto pem = pki::read_file(f.cert, 1 << 20);
    if (!pem) return std::unexpected(pem.error());
    directory::Member m;
    m.id = f.member_id;
    m.organisation = "SecureMail certification fixture (" + std::string(f.spec.what) + ")";
    m.domains = {f.domain};
    auto decoy = endpoints.find(f.member_id);  // else never used: no gateway seals to a certificate that fails
    m.endpoints = {decoy != endpoints.end() ? decoy->second : setup.endpoint};
    m.certificates = {*pem};
    m.capabilities = {std::string(directory::kCapFixture)};
    m.jurisdiction = setup.jurisdiction;
    auto r = registry->get(m.id) ? registry->update(m) : registry->add(m);
    if (!r) return std::unexpected(r.error());
  }
  return made;
}

std::vector<Fixture> load_fixtures(const fs::path& data, const std::string& facility_domain) {
  std::vector<Fixture> out;
  const fs::path folder = fixtures_folder(data);
  for (const auto& spec : kFixtures) {
    Fixture f{spec, "fx-" + std::string(spec.name), std::string(spec.name) + "." + facility_domain,
              folder / spec.name / "key.pem", folder / spec.name / "cert.pem"};
    std::error_code ec;
    if (fs::exists(folder / spec.name / "chain.pem", ec)) f.chain = folder / spec.name / "chain.pem";
    if (fs::exists(f.key, ec) && fs::exists(f.cert, ec)) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace sm::certify
