// smime_receipt_interop_test.cpp - signed receipts against the reference
// peer, the real `openssl cms`: it accepts our receipts with
// -verify_receipt (the exact command the evidence README prints), and we
// read its receipt requests and sign receipts it accepts.
#include <openssl/cms.h>

#include "smime_receipt_support.h"

using namespace smtest;

namespace {

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

class ReceiptInterop : public ReceiptTest {
 protected:
  TempDir dir;

  // The command the evidence README prints; its exit status.
  int openssl_verify_receipt(const std::string& receipt, const std::string& original_signed, std::string* log) {
    spit(dir.path / "receipt.der", receipt);
    spit(dir.path / "original.eml", original_signed);
    int rc = -1;
    *log = run("openssl cms -verify_receipt " + q(dir.path / "receipt.der") + " -rctform DER -in " +
                   q(dir.path / "original.eml") + " -CAfile " + q(p.ca_file()) + " 2>&1",
               &rc);
    return rc;
  }
};

TEST_F(ReceiptInterop, OpensslAcceptsOurReceiptAgainstTheKeptSignedCopy) {
  for (bool opaque : {false, true}) {
    AskedReceipt r = ask(opaque);
    ASSERT_EQ(r.opened.verdict.reason, Reason::none) << r.opened.verdict.detail;
    std::string receipt = receipt_for(r, b);
    std::string log;
    EXPECT_EQ(openssl_verify_receipt(receipt, r.signed_copy, &log), 0) << log;
    // and not against another message's signed copy
    AskedReceipt other = ask(opaque);
    EXPECT_NE(openssl_verify_receipt(receipt, other.signed_copy, &log), 0) << log;
  }
}

TEST_F(ReceiptInterop, OpensslAcceptsOurReceiptAgainstSignOutput) {
  SignOptions so;
  so.receipt_request = ReceiptRequest{"", true, {}, {kReceiptsTo}};
  std::string signed_message = sign_string(msg, a.identity(), so);
  OpenOptions o = options();
  o.require_encryption = false;
  auto opened = open_string(signed_message, o);
  ASSERT_EQ(opened.verdict.reason, Reason::none) << opened.verdict.detail;
  auto receipt = sign_receipt(opened.verdict.signed_data, b.identity());
  ASSERT_TRUE(receipt.has_value()) << receipt.error().text;
  std::string log;
  EXPECT_EQ(openssl_verify_receipt(*receipt, signed_message, &log), 0) << log;
}

TEST_F(ReceiptInterop, WeAnswerOpensslsReceiptRequest) {
  spit(dir.path / "msg.eml", msg);
  int rc = -1;
  std::string log = run("openssl cms -sign -md sha256 -signer " + q(a.cert_file) + " -inkey " + q(a.key_file) +
                            " -crlfeol -receipt_request_to x@a.example -receipt_request_all -in " +
                            q(dir.path / "msg.eml") + " -out " + q(dir.path / "signed.eml") + " 2>&1",
                        &rc);
  ASSERT_EQ(rc, 0) << log;
  log = run("openssl cms -encrypt -aes-256-gcm -in " + q(dir.path / "signed.eml") + " -out " +
                q(dir.path / "sealed.eml") + " -recip " + q(b.cert_file) + " 2>&1",
            &rc);
  ASSERT_EQ(rc, 0) << log;
  auto opened = open_default(kOuterFields + slurp(dir.path / "sealed.eml"));
  const Verdict& v = opened.verdict;
  ASSERT_EQ(v.reason, Reason::none) << v.detail;
  ASSERT_TRUE(v.receipt_request.has_value());
  EXPECT_EQ(v.receipt_request->receipts_to, std::vector<std::string>{"x@a.example"});
  EXPECT_TRUE(v.receipt_request->receipts_from_all);
  EXPECT_EQ(v.receipt_request->content_identifier.size(), 32u);  // openssl's random octets

  auto receipt = sign_receipt(v.signed_data, b.identity());
  ASSERT_TRUE(receipt.has_value()) << receipt.error().text;
  EXPECT_EQ(openssl_verify_receipt(*receipt, slurp(dir.path / "signed.eml"), &log), 0) << log;
  ReceiptCheck c = check(*receipt, v.signed_data);
  EXPECT_EQ(c.reason, Reason::none) << c.detail;
  EXPECT_EQ(c.content_identifier, v.receipt_request->content_identifier);
}

TEST_F(ReceiptInterop, WeCheckOpensslsReceipt) {
  // openssl signs the receipt (as b) for what we sealed; we verify it.
  AskedReceipt r = ask();
  spit(dir.path / "original.eml", r.signed_copy);
  int rc = -1;
  std::string log = run("openssl cms -sign_receipt -in " + q(dir.path / "original.eml") + " -signer " +
                            q(b.cert_file) + " -inkey " + q(b.key_file) + " -outform DER -out " +
                            q(dir.path / "receipt.der") + " 2>&1",
                        &rc);
  ASSERT_EQ(rc, 0) << log;
  std::string receipt = slurp(dir.path / "receipt.der");
  ReceiptCheck c = check(receipt, r.record.signed_data);
  EXPECT_EQ(c.reason, Reason::none) << c.detail;
  EXPECT_EQ(c.content_identifier, r.id);
  EXPECT_EQ(receipt_content_identifier(receipt).value_or(""), r.id);
}

}  // namespace
