// directory_crl_test.cpp - the authority's CRL carried by the signed feed:
// `publish` puts AUTH/crl.pem in the SignedData's crls set (republishing it
// first when less than half its validity is left) without touching the
// signed JSON; a gateway takes only a current CRL the authority signed, and
// never lets an older CRL replace a newer one (feed_crl.h).
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "directory/feed_crl.h"
#include "directory/registry.h"
#include "directory/replica.h"
#include "directory_test_support.h"
#include "pki/builder.h"

namespace sm::directory {
namespace {

namespace fs = std::filesystem;
using testing::make_member;
using testing::now_seconds;
using testing::TempDir;
using testing::TestAuthority;

constexpr std::int64_t kDay = 86400;

std::string read_text(const fs::path& file) {
  auto text = pki::read_file(file);
  return text ? *text : std::string();
}

// A CRL by `authority` listing what it revoked, as of `this_update`, valid `days`.
ossl::X509CrlPtr crl_of(TestAuthority& authority, long number, std::int64_t this_update, int days = 30) {
  auto records = authority.authority().issued();
  EXPECT_TRUE(records) << records.error().text;
  auto crl = pki::detail::build_crl(const_cast<X509*>(authority.cert()), const_cast<EVP_PKEY*>(authority.key()),
                                    records ? *records : std::vector<pki::IssuedRecord>{}, number, this_update, days);
  EXPECT_TRUE(crl) << crl.error().text;
  return crl ? std::move(*crl) : nullptr;
}

long crl_number(const X509_CRL* crl) {
  ossl::Asn1IntegerPtr n(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  return n ? ASN1_INTEGER_get(n.get()) : -1;
}

bool lists_serial(const X509_CRL* crl, const std::string& hex_serial) {
  auto serial = pki::detail::parse_serial(hex_serial);
  X509_REVOKED* entry = nullptr;
  return serial && X509_CRL_get0_by_serial(const_cast<X509_CRL*>(crl), &entry, serial->get()) == 1;
}

std::vector<ossl::X509CrlPtr> one(ossl::X509CrlPtr crl) {
  std::vector<ossl::X509CrlPtr> v;
  v.push_back(std::move(crl));
  return v;
}

class FeedCrlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_lines_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
    spdlog::default_logger()->sinks().push_back(log_lines_);
  }
  void TearDown() override {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), log_lines_), sinks.end());
  }
  bool logged(std::string_view text) const {
    for (const auto& line : log_lines_->last_formatted())
      if (line.find(text) != std::string::npos) return true;
    return false;
  }
  Registry open_registry() {
    auto r = Registry::open(auth_.dir());
    EXPECT_TRUE(r) << r.error().text;
    return std::move(*r);
  }
  fs::path gateway_crl() const { return gateway_.path / "crl.pem"; }

  TestAuthority auth_;
  TempDir gateway_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_lines_;
};

TEST_F(FeedCrlTest, PublishedFeedCarriesTheAuthorityCrlBesideUnchangedJson) {
  Registry reg = open_registry();
  ASSERT_TRUE(reg.add(make_member("alpha", {"a.example"}, &auth_)));
  auto held = pki::read_crl(pki::Authority::crl_file(auth_.dir()));
  ASSERT_TRUE(held) << held.error().text;
  auto feed = reg.publish(auth_.authority());
  ASSERT_TRUE(feed) << feed.error().text;

  std::string der = read_text(Registry::feed_file(auth_.dir()));
  auto verified = verify_feed_with_crls(der, auth_.verify_options());
  ASSERT_TRUE(verified) << verified.error().text();
  ASSERT_EQ(verified->crls.size(), 1u);
  // A fresh CRL (from init) is carried as it is, not republished.
  EXPECT_EQ(pki::to_pem(verified->crls[0].get()), pki::to_pem(held->get()));
  EXPECT_EQ(read_text(pki::Authority::crl_file(auth_.dir())), pki::to_pem(held->get()));
  // The signed content is the canonical JSON alone.
  EXPECT_EQ(verified->feed, *feed);
  EXPECT_EQ(read_text(Registry::feed_json_file(auth_.dir())), canonical_json(*feed));
  auto plain = verify_feed(der, auth_.verify_options());
  ASSERT_TRUE(plain) << plain.error().text();
  EXPECT_EQ(*plain, *feed);
}

TEST_F(FeedCrlTest, CrlWithLessThanHalfItsValidityLeftIsRepublishedAtPublish) {
  std::int64_t now = now_seconds();
  auto aging = crl_of(auth_, 7, now - 16 * kDay);  // 30 days, 14 left
  ASSERT_TRUE(pki::write_file_atomic(pki::Authority::crl_file(auth_.dir()), pki::to_pem(aging.get())));
  Registry reg = open_registry();
  ASSERT_TRUE(reg.publish(auth_.authority()));

  auto fresh = pki::read_crl(pki::Authority::crl_file(auth_.dir()));
  ASSERT_TRUE(fresh) << fresh.error().text;
  EXPECT_NE(pki::to_pem(fresh->get()), pki::to_pem(aging.get()));
  auto this_update = crl_time(X509_CRL_get0_lastUpdate(fresh->get()));
  auto next_update = crl_time(X509_CRL_get0_nextUpdate(fresh->get()));
  ASSERT_TRUE(this_update && next_update);
  EXPECT_GE(*this_update, now - 5);
  EXPECT_GE(*next_update, now + 29 * kDay);
  auto verified = verify_feed_with_crls(read_text(Registry::feed_file(auth_.dir())), auth_.verify_options());
  ASSERT_TRUE(verified) << verified.error().text();
  ASSERT_EQ(verified->crls.size(), 1u);
  EXPECT_EQ(pki::to_pem(verified->crls[0].get()), pki::to_pem(fresh->get()));

  // Half or more left: the next publish carries the same CRL.
  ASSERT_TRUE(reg.publish(auth_.authority()));
  EXPECT_EQ(read_text(pki::Authority::crl_file(auth_.dir())), pki::to_pem(fresh->get()));
}

TEST_F(FeedCrlTest, ExpiredOrMissingCrlIsRepublishedAtPublish) {
  std::error_code ec;
  fs::remove(pki::Authority::crl_file(auth_.dir()), ec);
  Registry reg = open_registry();
  ASSERT_TRUE(reg.publish(auth_.authority()));
  auto crl = pki::read_crl(pki::Authority::crl_file(auth_.dir()));
  ASSERT_TRUE(crl) << crl.error().text;
  EXPECT_GT(crl_time(X509_CRL_get0_nextUpdate(crl->get())).value_or(0), now_seconds() + 29 * kDay);
}

TEST_F(FeedCrlTest, RevokedSerialReachesTheGatewayCrlFile) {
  std::string pem = auth_.issue({"b.example"});
  auto cert = pki::parse_certificates_pem(pem);
  ASSERT_TRUE(cert && cert->size() == 1);
  std::string serial = pki::describe(cert->front().get()).serial;
  ASSERT_TRUE(auth_.authority().revoke(serial));
  Registry reg = open_registry();
  ASSERT_TRUE(reg.publish(auth_.authority()));

  TempDir data;
  auto replica = Replica::open(data.path, auth_.verify_options());
  ASSERT_TRUE(replica) << replica.error().text;
  auto report = (*replica)->apply(read_text(Registry::feed_file(auth_.dir())));
  ASSERT_TRUE(report) << report.error().text();
  ASSERT_EQ(report->crls.size(), 1u);
  auto installed = install_feed_crl(report->crls, auth_.cert(), gateway_crl(), now_seconds());
  ASSERT_TRUE(installed) << installed.error().text;
  ASSERT_TRUE(installed->has_value());
  EXPECT_TRUE((*installed)->text().starts_with("CRL of ")) << (*installed)->text();
  EXPECT_NE((*installed)->text().find("(next update "), std::string::npos) << (*installed)->text();
  auto on_disk = pki::read_crl(gateway_crl());
  ASSERT_TRUE(on_disk) << on_disk.error().text;
  EXPECT_TRUE(lists_serial(on_disk->get(), serial));
  EXPECT_EQ(fs::status(gateway_crl()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

TEST_F(FeedCrlTest, CrlSignedByAnotherAuthorityIsIgnoredWithAWarning) {
  // Same name as ours, so only the signature tells them apart.
  TestAuthority impostor("Test Directory Authority");
  TestAuthority other("Other Authority");
  std::int64_t now = now_seconds();
  auto forged = crl_of(impostor, 100, now - 60);
  auto der = sign_feed(testing::make_feed(1, {}), auth_.key(), auth_.cert(), forged.get());
  ASSERT_TRUE(der) << der.error().text;
  auto verified = verify_feed_with_crls(*der, auth_.verify_options());  // the feed itself is good
  ASSERT_TRUE(verified) << verified.error().text();
  std::vector<ossl::X509CrlPtr> crls = std::move(verified->crls);
  ASSERT_EQ(crls.size(), 1u);
  crls.push_back(crl_of(other, 100, now - 60));
  auto installed = install_feed_crl(crls, auth_.cert(), gateway_crl(), now);
  ASSERT_TRUE(installed) << installed.error().text;
  EXPECT_FALSE(installed->has_value());
  EXPECT_FALSE(fs::exists(gateway_crl()));
  EXPECT_TRUE(logged("not used: its signature does not verify")) << "no warning for the impostor's CRL";
  EXPECT_TRUE(logged("not used: issued by ")) << "no warning for the other authority's CRL";

  // Ours beside them is the one taken.
  crls.push_back(crl_of(auth_, 5, now - 60));
  EXPECT_EQ(authority_crl(crls, auth_.cert(), now), crls.back().get());
}

TEST_F(FeedCrlTest, ExpiredOrFutureCrlIsIgnored) {
  std::int64_t now = now_seconds();
  EXPECT_EQ(authority_crl(one(crl_of(auth_, 5, now - 31 * kDay)), auth_.cert(), now), nullptr);
  EXPECT_TRUE(logged("not used: it expired at "));
  EXPECT_EQ(authority_crl(one(crl_of(auth_, 6, now + kDay)), auth_.cert(), now), nullptr);
  EXPECT_TRUE(logged("not used: it is not valid before "));
}

TEST_F(FeedCrlTest, OlderCrlDoesNotReplaceANewerOne) {
  std::int64_t now = now_seconds();
  auto newer = crl_of(auth_, 9, now - kDay);
  ASSERT_TRUE(install_crl(gateway_crl(), newer.get()).value().has_value());
  std::string held = read_text(gateway_crl());

  auto older = crl_of(auth_, 8, now - 60);  // later thisUpdate, lower CRL number
  auto r = install_crl(gateway_crl(), older.get());
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_FALSE(r->has_value());
  auto same = install_crl(gateway_crl(), newer.get());
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->has_value());
  EXPECT_EQ(read_text(gateway_crl()), held);

  auto newest = crl_of(auth_, 10, now - 30);
  r = install_crl(gateway_crl(), newest.get());
  ASSERT_TRUE(r && r->has_value());
  auto on_disk = pki::read_crl(gateway_crl());
  ASSERT_TRUE(on_disk);
  EXPECT_EQ(crl_number(on_disk->get()), 10);
}

TEST_F(FeedCrlTest, OtherIssuersCrlsInTheFileAreKept) {
  TestAuthority other("Other Authority");
  std::int64_t now = now_seconds();
  auto theirs = crl_of(other, 3, now - 60);
  ASSERT_TRUE(pki::write_file_atomic(gateway_crl(), pki::to_pem(theirs.get())));
  auto ours = crl_of(auth_, 4, now - 60);
  ASSERT_TRUE(install_crl(gateway_crl(), ours.get()).value().has_value());
  EXPECT_EQ(read_text(gateway_crl()), pki::to_pem(theirs.get()) + pki::to_pem(ours.get()));
}

TEST_F(FeedCrlTest, UnreadableCrlFileIsReplaced) {
  { std::ofstream(gateway_crl()) << "not a CRL\n"; }
  auto ours = crl_of(auth_, 4, now_seconds() - 60);
  ASSERT_TRUE(install_crl(gateway_crl(), ours.get()).value().has_value());
  EXPECT_EQ(read_text(gateway_crl()), pki::to_pem(ours.get()));
  EXPECT_TRUE(logged("no PEM CRL in it"));
}

TEST_F(FeedCrlTest, FeedWithoutCrlInstallsNothing) {
  auto der = sign_feed(testing::make_feed(1, {}), auth_.key(), auth_.cert());
  ASSERT_TRUE(der) << der.error().text;
  auto verified = verify_feed_with_crls(*der, auth_.verify_options());
  ASSERT_TRUE(verified) << verified.error().text();
  EXPECT_TRUE(verified->crls.empty());
  auto installed = install_feed_crl(verified->crls, auth_.cert(), gateway_crl(), now_seconds());
  ASSERT_TRUE(installed);
  EXPECT_FALSE(installed->has_value());
  EXPECT_FALSE(fs::exists(gateway_crl()));
}

}  // namespace
}  // namespace sm::directory
