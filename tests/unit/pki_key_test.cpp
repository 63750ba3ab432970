// pki_key_test.cpp - key types, generation, PEM key files (encrypted and
// not), file modes and atomic writes, on real files with real OpenSSL.
#include "pki/key.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "pki_test_support.h"

using namespace sm;
using namespace sm::pki;
using namespace sm::pki::testing;

namespace {

bool same_key(const EVP_PKEY* a, const EVP_PKEY* b) { return EVP_PKEY_eq(a, b) == 1; }

TEST(PkiKeyTypes, NamesRoundTripAndStrength) {
  ASSERT_EQ(all_key_types().size(), 5u);
  for (KeyType t : all_key_types()) EXPECT_EQ(parse_key_type(to_string(t)), t);
  EXPECT_EQ(parse_key_type("EC-P384"), KeyType::ec_p384);
  EXPECT_FALSE(parse_key_type("dsa-1024"));
  EXPECT_EQ(security_bits(KeyType::rsa2048), 112);
  EXPECT_EQ(security_bits(KeyType::rsa3072), 128);
  EXPECT_EQ(security_bits(KeyType::rsa4096), 152);
  EXPECT_EQ(security_bits(KeyType::ec_p256), 128);
  EXPECT_EQ(security_bits(KeyType::ec_p384), 192);
  EXPECT_TRUE(is_ec(KeyType::ec_p256));
  EXPECT_FALSE(is_ec(KeyType::rsa3072));
}

TEST(PkiKey, EveryTypeGeneratesAndRoundTripsPlainAndEncrypted) {
  TempDir dir;
  Passphrase pass("correct horse battery staple");
  Passphrase wrong("not it");
  for (KeyType t : all_key_types()) {
    SCOPED_TRACE(std::string(to_string(t)));
    auto key = generate_key(t);
    ASSERT_TRUE(key) << key.error().text;
    auto type = key_type_of(key->get());
    ASSERT_TRUE(type) << type.error().text;
    EXPECT_EQ(*type, t);

    fs::path plain = dir.path / (std::string(to_string(t)) + ".pem");
    ASSERT_TRUE(write_private_key(plain, key->get()));
    EXPECT_EQ(file_mode(plain), 0600u);
    EXPECT_FALSE(*private_key_is_encrypted(plain));
    auto back = read_private_key(plain);
    ASSERT_TRUE(back) << back.error().text;
    EXPECT_TRUE(same_key(back->get(), key->get()));

    fs::path enc = dir.path / (std::string(to_string(t)) + ".enc.pem");
    ASSERT_TRUE(write_private_key(enc, key->get(), &pass));
    EXPECT_EQ(file_mode(enc), 0600u);
    EXPECT_TRUE(*private_key_is_encrypted(enc));
    auto dec = read_private_key(enc, &pass);
    ASSERT_TRUE(dec) << dec.error().text;
    EXPECT_TRUE(same_key(dec->get(), key->get()));

    auto missing = read_private_key(enc);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().text.find("encrypted; a passphrase is needed"), std::string::npos)
        << missing.error().text;
    EXPECT_NE(missing.error().text.find(enc.string()), std::string::npos);
    auto bad = read_private_key(enc, &wrong);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().text.find("wrong passphrase"), std::string::npos) << bad.error().text;
    EXPECT_EQ(bad.error().code, 451);
    EXPECT_EQ(bad.error().enhanced, "4.3.0");
  }
}

TEST(PkiKey, EncryptedFileIsPkcs8Aes256CbcPbkdf2Sha256) {
  TempDir dir;
  Passphrase pass("secret");
  auto key = generate_key(KeyType::ec_p256);
  ASSERT_TRUE(key);
  fs::path file = dir.path / "k.pem";
  ASSERT_TRUE(write_private_key(file, key->get(), &pass));
  auto text = read_file(file);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string::npos);
  Command asn1 = run("openssl asn1parse -in " + quoted(file));
  ASSERT_EQ(asn1.status, 0) << asn1.output;
  EXPECT_NE(asn1.output.find("PBES2"), std::string::npos) << asn1.output;
  EXPECT_NE(asn1.output.find("aes-256-cbc"), std::string::npos) << asn1.output;
  EXPECT_NE(asn1.output.find("hmacWithSHA256"), std::string::npos) << asn1.output;
  EXPECT_NE(asn1.output.find(":0927C0"), std::string::npos) << "600000 iterations\n" << asn1.output;
  write_text(dir.path / "pass", "secret\n");
  Command pkey = run("openssl pkey -noout -in " + quoted(file) + " -passin file:" + quoted(dir.path / "pass"));
  EXPECT_EQ(pkey.status, 0) << pkey.output;
}

TEST(PkiKey, RefusesOverwriteAndGroupReadableKeys) {
  TempDir dir;
  auto key = generate_key(KeyType::ec_p256);
  ASSERT_TRUE(key);
  fs::path file = dir.path / "key.pem";
  ASSERT_TRUE(write_private_key(file, key->get()));
  auto again = write_private_key(file, key->get());
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().text.find("refusing to overwrite"), std::string::npos) << again.error().text;
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto open = read_private_key(file);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().text.find("accessible by group or others (mode 0644)"), std::string::npos)
      << open.error().text;
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  EXPECT_FALSE(read_private_key(file));
  // Nothing left behind by the atomic writer.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(PkiKey, UnsupportedKeysAndBadFilesAreErrors) {
  TempDir dir;
  sm::ossl::EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(ed);
  auto t = key_type_of(ed.get());
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().text.find("unsupported key algorithm"), std::string::npos) << t.error().text;
  sm::ossl::EvpPkeyPtr small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  ASSERT_TRUE(small);
  EXPECT_FALSE(key_type_of(small.get()));
  sm::ossl::EvpPkeyPtr k1(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  ASSERT_TRUE(k1);
  EXPECT_FALSE(key_type_of(k1.get()));

  fs::path junk = dir.path / "junk.pem";
  ASSERT_TRUE(write_file_atomic(junk, "hello\n", 0600));
  auto r = read_private_key(junk);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("not a PEM private key"), std::string::npos) << r.error().text;
  auto none = read_private_key(dir.path / "absent.pem");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().text.find("absent.pem"), std::string::npos);
}

TEST(PkiKey, AtomicWriteModesAndOverwrite) {
  TempDir dir;
  fs::path file = dir.path / "cert.pem";
  ASSERT_TRUE(write_file_atomic(file, "one"));
  EXPECT_EQ(file_mode(file), 0644u);
  ASSERT_TRUE(write_file_atomic(file, "two"));
  EXPECT_EQ(*read_file(file), "two");
  EXPECT_FALSE(write_file_atomic(file, "three", 0644, false));
  EXPECT_EQ(*read_file(file), "two");
  auto big = read_file(file, 2);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().text.find("larger than"), std::string::npos);
  EXPECT_FALSE(write_file_atomic(dir.path / "no" / "such" / "dir", "x"));
}

TEST(PkiKey, PassphraseMovesAndEmpties) {
  Passphrase a("abc");
  Passphrase b(std::move(a));
  EXPECT_EQ(b.text(), "abc");
  EXPECT_TRUE(a.empty());
  Passphrase c;
  c = std::move(b);
  EXPECT_EQ(c.text(), "abc");
}

}  // namespace
