// pki_keyring_test.cpp - a gateway's key sets in DATA/pki: install and
// rotation (retired marks), RSA and EC side by side, refusals (mismatched
// key, group-readable key), trust files, on real folders.
#include "pki/keyring.h"

#include <gtest/gtest.h>

#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/trust.h"
#include "pki_test_support.h"

using namespace sm;
using namespace sm::pki;
using namespace sm::pki::testing;

namespace {

struct Issued {
  ossl::EvpPkeyPtr key;
  ossl::X509Ptr cert;
};

class PkiKeyring : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auth_ = new TempDir;
    ASSERT_TRUE(init_test_authority(auth_->path / "AUTH"));
  }
  static void TearDownTestSuite() { delete auth_; }

  static Issued issue(KeyType type, const std::string& domain = "gw.example") {
    Issued out;
    out.key = std::move(*generate_key(type));
    auto a = Authority::open(auth_->path / "AUTH");
    GatewayCertRequest req;
    req.domains = {domain};
    req.public_key = out.key.get();
    out.cert = std::move(*a->issue(req));
    return out;
  }

  TempDir data_;
  static inline TempDir* auth_ = nullptr;
};

TEST_F(PkiKeyring, AbsentFolderIsAnEmptyKeyring) {
  auto ring = Keyring::load(data_.path);
  ASSERT_TRUE(ring) << ring.error().text;
  EXPECT_TRUE(ring->empty());
  EXPECT_EQ(ring->signing(), nullptr);
}

TEST_F(PkiKeyring, RotationRetiresThePreviousSetOfTheType) {
  Issued first = issue(KeyType::ec_p256), second = issue(KeyType::ec_p256);
  auto id1 = Keyring::install(data_.path, first.key.get(), first.cert.get());
  ASSERT_TRUE(id1) << id1.error().text;
  auto id2 = Keyring::install(data_.path, second.key.get(), second.cert.get());
  ASSERT_TRUE(id2) << id2.error().text;
  EXPECT_NE(*id1, *id2);
  EXPECT_TRUE(id1->starts_with("ec-p256-")) << *id1;
  EXPECT_EQ(id1->size(), std::string("ec-p256-20261123120000").size());

  fs::path pki = Keyring::dir(data_.path);
  EXPECT_EQ(file_mode(pki), 0700u);
  EXPECT_EQ(file_mode(pki / "keys"), 0700u);
  EXPECT_EQ(file_mode(pki / "keys" / *id2), 0700u);
  EXPECT_EQ(file_mode(pki / "keys" / *id2 / "key.pem"), 0600u);
  EXPECT_TRUE(fs::exists(pki / "keys" / *id1 / "retired"));
  EXPECT_FALSE(fs::exists(pki / "keys" / *id2 / "retired"));

  auto ring = Keyring::load(data_.path);
  ASSERT_TRUE(ring) << ring.error().text;
  ASSERT_EQ(ring->sets().size(), 2u);
  const KeySet* signing = ring->signing();
  ASSERT_NE(signing, nullptr);
  EXPECT_EQ(signing->id, *id2);
  EXPECT_EQ(EVP_PKEY_eq(signing->key.get(), second.key.get()), 1);
  EXPECT_EQ(fingerprint(signing->cert.get()), fingerprint(second.cert.get()));
  const KeySet* old = ring->find(*id1);
  ASSERT_NE(old, nullptr);
  EXPECT_FALSE(old->active());
  EXPECT_GT(old->retired_at, 0);
  EXPECT_EQ(ring->sets()[0].id, *id2);  // active first
  EXPECT_EQ(ring->sets()[1].id, *id1);
  EXPECT_EQ(ring->find("nope"), nullptr);
}

TEST_F(PkiKeyring, RsaAndEcActiveSideBySide) {
  Issued rsa = issue(KeyType::rsa2048), ec = issue(KeyType::ec_p256);
  auto rsa_id = Keyring::install(data_.path, rsa.key.get(), rsa.cert.get());
  auto ec_id = Keyring::install(data_.path, ec.key.get(), ec.cert.get());
  ASSERT_TRUE(rsa_id && ec_id);
  auto ring = Keyring::load(data_.path);
  ASSERT_TRUE(ring) << ring.error().text;
  ASSERT_EQ(ring->sets().size(), 2u);
  EXPECT_TRUE(ring->sets()[0].active() && ring->sets()[1].active());
  EXPECT_EQ(ring->sets()[0].type, KeyType::ec_p256);  // stronger first
  EXPECT_EQ(ring->signing()->id, *ec_id);
  EXPECT_EQ(ring->signing(KeyType::rsa2048)->id, *rsa_id);
  EXPECT_EQ(ring->signing(KeyType::ec_p384)->id, *ec_id);  // not held: first active
}

TEST_F(PkiKeyring, RefusesMismatchedAndExposedKeys) {
  Issued a = issue(KeyType::ec_p256), b = issue(KeyType::ec_p256);
  auto bad = Keyring::install(data_.path, a.key.get(), b.cert.get());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().text.find("does not match"), std::string::npos) << bad.error().text;
  EXPECT_FALSE(fs::exists(Keyring::dir(data_.path) / "keys") &&
               !fs::is_empty(Keyring::dir(data_.path) / "keys"));

  auto id = Keyring::install(data_.path, a.key.get(), a.cert.get());
  ASSERT_TRUE(id);
  fs::path key = Keyring::dir(data_.path) / "keys" / *id / "key.pem";
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  auto ring = Keyring::load(data_.path);
  ASSERT_FALSE(ring);
  EXPECT_NE(ring.error().text.find(key.string()), std::string::npos) << ring.error().text;
  EXPECT_NE(ring.error().text.find("group or others"), std::string::npos) << ring.error().text;
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);

  // A key swapped under a certificate on disk is caught at load.
  fs::path cert = Keyring::dir(data_.path) / "keys" / *id / "cert.pem";
  write_text(cert, to_pem(b.cert.get()));
  auto swapped = Keyring::load(data_.path);
  ASSERT_FALSE(swapped);
  EXPECT_NE(swapped.error().text.find("does not match"), std::string::npos) << swapped.error().text;
}

TEST_F(PkiKeyring, IgnoresUnfinishedInstallsAndKeepsChains) {
  Issued a = issue(KeyType::ec_p384);
  auto ca = Authority::read_certificate(auth_->path / "AUTH");
  std::vector<ossl::X509Ptr> chain;
  chain.push_back(clone(ca->get()));
  auto id = Keyring::install(data_.path, a.key.get(), a.cert.get(), chain);
  ASSERT_TRUE(id);
  fs::create_directories(Keyring::dir(data_.path) / "keys" / ".tmp-ec-p256-20200101000000");
  auto ring = Keyring::load(data_.path);
  ASSERT_TRUE(ring) << ring.error().text;
  ASSERT_EQ(ring->sets().size(), 1u);
  EXPECT_EQ(ring->sets()[0].type, KeyType::ec_p384);
  ASSERT_EQ(ring->sets()[0].chain.size(), 1u);
  EXPECT_EQ(fingerprint(ring->sets()[0].chain[0].get()), fingerprint(ca->get()));
}

TEST_F(PkiKeyring, TrustFilesServeChainValidation) {
  auto ca = Authority::read_certificate(auth_->path / "AUTH");
  auto crl = read_file(Authority::crl_file(auth_->path / "AUTH"));
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(clone(ca->get()));
  EXPECT_FALSE(Keyring::install_trust(data_.path, {}));
  EXPECT_FALSE(Keyring::install_trust(data_.path, anchors, "not a crl"));
  ASSERT_TRUE(Keyring::install_trust(data_.path, anchors, *crl));
  Issued gw = issue(KeyType::ec_p256);
  auto trust = TrustStore::load(Keyring::anchors_file(data_.path), Keyring::crl_file(data_.path));
  ASSERT_TRUE(trust) << trust.error().text;
  EXPECT_TRUE(verify_chain(*trust, gw.cert.get(), nullptr, Purpose::smime_sign).ok());
}

TEST(PkiKeyId, Format) {
  EXPECT_EQ(make_key_id(KeyType::ec_p256, 1795435200), "ec-p256-20261123120000");
  EXPECT_EQ(make_key_id(KeyType::rsa3072, 0), "rsa-3072-19700101000000");
}

}  // namespace
