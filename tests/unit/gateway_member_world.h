// gateway_member_world.h - member gateways under one authority for the
// gateway's sealed own-mail and receipt tests: each (a.example, b.example,
// c.example) has DATA/pki (its key set, the authority and its CRL), a
// config, its GatewayKeys, a spool and a parsed-certificate cache; the
// directory lists them all. Nothing is mocked: real keys, real CMS, real
// spools in a temp folder.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "directory/directory.h"
#include "gateway/gateway_keys.h"
#include "gateway/inbound.h"
#include "gateway/member_certs.h"
#include "gateway/outbound.h"
#include "gateway/own_mail.h"
#include "gateway_directory_support.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/keyring.h"
#include "queue/spool.h"
#include "temp_dir.h"
#include "util/base64.h"

namespace sm::gateway::testing {

namespace fs = std::filesystem;

struct MemberGateway {
  config::Config config;
  std::shared_ptr<const GatewayKeys> keys;
  directory::Member member;
  std::unique_ptr<queue::Spool> spool;
  std::unique_ptr<MemberCertificates> certs = std::make_unique<MemberCertificates>();
};

// The ids an OwnMail (or anything) reports committed, in order.
struct CommittedIds {
  std::mutex mu;
  std::vector<std::string> ids;
  std::function<void(const std::string&)> callback() {
    return [this](const std::string& id) {
      std::lock_guard lock(mu);
      ids.push_back(id);
    };
  }
  // Up to 10 s for at least n; what there is then.
  std::vector<std::string> wait(std::size_t n) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard lock(mu);
        if (ids.size() >= n) return ids;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard lock(mu);
    return ids;
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return ids.size();
  }
};

class MemberWorld {
 public:
  // extra_toml: appended to every gateway's config.
  explicit MemberWorld(const std::string& extra_toml = "") {
    directory::Feed feed;
    feed.serial = 1;
    feed.issued = std::time(nullptr);
    for (const char* domain : {"a.example", "b.example", "c.example"}) {
      gateways[domain] = make(domain, extra_toml);
      feed.members.push_back(gateways[domain].member);
    }
    directory = directory::Directory::build(std::move(feed));
  }

  MemberGateway& operator[](const std::string& domain) { return gateways.at(domain); }
  DirectorySnapshot snapshot() const {
    return [d = directory] { return d; };
  }
  // An Opener as the gateway for `domain` runs it.
  Opener opener(const std::string& domain) {
    auto& g = gateways.at(domain);
    return Opener(g.config, g.keys, snapshot(), *g.certs, nullptr);
  }

  test_support::TempDir tmp{"sm-members"};
  DirectoryWorld authority{tmp.path};
  std::map<std::string, MemberGateway> gateways;
  std::shared_ptr<const directory::Directory> directory;

 private:
  MemberGateway make(const std::string& domain, const std::string& extra_toml) {
    MemberGateway g;
    fs::path data = tmp.path / domain;
    ossl::EvpPkeyPtr key;
    g.member = authority.member(domain, domain, &key);
    g.member.id = domain.substr(0, domain.find('.')) + "-example";
    auto cert = pki::parse_certificates_pem(g.member.certificates.at(0));
    EXPECT_TRUE(cert && key);
    EXPECT_TRUE(pki::Keyring::install(data, key.get(), cert->at(0).get()));
    auto anchor = pki::Authority::read_certificate(authority.authority_dir());
    auto crl = pki::read_crl(pki::Authority::crl_file(authority.authority_dir()));
    EXPECT_TRUE(anchor && crl);
    std::vector<ossl::X509Ptr> anchors;
    anchors.push_back(std::move(*anchor));
    EXPECT_TRUE(pki::Keyring::install_trust(data, anchors, pki::to_pem(crl->get())));

    std::string text = "domain = \"" + domain + "\"\nhostname = \"gw." + domain + "\"\ndata_dir = \"" + data.string() +
                       "\"\n[deliver]\ninternal = \"maildir:" + (data / "maildir").string() + "\"\n" + extra_toml;
    auto c = config::load_string(text, "test.toml", tmp.path);
    EXPECT_TRUE(c) << (c ? "" : c.error());
    if (c) g.config = std::move(*c);
    auto keys = GatewayKeys::load(g.config);
    EXPECT_TRUE(keys) << (keys ? "" : keys.error().text);
    if (keys) g.keys = *keys;
    auto spool = queue::Spool::open(data / "queue");
    EXPECT_TRUE(spool) << (spool ? "" : spool.error().text);
    if (spool) g.spool = std::move(*spool);

    return g;
  }
};

// The decoded octets of the base64 attachment `filename` of a multipart
// message our gateway wrote; "" when there is none.
inline std::string attachment_octets(const std::string& message, const std::string& filename) {
  auto named = message.find("filename=\"" + filename + "\"");
  if (named == std::string::npos) return {};
  auto body = message.find("\r\n\r\n", named);
  if (body == std::string::npos) return {};
  body += 4;
  auto end = message.find("\r\n--", body);
  std::string b64;
  for (char c : message.substr(body, end == std::string::npos ? std::string::npos : end - body))
    if (c != '\r' && c != '\n') b64 += c;
  return base64_decode(b64).value_or("");
}

// A fixture: the member world, and b's own mail with what it committed.
struct OwnMailAtB : ::testing::Test {
  MemberWorld world;
  MemberGateway& a = world["a.example"];
  MemberGateway& b = world["b.example"];
  CommittedIds committed;
  OwnMail own{b.config, *b.spool, b.keys, world.snapshot(), b.certs.get(), committed.callback()};
};

}  // namespace sm::gateway::testing
