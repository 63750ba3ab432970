// pki_backup_test.cpp - PKCS#12 key backups: what openssl pkcs12 sees in
// one (AES-256-CBC, PBKDF2, SHA-256 MAC), and that restoring into an empty
// data folder brings back the same IDs, retired marks, chains and anchors.
#include "pki/backup.h"

#include <gtest/gtest.h>

#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "pki_test_support.h"

using namespace sm;
using namespace sm::pki;
using namespace sm::pki::testing;

namespace {

class PkiBackup : public ::testing::Test {
 protected:
  // One gateway: two EC sets (first retired) and an RSA set with a chain.
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_TRUE(init_test_authority(dir_->path / "AUTH"));
    auto a = Authority::open(dir_->path / "AUTH");
    auto ca = Authority::read_certificate(dir_->path / "AUTH");
    for (KeyType t : {KeyType::ec_p256, KeyType::ec_p256, KeyType::rsa2048}) {
      auto key = generate_key(t);
      GatewayCertRequest req;
      req.domains = {"gw.example"};
      req.public_key = key->get();
      auto cert = a->issue(req);
      std::vector<ossl::X509Ptr> chain;
      if (t == KeyType::rsa2048) chain.push_back(clone(ca->get()));
      ASSERT_TRUE(Keyring::install(data(), key->get(), cert->get(), chain));
    }
    std::vector<ossl::X509Ptr> anchors;
    anchors.push_back(clone(ca->get()));
    ASSERT_TRUE(Keyring::install_trust(data(), anchors));
    write_text(dir_->path / "pass", "backup passphrase\n");
    ASSERT_TRUE(write_backup(data(), backup(), pass()));
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path data() { return dir_->path / "DATA"; }
  static fs::path backup() { return dir_->path / "keys.p12"; }
  static const Passphrase& pass() {
    static const Passphrase p("backup passphrase");
    return p;
  }
  static inline TempDir* dir_ = nullptr;
};

TEST_F(PkiBackup, OpensslSeesAes256CbcPbkdf2AndSha256Mac) {
  EXPECT_EQ(file_mode(backup()), 0600u);
  Command info = run("openssl pkcs12 -info -noout -in " + quoted(backup()) + " -passin file:" +
                     quoted(dir_->path / "pass"));
  ASSERT_EQ(info.status, 0) << info.output;
  EXPECT_NE(info.output.find("MAC: sha256, Iteration 600000"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256"),
            std::string::npos)
      << info.output;
  EXPECT_NE(info.output.find("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 600000"),
            std::string::npos)
      << info.output;
  EXPECT_EQ(info.output.find("RC2"), std::string::npos);
  EXPECT_EQ(info.output.find("3DES"), std::string::npos);
  write_text(dir_->path / "wrong", "nope\n");
  Command wrong = run("openssl pkcs12 -info -noout -in " + quoted(backup()) + " -passin file:" +
                      quoted(dir_->path / "wrong"));
  EXPECT_NE(wrong.status, 0);
}

TEST_F(PkiBackup, RestoreIntoAnEmptyFolderReproducesTheKeyring) {
  TempDir fresh;
  auto report = restore_backup(backup(), pass(), fresh.path);
  ASSERT_TRUE(report) << report.error().text;
  EXPECT_EQ(report->key_sets, 3);
  EXPECT_EQ(report->anchors, 1);
  auto before = Keyring::load(data());
  auto after = Keyring::load(fresh.path);
  ASSERT_TRUE(before && after) << (after ? "" : after.error().text);
  ASSERT_EQ(after->sets().size(), before->sets().size());
  for (std::size_t i = 0; i < before->sets().size(); ++i) {
    const KeySet& b = before->sets()[i];
    const KeySet& a = after->sets()[i];
    SCOPED_TRACE(b.id);
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.retired_at, b.retired_at);
    EXPECT_EQ(EVP_PKEY_eq(a.key.get(), b.key.get()), 1);
    EXPECT_EQ(fingerprint(a.cert.get()), fingerprint(b.cert.get()));
    EXPECT_EQ(to_pem(a.chain), to_pem(b.chain));
  }
  EXPECT_EQ(std::count_if(after->sets().begin(), after->sets().end(), [](const KeySet& s) { return !s.active(); }), 1);
  EXPECT_EQ(*read_file(Keyring::anchors_file(fresh.path)), *read_file(Keyring::anchors_file(data())));
  EXPECT_EQ(file_mode(Keyring::dir(fresh.path)), 0700u);

  // The same IDs again: refused, nothing half-written.
  auto again = restore_backup(backup(), pass(), fresh.path);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().text.find("already holds key set"), std::string::npos) << again.error().text;
}

TEST_F(PkiBackup, RefusalsAreClear) {
  TempDir fresh;
  auto wrong = restore_backup(backup(), Passphrase("not it"), fresh.path);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().text.find("wrong passphrase"), std::string::npos) << wrong.error().text;
  EXPECT_NE(wrong.error().text.find("keys.p12"), std::string::npos);
  EXPECT_FALSE(fs::exists(Keyring::dir(fresh.path)));

  write_text(fresh.path / "junk.p12", "this is not DER");
  auto junk = restore_backup(fresh.path / "junk.p12", pass(), fresh.path);
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().text.find("not a PKCS#12 file"), std::string::npos) << junk.error().text;

  auto empty = write_backup(data(), fresh.path / "x.p12", Passphrase());
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().text.find("non-empty passphrase"), std::string::npos);
  auto exists = write_backup(data(), backup(), pass());
  ASSERT_FALSE(exists);
  EXPECT_NE(exists.error().text.find("already exists"), std::string::npos);
  auto nothing = write_backup(fresh.path, fresh.path / "x.p12", pass());
  ASSERT_FALSE(nothing);
  EXPECT_NE(nothing.error().text.find("no keys"), std::string::npos);
}

}  // namespace
