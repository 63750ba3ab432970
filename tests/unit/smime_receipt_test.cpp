// smime_receipt_test.cpp - ESS signed receipts end to end in the engine:
// asking (seal/sign with a ReceiptRequest and a record), reading the
// request in open(), signing the receipt, checking it (every refusal
// reason), reading its identifier, and the encrypted evidence blobs.
#include <openssl/cms.h>

#include <ctime>

#include "pki/certificate.h"
#include "smime_receipt_support.h"

using namespace smtest;

namespace {

bool parses_as_signed_data(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  return cms && OBJ_obj2nid(CMS_get0_type(cms.get())) == NID_pkcs7_signed && CMS_get0_content(cms.get()) != nullptr &&
         *CMS_get0_content(cms.get()) == nullptr;  // the content is left out
}

std::string flipped(std::string s, std::size_t at) {
  s.at(at) = static_cast<char>(s.at(at) ^ 0x01);
  return s;
}

using Receipts = ReceiptTest;

TEST(ContentIdentifier, IsFreshLowerCaseHex) {
  auto one = new_content_identifier();
  auto two = new_content_identifier();
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->size(), 64u);
  EXPECT_EQ(one->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(*one, *two);
}

TEST_F(Receipts, OpenReportsTheRequestTheSenderAdded) {
  AskedReceipt r = ask();
  const Verdict& v = r.opened.verdict;
  ASSERT_EQ(v.reason, Reason::none) << v.detail;
  ASSERT_TRUE(v.receipt_request.has_value());
  EXPECT_EQ(v.receipt_request->content_identifier, r.id);
  EXPECT_TRUE(v.receipt_request->receipts_from_all);
  EXPECT_EQ(v.receipt_request->receipts_to, std::vector<std::string>{kReceiptsTo});
  EXPECT_TRUE(parses_as_signed_data(v.signed_data));
  EXPECT_EQ(r.opened.released, msg);

  EXPECT_EQ(r.record.content_identifier, r.id);
  EXPECT_TRUE(parses_as_signed_data(r.record.signed_data));
  EXPECT_GE(r.record.signature_value.size(), 128u);  // hex of an ECDSA P-256 signature
  EXPECT_EQ(r.record.signature_value.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(Receipts, SignedCopyIsWhatOpenWritesToSignedOut) {
  for (bool opaque : {false, true}) {
    AskedReceipt r = ask(opaque);
    ASSERT_EQ(r.opened.verdict.reason, Reason::none) << r.opened.verdict.detail;
    EXPECT_FALSE(r.signed_copy.empty());
    EXPECT_TRUE(all_crlf(r.signed_copy));
    EXPECT_EQ(r.signed_copy, r.signed_out) << (opaque ? "opaque" : "detached");
    EXPECT_NE(r.signed_copy.find(opaque ? "smime-type=signed-data" : "multipart/signed"), std::string::npos);
  }
}

TEST_F(Receipts, SignedCopyOfALargeMessageStreamsThroughTheScratchFile) {
  std::string line = std::string(76, 'z') + "\r\n";
  std::string body;
  while (body.size() < (3u << 20)) body += line;  // past the scratch file's 1 MiB in memory
  AskedReceipt r = ask(false, sample_message("alice@a.example", "bob@b.example", "Quarterly figures", body));
  ASSERT_EQ(r.opened.verdict.reason, Reason::none) << r.opened.verdict.detail;
  EXPECT_GT(r.signed_copy.size(), 3u << 20);
  EXPECT_TRUE(r.signed_copy == r.signed_out);
  EXPECT_TRUE(r.opened.verdict.receipt_request.has_value());
}

TEST_F(Receipts, NoRequestNoReceiptFacts) {
  SignedRecord record;
  SealOptions so;
  so.sign.record = &record;
  std::string sealed = seal_string(msg, a.identity(), {b.recipient()}, so);
  EXPECT_TRUE(record.content_identifier.empty());
  EXPECT_TRUE(parses_as_signed_data(record.signed_data));
  auto o = open_default(sealed);
  ASSERT_EQ(o.verdict.reason, Reason::none);
  EXPECT_FALSE(o.verdict.receipt_request.has_value());
  EXPECT_TRUE(o.verdict.signed_data.empty());
  auto receipt = sign_receipt(record.signed_data, b.identity());
  ASSERT_FALSE(receipt.has_value());
  EXPECT_EQ(receipt.error().code, 554);
  EXPECT_EQ(receipt.error().enhanced, "5.6.0");
}

TEST_F(Receipts, NoSignedOutUnlessVerified) {
  AskedReceipt r = ask();
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  OpenOptions o = options();
  o.allowed_signer_fingerprints = {pki::describe(b.cert.get()).fingerprint};  // a is not listed
  o.signed_out = out.get();
  auto opened = open_string(r.sealed, o);
  EXPECT_EQ(opened.verdict.reason, Reason::signer_not_member);
  EXPECT_FALSE(opened.verdict.receipt_request.has_value());
  EXPECT_TRUE(bio_string(out.get()).empty());
}

TEST_F(Receipts, SignedOnlyMessageReportsRequestAndSignedEntity) {
  SignOptions so;
  so.opaque = true;
  so.receipt_request = ReceiptRequest{"", true, {}, {kReceiptsTo}};  // identifier made by sign()
  SignedRecord record;
  so.record = &record;
  std::string signed_message = sign_string(msg, a.identity(), so);
  EXPECT_EQ(record.content_identifier.size(), 64u);
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  OpenOptions o = options();
  o.require_encryption = false;
  o.signed_out = out.get();
  auto opened = open_string(signed_message, o);
  ASSERT_EQ(opened.verdict.reason, Reason::none) << opened.verdict.detail;
  ASSERT_TRUE(opened.verdict.receipt_request.has_value());
  EXPECT_EQ(opened.verdict.receipt_request->content_identifier, record.content_identifier);
  EXPECT_EQ(bio_string(out.get()), signed_message);
}

TEST_F(Receipts, RequestWithoutAddressIsRefused) {
  SignOptions so;
  so.receipt_request = ReceiptRequest{"", true, {}, {}};
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  auto r = sign(MessageSource::memory(msg), out.get(), a.identity(), so);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, 554);
  so.receipt_request = ReceiptRequest{"", true, {}, {"not-an-address"}};
  EXPECT_FALSE(sign(MessageSource::memory(msg), out.get(), a.identity(), so).has_value());
}

TEST_F(Receipts, MalformedRequestKeepsGoodMailDeliverable) {
  // A signed-only (opaque) message whose receiptRequest attribute is a UTF8String.
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_PARTIAL | CMS_BINARY));
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), a.cert.get(), a.key.get(), EVP_sha256(), CMS_BINARY);
  ASSERT_NE(si, nullptr);
  ASSERT_EQ(CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_receiptRequest, V_ASN1_UTF8STRING, "bogus", 5), 1);
  ossl::BioPtr content(BIO_new_mem_buf(msg.data(), static_cast<int>(msg.size())));
  ASSERT_EQ(CMS_final(cms.get(), content.get(), nullptr, CMS_BINARY), 1);
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  ASSERT_EQ(SMIME_write_CMS(out.get(), cms.get(), nullptr, CMS_BINARY | SMIME_CRLFEOL), 1);
  OpenOptions o = options();
  o.require_encryption = false;
  auto opened = open_string(kOuterFields + bio_string(out.get()), o);
  EXPECT_EQ(opened.verdict.reason, Reason::none) << opened.verdict.detail;
  EXPECT_FALSE(opened.verdict.receipt_request.has_value());
  EXPECT_NE(opened.verdict.detail.find("receipt request unreadable"), std::string::npos) << opened.verdict.detail;
  EXPECT_EQ(opened.released, msg);
}

TEST_F(Receipts, SignedReceiptVerifiesAgainstWhatTheSenderKept) {
  AskedReceipt r = ask();
  std::string receipt = receipt_for(r, b);
  std::int64_t now = std::time(nullptr);
  // The sender checks against its own record; the receiver's copy is the same SignedData.
  for (const std::string* original : {&r.record.signed_data, &r.opened.verdict.signed_data}) {
    ReceiptCheck c = check(receipt, *original, {pki::describe(b.cert.get()).fingerprint});
    EXPECT_EQ(c.reason, Reason::none) << c.detail;
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.content_identifier, r.id);
    EXPECT_EQ(c.signer_fingerprint, pki::describe(b.cert.get()).fingerprint);
    EXPECT_EQ(c.signer_domains, std::vector<std::string>{"b.example"});
    EXPECT_NEAR(static_cast<double>(c.signing_time), static_cast<double>(now), 300);
  }
  auto id = receipt_content_identifier(receipt);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, r.id);
}

TEST_F(Receipts, ReceiptForAnotherMessageIsBadSignature) {
  AskedReceipt first = ask();
  AskedReceipt second = ask();
  ReceiptCheck c = check(receipt_for(first, b), second.record.signed_data);
  EXPECT_EQ(c.reason, Reason::bad_signature) << c.detail;
  EXPECT_EQ(c.content_identifier, first.id);
}

TEST_F(Receipts, AlteredReceiptIsRefused) {
  AskedReceipt r = ask();
  std::string receipt = receipt_for(r, b);
  // The last octet is inside the receipt's own signature value.
  ReceiptCheck sig = check(flipped(receipt, receipt.size() - 1), r.record.signed_data);
  EXPECT_EQ(sig.reason, Reason::bad_signature) << sig.detail;
  // The identifier inside the signed Receipt content.
  std::size_t at = receipt.find(r.id);
  ASSERT_NE(at, std::string::npos);
  ReceiptCheck content = check(flipped(receipt, at + 3), r.record.signed_data);
  EXPECT_EQ(content.reason, Reason::bad_signature) << content.detail;
  // A truncated receipt does not parse.
  EXPECT_EQ(check(receipt.substr(0, receipt.size() / 2), r.record.signed_data).reason, Reason::malformed);
}

TEST_F(Receipts, SignerNotTheRecipientsMember) {
  AskedReceipt r = ask();
  const Gateway& c = p.gateway("c.example");
  ReceiptCheck result = check(receipt_for(r, c), r.record.signed_data, {pki::describe(b.cert.get()).fingerprint});
  EXPECT_EQ(result.reason, Reason::signer_not_member) << result.detail;
  EXPECT_EQ(result.signer_domains, std::vector<std::string>{"c.example"});
}

TEST_F(Receipts, OpaqueRecordChecksToo) {
  AskedReceipt r = ask(true);
  ReceiptCheck c = check(receipt_for(r, b), r.record.signed_data);
  EXPECT_EQ(c.reason, Reason::none) << c.detail;
  EXPECT_EQ(c.content_identifier, r.id);
}

TEST_F(Receipts, ChainIsCheckedAtTheGivenTime) {
  AskedReceipt r = ask();
  std::int64_t now = std::time(nullptr);
  const Gateway& old = p.gateway("b.example", pki::KeyType::ec_p256, now - 100 * 86400, now - 10 * 86400);
  ReceiptCheck expired = check(receipt_for(r, old), r.record.signed_data);
  EXPECT_EQ(expired.reason, Reason::signer_expired) << expired.detail;

  ReceiptOptions ro;
  ro.trust = &trust;
  ro.at_time = now + 40ll * 365 * 86400;  // the CRL is long out of date then
  auto late = verify_receipt(receipt_for(r, b), r.record.signed_data, ro);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->reason, Reason::revocation_unknown) << late->detail;
  ro.trust = nullptr;
  EXPECT_FALSE(verify_receipt(receipt_for(r, b), r.record.signed_data, ro).has_value());
}

TEST_F(Receipts, SignerFromAnotherAuthorityIsUntrusted) {
  AskedReceipt r = ask();
  TempDir other_dir;
  pki::AuthorityOptions ao;
  ao.key_type = pki::KeyType::ec_p256;
  ASSERT_TRUE(pki::init_authority(other_dir.path / "ca", ao).has_value());
  auto other = pki::Authority::open(other_dir.path / "ca");
  ASSERT_TRUE(other.has_value());
  auto forger = p.issue(*other, "b.example", pki::KeyType::ec_p256, 0, 0);
  ReceiptCheck result = check(receipt_for(r, *forger), r.record.signed_data);
  EXPECT_EQ(result.reason, Reason::untrusted_signer) << result.detail;
}

TEST_F(Receipts, GarbageIsMalformed) {
  AskedReceipt r = ask();
  EXPECT_EQ(check("not a receipt", r.record.signed_data).reason, Reason::malformed);
  EXPECT_EQ(check("", r.record.signed_data).reason, Reason::malformed);
  // A SignedData that is not a receipt.
  EXPECT_EQ(check(r.record.signed_data, r.record.signed_data).reason, Reason::malformed);
  // A good receipt against a garbage original.
  EXPECT_EQ(check(receipt_for(r, b), "garbage").reason, Reason::malformed);
  for (const std::string& bad : {std::string("garbage"), r.record.signed_data}) {
    auto id = receipt_content_identifier(bad);
    ASSERT_FALSE(id.has_value());
    EXPECT_EQ(id.error().reply().substr(0, 9), "554 5.6.0");
  }
  auto signed_garbage = sign_receipt("garbage", b.identity());
  ASSERT_FALSE(signed_garbage.has_value());
  EXPECT_EQ(signed_garbage.error().enhanced, "5.6.0");
}

TEST_F(Receipts, EvidenceBlobRoundTrip) {
  std::string plain = "evidence\r\n" + std::string(100000, 'x') + std::string(1, '\0');
  std::vector<Recipient> to{b.recipient()};
  auto blob = encrypt_blob(plain, to);
  ASSERT_TRUE(blob.has_value()) << blob.error().text;
  EXPECT_EQ(blob->find("evidence"), std::string::npos);
  std::vector<Identity> keys{a.identity(), b.identity()};  // a's key is tried and skipped
  auto back = decrypt_blob(*blob, keys);
  ASSERT_TRUE(back.has_value()) << back.error().text;
  EXPECT_EQ(*back, plain);

  std::vector<Identity> wrong{a.identity()};
  auto refused = decrypt_blob(*blob, wrong);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().text.find("not-for-us"), std::string::npos) << refused.error().text;
  auto tampered = decrypt_blob(flipped(*blob, blob->size() - 20), keys);
  EXPECT_FALSE(tampered.has_value());
  auto garbage = decrypt_blob("garbage", keys);
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().enhanced, "5.6.0");
  EXPECT_FALSE(encrypt_blob(plain, {}).has_value());
}

}  // namespace
