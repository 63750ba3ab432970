// smime_unwrap_test.cpp - the encryption layer alone (smime/unwrap.h), as
// an application hands the gateway mail encrypted to the gateway's own
// certificate: made by the real `openssl cms -encrypt` (AES-256-CBC
// EnvelopedData and AES-256-GCM AuthEnvelopedData, a body part or a whole
// message inside), opened; mail encrypted to someone else left alone; a
// tampered or unreadable one refused with its reply.
#include "smime/unwrap.h"

#include "mime/header.h"

#include "smime_der.h"
#include "smime_fixture.h"

using namespace smtest;

namespace {

const std::string kPart = "Content-Type: text/plain; charset=utf-8\r\n\r\nInvoice 4711 is attached.\r\n";
const std::string kWhole =
    "From: invoices@a.example\r\nTo: bob@b.example\r\nSubject: Invoice 4711\r\n"
    "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMessage-ID: <4711@a.example>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nInvoice 4711 is attached.\r\n";

class Unwrap : public ::testing::Test {
 protected:
  TestPki& p = TestPki::get();
  TempDir dir;
  const Gateway& ours = p.gateway("a.example", pki::KeyType::rsa2048);
  const Gateway& theirs = p.gateway("c.example", pki::KeyType::rsa2048);

  // `openssl cms -encrypt` of content to `to` with the cipher, outer From/To/Subject added.
  std::string encrypt(const std::string& content, const Gateway& to, const std::string& cipher) {
    spit(dir.path / "in.txt", content);
    int status = 0;
    run("openssl cms -encrypt -" + cipher + " -in " + (dir.path / "in.txt").string() + " -binary -crlfeol" +
            " -from invoices@a.example -to bob@b.example -subject 'Invoice 4711' -out " +
            (dir.path / "out.eml").string() + " " + to.cert_file.string() + " 2>&1",
        &status);
    EXPECT_EQ(status, 0);
    return slurp(dir.path / "out.eml");
  }

  Result<Unwrapped> unwrap(const std::string& message) {
    return unwrap_for_us(message, {ours.identity("k1")}, dir.path);
  }
};

TEST_F(Unwrap, APlainOrSignedMessageIsNotEncrypted) {
  auto u = unwrap(kWhole);
  ASSERT_TRUE(u) << u.error().text;
  EXPECT_EQ(u->state, Unwrapped::State::not_encrypted);
  EXPECT_TRUE(u->message.empty());
}

TEST_F(Unwrap, ABodyPartUnderTheOuterHeader) {
  std::string sealed = encrypt(kPart, ours, "aes-256-cbc");
  ASSERT_NE(sealed.find("application/pkcs7-mime"), std::string::npos);
  auto u = unwrap(sealed);
  ASSERT_TRUE(u) << u.error().text;
  ASSERT_EQ(u->state, Unwrapped::State::opened);
  EXPECT_EQ(u->encryption, "aes-256-cbc");
  EXPECT_EQ(u->key_id, "k1");
  auto h = mime::HeaderBlock::parse(u->message);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->get("From").value_or(""), "invoices@a.example");
  EXPECT_EQ(h->get("Subject").value_or(""), "Invoice 4711");
  EXPECT_EQ(h->get("Content-Type").value_or(""), "text/plain; charset=utf-8");
  EXPECT_EQ(h->get_all("Content-Type").size(), 1u) << "the pkcs7-mime fields are gone";
  EXPECT_EQ(h->get_all("MIME-Version").size(), 1u);
  EXPECT_EQ(u->message.substr(h->body_offset()), "Invoice 4711 is attached.\r\n");
  EXPECT_EQ(u->message.find("pkcs7"), std::string::npos);
}

TEST_F(Unwrap, AWholeMessageInsideIsTheMessage) {
  auto u = unwrap(encrypt(kWhole, ours, "aes-256-gcm"));
  ASSERT_TRUE(u) << u.error().text;
  ASSERT_EQ(u->state, Unwrapped::State::opened);
  EXPECT_EQ(u->encryption, "aes-256-gcm");
  EXPECT_EQ(u->message, kWhole);
}

TEST_F(Unwrap, EncryptedToSomeoneElseIsLeftAlone) {
  auto u = unwrap(encrypt(kPart, theirs, "aes-256-cbc"));
  ASSERT_TRUE(u) << u.error().text;
  EXPECT_EQ(u->state, Unwrapped::State::not_for_us);
}

TEST_F(Unwrap, TamperedContentIsRefusedWithOneReply) {
  std::string sealed = encrypt(kWhole, ours, "aes-256-gcm");
  auto parts = split(sealed);
  parts.der[parts.der.size() - 40] ^= 0x01;  // inside the ciphertext or the tag
  auto u = unwrap(join(parts));
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().reply().substr(0, 10), "554 5.7.5 ") << u.error().text;
}

TEST_F(Unwrap, UnreadableSmimeIsRefused) {
  auto u = unwrap("From: a@a.example\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; "
                  "smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, 554);
  EXPECT_EQ(u.error().enhanced, "5.6.0");
}

}  // namespace
