// directory_test_support.h - shared by the directory_*_test.cpp files: a
// temporary folder, a real authority (EC P-256, so tests stay fast) that
// issues gateway certificates, and builders for members and signed feeds.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "directory/feed.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/trust.h"
#include "temp_dir.h"

namespace sm::directory::testing {

namespace fs = std::filesystem;

using test_support::TempDir;

inline std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The gateway key every test certificate certifies (one per process).
inline const EVP_PKEY* gateway_key() {
  static ossl::EvpPkeyPtr key = [] {
    auto k = pki::generate_key(pki::KeyType::ec_p256);
    return k ? std::move(*k) : nullptr;
  }();
  return key.get();
}

// An authority in its own folder, with its key at hand for signing feeds.
class TestAuthority {
 public:
  explicit TestAuthority(std::string name = "Test Directory Authority") {
    pki::AuthorityOptions options;
    options.name = std::move(name);
    options.key_type = pki::KeyType::ec_p256;
    auto made = pki::init_authority(dir_.path, options);
    EXPECT_TRUE(made) << made.error().text;
    auto opened = pki::Authority::open(dir_.path);
    EXPECT_TRUE(opened) << opened.error().text;
    authority_ = std::make_unique<pki::Authority>(std::move(*opened));
    auto key = pki::read_private_key(dir_.path / "ca.key");
    EXPECT_TRUE(key) << key.error().text;
    key_ = std::move(*key);
    reload_trust();
  }

  const fs::path& dir() const { return dir_.path; }
  pki::Authority& authority() { return *authority_; }
  const X509* cert() const { return authority_->certificate(); }
  const EVP_PKEY* key() const { return key_.get(); }
  const pki::TrustStore& trust() const { return *trust_; }
  std::shared_ptr<const pki::TrustStore> shared_trust() const { return trust_; }
  std::string subject() const { return pki::describe(cert()).subject; }

  // A gateway certificate (PEM) naming these domains, valid from a month
  // ago for a year (or until not_after).
  std::string issue(std::vector<std::string> domains, std::int64_t not_after = 0) {
    pki::GatewayCertRequest request;
    request.domains = std::move(domains);
    request.public_key = gateway_key();
    request.not_before = now_seconds() - 30 * 86400;
    request.not_after = not_after != 0 ? not_after : now_seconds() + 365 * 86400;
    auto cert = authority_->issue(request);
    EXPECT_TRUE(cert) << cert.error().text;
    return cert ? pki::to_pem(cert->get()) : std::string();
  }

  // After a revocation: a store that sees the new CRL.
  void reload_trust() {
    auto trust = pki::TrustStore::load(pki::Authority::certificate_file(dir_.path),
                                       pki::Authority::crl_file(dir_.path), {.require_crl = false});
    EXPECT_TRUE(trust) << trust.error().text;
    trust_ = std::make_shared<const pki::TrustStore>(std::move(*trust));
  }

  VerifyOptions verify_options(std::uint64_t current_serial = 0) const {
    VerifyOptions o;
    o.authority = cert();
    o.current_serial = current_serial;
    return o;
  }

  std::string sign(const Feed& feed) const {
    auto der = sign_feed(feed, key(), cert());
    EXPECT_TRUE(der) << der.error().text;
    return der ? *der : std::string();
  }

 private:
  TempDir dir_;
  std::unique_ptr<pki::Authority> authority_;
  ossl::EvpPkeyPtr key_;
  std::shared_ptr<const pki::TrustStore> trust_;
};

// A member with every field set; its certificate is issued when an
// authority is given (certificates must then name the domains).
inline Member make_member(std::string id, std::vector<std::string> domains,
                          TestAuthority* authority = nullptr) {
  Member m;
  m.id = std::move(id);
  m.organisation = "Org " + m.id;
  m.domains = std::move(domains);
  m.endpoints = {"mx." + m.domains.front() + ":25"};
  m.certificates = {authority != nullptr ? authority->issue(m.domains)
                                         : std::string("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")};
  m.capabilities = {"auth-enveloped", "ec"};
  m.jurisdiction = "NZ";
  m.admin_contact = "securemailadmin@" + m.domains.front();
  m.created = 1700000000;
  m.updated = 1700000100;
  m.max_marking = "RESTRICTED";
  m.certification = {"1.0", "2026-01-15", "pass"};
  return m;
}

inline Feed make_feed(std::uint64_t serial, std::vector<Member> members,
                      std::int64_t issued = now_seconds(), std::string authority = "CN=Test") {
  Feed f;
  f.serial = serial;
  f.issued = issued;
  f.authority = std::move(authority);
  f.members = std::move(members);
  return f;
}

}  // namespace sm::directory::testing
