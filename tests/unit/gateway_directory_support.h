// gateway_directory_support.h - a small directory world for the gateway's
// directory tests: an authority (its CA made by pki::init_authority), member
// certificates it issues, signed feeds written to a file, and a gateway
// config whose [directory] feed points at that file.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/feed.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "temp_dir.h"

namespace sm::gateway::testing {

namespace fs = std::filesystem;

using test_support::TempDir;

class DirectoryWorld {
 public:
  explicit DirectoryWorld(const fs::path& root, const std::string& name = "Test Authority")
      : root_(root), auth_(root / name.substr(0, name.find(' '))) {
    pki::AuthorityOptions options;
    options.name = name;
    options.key_type = pki::KeyType::ec_p256;
    auto made = pki::init_authority(auth_, options);
    EXPECT_TRUE(made) << (made ? "" : made.error().text);
    auto key = pki::read_private_key(auth_ / "ca.key");
    auto cert = pki::Authority::read_certificate(auth_);
    EXPECT_TRUE(key && cert);
    if (key) key_ = std::move(*key);
    if (cert) cert_ = std::move(*cert);
  }

  fs::path authority_pem() const { return pki::Authority::certificate_file(auth_); }
  fs::path authority_dir() const { return auth_; }
  fs::path feed_file() const { return root_ / (auth_.filename().string() + "-feed.cms"); }

  // A valid member of this authority for `domain` (id = first label).
  // key_out: when set, receives the member gateway's private key.
  directory::Member member(const std::string& domain, const std::string& organisation,
                           ossl::EvpPkeyPtr* key_out = nullptr) {
    auto authority = pki::Authority::open(auth_);
    auto key = pki::generate_key(pki::KeyType::ec_p256);
    EXPECT_TRUE(authority && key);
    pki::GatewayCertRequest req;
    req.domains = {domain};
    req.organisation = organisation;
    req.public_key = key->get();
    auto cert = authority->issue(req);
    EXPECT_TRUE(cert) << (cert ? "" : cert.error().text);
    directory::Member m;
    m.id = domain.substr(0, domain.find('.'));
    m.organisation = organisation;
    m.domains = {domain};
    m.endpoints = {"gw." + domain + ":25"};
    m.certificates = {pki::to_pem(cert->get())};
    m.capabilities = {"auth-enveloped", "ec"};
    m.jurisdiction = "NZ";
    m.admin_contact = "securemailadmin@" + domain;
    m.created = m.updated = std::time(nullptr) - 60;
    if (key_out) *key_out = std::move(*key);
    return m;
  }

  // Sign a feed and write it where the gateway fetches it. issued 0: now.
  void publish(std::uint64_t serial, std::vector<directory::Member> members, std::int64_t issued = 0) {
    directory::Feed feed;
    feed.serial = serial;
    feed.issued = issued ? issued : std::time(nullptr);
    feed.authority = pki::describe(cert_.get()).subject;
    feed.members = std::move(members);
    auto signed_feed = directory::sign_feed(feed, key_.get(), cert_.get());
    ASSERT_TRUE(signed_feed) << signed_feed.error().text;
    std::ofstream(feed_file(), std::ios::binary | std::ios::trunc) << *signed_feed;
  }

  // A gateway config in root/gw with [directory] feed = file:feed.cms.
  config::Config gateway_config(const std::string& extra = "") const {
    std::string text = "domain = \"b.example\"\nhostname = \"gw.b.example\"\ndata_dir = \"" +
                       (root_ / "gw").string() + "\"\n[directory]\nfeed = \"file:" + feed_file().string() +
                       "\"\nauthority = \"" + authority_pem().string() + "\"\n" + extra;
    auto c = config::load_string(text, "test.toml", root_);
    EXPECT_TRUE(c) << (c ? "" : c.error());
    return c ? *c : config::Config{};
  }

 private:
  fs::path root_, auth_;
  ossl::EvpPkeyPtr key_;
  ossl::X509Ptr cert_;
};

}  // namespace sm::gateway::testing
