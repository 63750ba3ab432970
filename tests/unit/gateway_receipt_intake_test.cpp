// gateway_receipt_intake_test.cpp - the sending gateway takes a signed
// receipt back: a good one settles the ledger, is kept as evidence and
// yields one DSN with the receipt attached; every bad kind is refused
// (one reply, the cause only in the result) and never yields a DSN.
#include "gateway/receipt_intake.h"

#include "gateway/receipt_reports.h"
#include "gateway_receipt_support.h"
#include "mime/multipart.h"

namespace sm::gateway {
namespace {

using testing::ReceiptWorld;

class ReceiptIntakeTest : public ::testing::Test {
 protected:
  ReceiptWorld w;
  ReceiptIntake check(const std::string& message, const std::string& member = "b",
                      std::vector<std::string> fingerprints = {}) {
    if (fingerprints.empty()) fingerprints = w.fingerprints(member == "c" ? w.c : w.b);
    ReceiptChecking checking{w.config, w.directory.get(), &w.trust, w.ledger.get(), w.evidence.get()};
    return check_receipt_message(checking, message, member, fingerprints, w.now);
  }
  void expect_refused(const ReceiptIntake& r, const std::string& result) {
    EXPECT_EQ(r.result, result) << r.detail;
    EXPECT_FALSE(r.local_trouble) << r.detail;
    EXPECT_TRUE(r.report.empty());
  }
  evidence::ReceiptState state_of(const std::string& id, const std::string& rcpt) {
    auto rows = w.ledger->find(id);
    EXPECT_TRUE(rows);
    for (const auto& row : *rows)
      if (row.recipient == rcpt) return row.state;
    ADD_FAILURE() << "no row for " << rcpt;
    return evidence::ReceiptState::pending;
  }
};

TEST_F(ReceiptIntakeTest, AcceptsAGoodReceiptAndReportsItWithTheReceiptAttached) {
  auto seal = w.asked({"bob@b.example", "bert@b.example"});
  std::string receipt = w.receipt_by(w.b, seal);
  auto r = check(ReceiptWorld::receipt_message("bob@b.example", receipt));
  ASSERT_TRUE(r.accepted()) << r.result << ": " << r.detail;
  EXPECT_EQ(r.report_to, "alice@a.example");
  EXPECT_EQ(state_of(seal.content_identifier, "bob@b.example"), evidence::ReceiptState::received);
  EXPECT_EQ(state_of(seal.content_identifier, "bert@b.example"), evidence::ReceiptState::pending);

  auto header = mime::HeaderBlock::parse(r.report);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->get("From"), "\"Mail Delivery System\" <MAILER-DAEMON@a.example>");
  EXPECT_EQ(header->get("To"), "<alice@a.example>");
  auto boundary = mime::content_type_parameter(*header->get("Content-Type"), "boundary");
  ASSERT_TRUE(boundary);
  auto parts = mime::split_multipart(std::string_view(r.report).substr(header->body_offset()), *boundary);
  ASSERT_TRUE(parts) << parts.error().text;
  ASSERT_EQ(parts->size(), 4u);
  const std::string& status = (*parts)[1].body;
  EXPECT_NE(status.find("Original-Envelope-Id: env-1"), std::string::npos) << status;
  EXPECT_NE(status.find("Original-Recipient: rfc822; bob@b.example"), std::string::npos) << status;
  EXPECT_NE(status.find("Final-Recipient: rfc822; bob@b.example"), std::string::npos) << status;
  EXPECT_NE(status.find("Action: delivered"), std::string::npos) << status;
  EXPECT_NE(status.find("Status: 2.0.0"), std::string::npos) << status;
  EXPECT_NE(status.find("X-SecureMail-Receipt-Signed: "), std::string::npos) << status;
  EXPECT_NE(status.find("X-SecureMail-Receipt-Member: b"), std::string::npos) << status;
  EXPECT_EQ(status.find("bert@"), std::string::npos) << "only the confirmed recipient is reported";
  const auto& part = (*parts)[2];
  EXPECT_EQ(part.header.get("Content-Type"), "application/pkcs7-mime; smime-type=signed-receipt; name=\"receipt.p7m\"");
  EXPECT_EQ(mime::decode_base64_body(part.body).value_or(""), receipt);
  EXPECT_NE((*parts)[3].body.find("Message-ID: <1234@a.example>"), std::string::npos);

  auto kept = w.evidence->entries_for("1234@a.example");
  ASSERT_TRUE(kept);
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].kind, evidence::EvidenceKind::receipt);
  EXPECT_EQ((*kept)[0].address, "bob@b.example");
  EXPECT_EQ((*kept)[0].member, "b");
  EXPECT_EQ(w.evidence->read((*kept)[0].sha256).value_or(""), receipt);
}

TEST_F(ReceiptIntakeTest, AReceiptIsKeptAsLongAsTheOriginalItProves) {
  auto seal = w.asked({"bob@b.example"});
  // The original as a relay client with a seven-year evidence_retention kept it.
  evidence::EvidenceEntry sent;
  sent.kind = evidence::EvidenceKind::sent;
  sent.message_id = "1234@a.example";
  sent.content_identifier = seal.content_identifier;
  sent.member = "b";
  sent.at = w.now;
  sent.keep_until = w.now + 7 * 365 * 86400;
  ASSERT_TRUE(w.evidence->keep("the signed original", sent));
  auto r = check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, seal)));
  ASSERT_TRUE(r.accepted()) << r.detail;
  auto kept = w.evidence->entries_for("1234@a.example");
  ASSERT_TRUE(kept);
  bool found = false;
  for (const auto& e : *kept)
    if (e.kind == evidence::EvidenceKind::receipt) {
      found = true;
      EXPECT_EQ(e.keep_until, sent.keep_until) << "not the gateway's shorter [evidence] retention";
    }
  EXPECT_TRUE(found);
}

TEST_F(ReceiptIntakeTest, TheNullSenderGetsNoReport) {
  auto seal = w.ask({"bob@b.example"});
  seal.sender.clear();
  ASSERT_TRUE(w.ledger->add(seal));
  auto r = check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, seal)));
  EXPECT_TRUE(r.accepted()) << r.detail;
  EXPECT_TRUE(r.report.empty());
}

TEST_F(ReceiptIntakeTest, MalformedMessagesAndReceipts) {
  auto seal = w.asked({"bob@b.example"});
  std::string good = ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, seal));
  std::string no_for = good;
  no_for.replace(no_for.find("SecureMail-Receipt-For"), 22, "X-Other-Header-Name-Xy");
  expect_refused(check(no_for), "malformed");
  std::string no_part = good;
  no_part.replace(no_part.find("smime-type=signed-receipt"), 25, "smime-type=signed-data   ");
  expect_refused(check(no_part), "malformed");
  expect_refused(check(ReceiptWorld::receipt_message("bob@b.example", "not a receipt at all")), "malformed");
  std::string cut = good;
  cut.erase(cut.find("--rcpt-b--"));
  expect_refused(check(cut), "malformed");
  EXPECT_EQ(state_of(seal.content_identifier, "bob@b.example"), evidence::ReceiptState::pending);
}

TEST_F(ReceiptIntakeTest, UnknownIdentifier) {
  auto never_added = w.ask({"bob@b.example"});
  expect_refused(check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, never_added))), "unknown");
}

TEST_F(ReceiptIntakeTest, ReplayedReceipt) {
  auto seal = w.asked({"bob@b.example"});
  std::string message = ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, seal));
  ASSERT_TRUE(check(message).accepted());
  expect_refused(check(message), "replayed");
}

TEST_F(ReceiptIntakeTest, LateReceipt) {
  auto seal = w.asked({"bob@b.example"});
  ASSERT_TRUE(w.ledger->time_out(seal.content_identifier, "bob@b.example", w.now).value_or(false));
  expect_refused(check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, seal))), "late");
}

TEST_F(ReceiptIntakeTest, ForgedSigner) {
  auto seal = w.asked({"bob@b.example"});
  // Member c signs a receipt for b's recipient, in its own name.
  expect_refused(check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.c, seal), "c.example"), "c"),
                 "forged-signer");
  // ... or slips it into b's mail: the receipt's signer is not b's certificate.
  expect_refused(check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.c, seal))), "forged-signer");
  EXPECT_EQ(state_of(seal.content_identifier, "bob@b.example"), evidence::ReceiptState::pending);
}

TEST_F(ReceiptIntakeTest, SharedGatewaySealAcceptsEachCustomersOwnReceipt) {
  // One copy sealed for b's gateway (the seal names member b) reached
  // b.example and d.example; d signs for its own recipient.
  auto seal = w.asked({"bob@b.example", "dave@d.example"});
  auto r = check(ReceiptWorld::receipt_message("dave@d.example", w.receipt_by(w.b, seal), "d.example"), "d",
                 w.fingerprints(w.b));
  ASSERT_TRUE(r.accepted()) << r.result << ": " << r.detail;
  EXPECT_EQ(state_of(seal.content_identifier, "dave@d.example"), evidence::ReceiptState::received);
  // d cannot answer for b's recipient, though they share the gateway.
  expect_refused(check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, seal), "d.example"), "d",
                       w.fingerprints(w.b)),
                 "forged-signer");
}

TEST_F(ReceiptIntakeTest, WrongDigest) {
  // Two signatures under one identifier: the ledger keeps the second, the
  // receipt is for the first, so msgSigDigest does not match.
  auto first = w.ask({"bob@b.example"});
  auto second = w.ask({"bob@b.example"}, first.content_identifier);
  ASSERT_TRUE(w.ledger->add(second));
  expect_refused(check(ReceiptWorld::receipt_message("bob@b.example", w.receipt_by(w.b, first))), "bad-signature");
  // An altered receipt: one octet of the signature flipped.
  std::string altered = w.receipt_by(w.b, second);
  altered[altered.size() - 5] ^= 0x01;
  auto r = check(ReceiptWorld::receipt_message("bob@b.example", altered));
  EXPECT_TRUE(r.result == "bad-signature" || r.result == "malformed") << r.result << ": " << r.detail;
  EXPECT_TRUE(r.report.empty());
  EXPECT_EQ(state_of(second.content_identifier, "bob@b.example"), evidence::ReceiptState::pending);
}

TEST_F(ReceiptIntakeTest, RecipientNotAsked) {
  auto seal = w.asked({"bob@b.example"});
  expect_refused(check(ReceiptWorld::receipt_message("carol@b.example", w.receipt_by(w.b, seal))), "wrong-recipient");
}

TEST_F(ReceiptIntakeTest, OneReplyForEveryRefusal) {
  EXPECT_EQ(receipt_refusal().reply(), "550 5.7.5 receipt refused");
}

TEST(ReceiptMessage, FindsTheAddressedReceiptAddress) {
  auto c = config::load_string("domain = \"a.example\"\n", "t.toml");
  ASSERT_TRUE(c);
  mail::Envelope env;
  env.recipients.push_back({"SecureMail-Receipts@A.example"});
  EXPECT_TRUE(to_receipt_address(*c, env));
  env.recipients[0].address = "bob@a.example";
  EXPECT_FALSE(to_receipt_address(*c, env));
}

}  // namespace
}  // namespace sm::gateway
