// gateway_directory_crl_test.cpp - the gateway's CRL kept current by the
// directory feed: `directory fetch` (fetch_once) and the running service
// install the authority's CRL the feed carries as DATA/pki/crl.pem, the
// service tells on_crl_installed observers, and a gateway whose trust
// anchors do not hold the feed's authority installs nothing.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "directory/registry.h"
#include "gateway/directory_service.h"
#include "gateway_directory_support.h"
#include "pki/builder.h"
#include "pki/keyring.h"

using namespace sm;
using namespace sm::gateway;
using sm::gateway::testing::DirectoryWorld;
using sm::gateway::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// The world's authority folder, opened with its key, and its registry
// publishing (with the CRL) where the gateway fetches.
class CrlWorld {
 public:
  explicit CrlWorld(const fs::path& root) : world(root), auth_dir_(root / "Test") {
    auto a = pki::Authority::open(auth_dir_);
    EXPECT_TRUE(a) << a.error().text;
    authority_ = std::make_unique<pki::Authority>(std::move(*a));
  }

  // Revoke a new gateway certificate; its serial.
  std::string revoke_one(const std::string& domain) {
    auto key = pki::generate_key(pki::KeyType::ec_p256);
    pki::GatewayCertRequest req;
    req.domains = {domain};
    req.public_key = key->get();
    auto cert = authority_->issue(req);
    EXPECT_TRUE(cert) << cert.error().text;
    auto revoked = authority_->revoke(pki::describe(cert->get()).serial);
    EXPECT_TRUE(revoked) << revoked.error().text;
    return revoked ? revoked->serial : std::string();
  }

  void publish() {
    auto reg = directory::Registry::open(auth_dir_);
    ASSERT_TRUE(reg) << reg.error().text;
    auto feed = reg->publish(*authority_);
    ASSERT_TRUE(feed) << feed.error().text;
    fs::copy_file(directory::Registry::feed_file(auth_dir_), world.feed_file(), fs::copy_options::overwrite_existing);
  }

  // A gateway whose DATA/pki/authority.pem is this authority (as `init` leaves it).
  config::Config gateway_config() {
    config::Config c = world.gateway_config();
    auto anchors = pki::read_certificates(world.authority_pem());
    EXPECT_TRUE(anchors);
    auto r = pki::Keyring::install_trust(c.data_dir, *anchors);
    EXPECT_TRUE(r) << r.error().text;
    return c;
  }

  DirectoryWorld world;

 private:
  fs::path auth_dir_;
  std::unique_ptr<pki::Authority> authority_;
};

bool lists_serial(const fs::path& crl_file, const std::string& serial) {
  auto crl = pki::read_crl(crl_file);
  auto number = pki::detail::parse_serial(serial);
  X509_REVOKED* entry = nullptr;
  return crl && number && X509_CRL_get0_by_serial(crl->get(), &entry, number->get()) == 1;
}

struct CrlNotices {
  std::mutex mu;
  std::condition_variable cv;
  int seen = 0;
  void add() {
    std::lock_guard lock(mu);
    ++seen;
    cv.notify_all();
  }
  bool wait(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return seen >= n; });
  }
};

}  // namespace

TEST(DirectoryCrl, FetchOnceInstallsTheFeedCrl) {
  TempDir tmp;
  CrlWorld w(tmp.path);
  config::Config c = w.gateway_config();
  std::string serial = w.revoke_one("gone.example");
  w.publish();
  auto r = fetch_once(c);
  ASSERT_TRUE(r) << r.error().text;
  fs::path crl = pki::Keyring::crl_file(c.data_dir);
  ASSERT_TRUE(fs::exists(crl));
  EXPECT_TRUE(lists_serial(crl, serial));
}

TEST(DirectoryCrl, ServiceInstallsNewerCrlsAndTellsObservers) {
  TempDir tmp;
  CrlWorld w(tmp.path);
  config::Config c = w.gateway_config();
  w.publish();
  auto service = DirectoryService::open(c);
  ASSERT_TRUE(service) << service.error().text;
  CrlNotices notices;
  (*service)->on_crl_installed([&] { notices.add(); });
  (*service)->start();
  ASSERT_TRUE(notices.wait(1));
  fs::path crl = pki::Keyring::crl_file(c.data_dir);
  EXPECT_TRUE(fs::exists(crl));

  std::string serial = w.revoke_one("gone.example");  // a new CRL, then a new feed
  w.publish();
  (*service)->refresh_now();
  ASSERT_TRUE(notices.wait(2));
  EXPECT_TRUE(lists_serial(crl, serial));
  (*service)->stop();
  EXPECT_EQ(notices.seen, 2);
}

TEST(DirectoryCrl, NoCrlInstalledWhenTheFeedAuthorityIsNotATrustAnchor) {
  TempDir tmp;
  CrlWorld w(tmp.path);
  config::Config c = w.world.gateway_config();  // DATA/pki/authority.pem not installed
  w.publish();
  auto r = fetch_once(c);
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_TRUE(r->changed);
  EXPECT_FALSE(fs::exists(pki::Keyring::crl_file(c.data_dir)));
}
