// gateway_receipt_asking_test.cpp - which recipients of a sealed copy get a
// receipt request (NOTIFY=SUCCESS, [receipts] request = "always", a relay
// client's own setting), SUCCESS taken out of their NOTIFY, and what is
// kept before the commit: the ledger row (forgotten when the commit fails)
// and the evidence of the signed entity with the authority and CRL.
#include "gateway/receipt_asking.h"

#include "gateway_receipt_support.h"
#include "pki/keyring.h"

namespace sm::gateway {
namespace {

using Request = config::Config::Receipts::Request;
using testing::ReceiptWorld;

mail::Envelope envelope() {
  mail::Envelope env;
  env.sender = "alice@a.example";
  env.envid = "env-7";
  env.recipients = {{"bob@b.example", "rfc822;bob@b.example", mail::kNotifySuccess | mail::kNotifyFailure},
                    {"bert@b.example", "", 0},
                    {"carl@c.example", "", mail::kNotifySuccess},
                    {"bill@b.example", "", mail::kNotifyNever}};
  return env;
}

TEST(ReceiptAsking, OnRequestOnlyForNotifySuccess) {
  auto env = envelope();
  EXPECT_EQ(receipt_recipients(Request::on_request, env, {0, 1, 3}), (std::vector<std::size_t>{0}));
  EXPECT_EQ(receipt_recipients(Request::on_request, env, {2}), (std::vector<std::size_t>{2}));
  EXPECT_EQ(receipt_recipients(Request::always, env, {0, 1, 3}), (std::vector<std::size_t>{0, 1, 3}));
}

TEST(ReceiptAsking, RelayClientOverridesTheGateway) {
  config::Config c;
  config::Config::RelayClient client;
  EXPECT_EQ(receipt_policy(c, nullptr), Request::on_request);
  EXPECT_EQ(receipt_policy(c, &client), Request::on_request);
  client.receipts = Request::always;
  EXPECT_EQ(receipt_policy(c, &client), Request::always);
  c.receipts.request = Request::always;
  client.receipts = Request::on_request;
  EXPECT_EQ(receipt_policy(c, &client), Request::on_request);
  EXPECT_EQ(receipt_policy(c, nullptr), Request::always);
}

TEST(ReceiptAsking, SuccessIsTakenOutOfNotify) {
  EXPECT_EQ(without_success(mail::kNotifySuccess), unsigned(mail::kNotifyNever));
  EXPECT_EQ(without_success(mail::kNotifySuccess | mail::kNotifyFailure), unsigned(mail::kNotifyFailure));
  EXPECT_EQ(without_success(0), 0u);  // default (FAILURE,DELAY) stays
  EXPECT_EQ(without_success(mail::kNotifyNever), unsigned(mail::kNotifyNever));
  auto env = envelope();
  mail::Envelope copy = env;
  copy.recipients = {env.recipients[0], env.recipients[1], env.recipients[3]};
  strip_success(copy, {0, 1, 3}, {0});
  EXPECT_EQ(copy.recipients[0].notify, unsigned(mail::kNotifyFailure));
  EXPECT_EQ(copy.recipients[1].notify, 0u);
  EXPECT_EQ(copy.recipients[2].notify, unsigned(mail::kNotifyNever));
}

TEST(ReceiptAsking, MessageIdWithoutAngles) {
  EXPECT_EQ(message_id_of("From: a@a.example\r\nMessage-ID:  <x.1@a.example> \r\n\r\nbody"), "x.1@a.example");
  EXPECT_EQ(message_id_of("From: a@a.example\r\n\r\nbody"), "");
}

// A real seal with the request SealKeeping makes; its record and signed
// entity kept in the ledger and the evidence store.
struct Kept {
  ReceiptWorld w;
  mail::Envelope env = envelope();
  SealedCopy copy;
  std::optional<smime::ReceiptRequest> seal_for(SealKeeping& keeping, std::vector<std::size_t> asked) {
    auto request = keeping.request_for(asked);
    EXPECT_TRUE(request);
    copy = SealedCopy{"b", "4F3A2B1C000000AA", asked};
    smime::SealOptions options;
    options.sign.receipt_request = *request;
    options.sign.record = &copy.record;
    ossl::BioPtr signed_copy(BIO_new(BIO_s_mem()));
    options.signed_copy = signed_copy.get();
    smtest::seal_string(smtest::sample_message(), w.a.identity(), {w.b.recipient()}, options);
    copy.signed_entity = smtest::bio_string(signed_copy.get());
    return *request;
  }
};

TEST(ReceiptAsking, KeepsTheRequestAndEvidenceBeforeTheCommit) {
  Kept k;
  std::filesystem::create_directories(pki::Keyring::dir(k.w.dir.path));
  smtest::spit(pki::Keyring::anchors_file(k.w.dir.path), "AUTHORITY PEM");
  smtest::spit(pki::Keyring::crl_file(k.w.dir.path), "CRL PEM");
  SealKeeping keeping(k.w.config, k.w.ledger, k.w.evidence, nullptr, k.env, "1234@a.example", k.w.now);
  auto request = k.seal_for(keeping, {0});
  ASSERT_TRUE(request);
  EXPECT_EQ(request->receipts_to, (std::vector<std::string>{"securemail-receipts@a.example"}));
  EXPECT_TRUE(request->receipts_from_all);
  EXPECT_EQ(request->content_identifier.size(), 64u);
  ASSERT_TRUE(keeping.keep(k.copy));

  auto seal = k.w.ledger->seal(request->content_identifier);
  ASSERT_TRUE(seal && *seal);
  EXPECT_EQ((*seal)->message_id, "1234@a.example");
  EXPECT_EQ((*seal)->sender, "alice@a.example");
  EXPECT_EQ((*seal)->envid, "env-7");
  EXPECT_EQ((*seal)->queue_id, "4F3A2B1C000000AA");
  ASSERT_EQ((*seal)->recipients.size(), 1u);
  EXPECT_EQ((*seal)->recipients[0].address, "bob@b.example");
  EXPECT_EQ((*seal)->recipients[0].orcpt, "rfc822;bob@b.example");
  // The kept SignedData is what b's receipt is checked against.
  auto receipt = smime::sign_receipt((*seal)->signed_data, k.w.b.identity());
  ASSERT_TRUE(receipt) << receipt.error().text;
  smime::ReceiptOptions ro;
  ro.trust = &k.w.trust;
  auto checked = smime::verify_receipt(*receipt, (*seal)->signed_data, ro);
  ASSERT_TRUE(checked);
  EXPECT_TRUE(checked->ok()) << checked->detail;

  auto entries = k.w.evidence->entries_for("1234@a.example");
  ASSERT_TRUE(entries);
  std::map<evidence::EvidenceKind, std::string> kinds;
  for (const auto& e : *entries) kinds[e.kind] = k.w.evidence->read(e.sha256).value_or("?");
  EXPECT_EQ(kinds[evidence::EvidenceKind::sent], k.copy.signed_entity);
  EXPECT_EQ(kinds[evidence::EvidenceKind::authority], "AUTHORITY PEM");
  EXPECT_EQ(kinds[evidence::EvidenceKind::crl], "CRL PEM");
  EXPECT_NE(k.copy.signed_entity.find("multipart/signed"), std::string::npos);

  keeping.after_commit()(true);
  EXPECT_TRUE(k.w.ledger->seal(request->content_identifier).value());
}

TEST(ReceiptAsking, AFailedCommitForgetsTheRequest) {
  Kept k;
  SealKeeping keeping(k.w.config, k.w.ledger, k.w.evidence, nullptr, k.env, "1234@a.example", k.w.now);
  auto request = k.seal_for(keeping, {0, 2});
  ASSERT_TRUE(request && keeping.keep(k.copy));
  ASSERT_TRUE(k.w.ledger->seal(request->content_identifier).value());
  keeping.after_commit()(false);
  EXPECT_FALSE(k.w.ledger->seal(request->content_identifier).value());
}

TEST(ReceiptAsking, NothingAskedWithoutRecipientsOrLedger) {
  ReceiptWorld w;
  auto env = envelope();
  SealKeeping keeping(w.config, w.ledger, w.evidence, nullptr, env, "1234@a.example", w.now);
  EXPECT_FALSE(keeping.request_for({}).value());
  SealKeeping no_ledger(w.config, nullptr, nullptr, nullptr, env, "1234@a.example", w.now);
  EXPECT_FALSE(no_ledger.request_for({0}).value());
  EXPECT_FALSE(no_ledger.keeps_evidence());
  EXPECT_FALSE(no_ledger.after_commit());
}

TEST(ReceiptAsking, RetentionFollowsTheRelayClient) {
  Kept k;
  config::Config::RelayClient client;
  client.evidence_retention = std::chrono::seconds(86400);
  SealKeeping keeping(k.w.config, k.w.ledger, k.w.evidence, &client, k.env, "r@a.example", k.w.now);
  k.seal_for(keeping, {});
  ASSERT_TRUE(keeping.keep(k.copy));
  auto entries = k.w.evidence->entries_for("r@a.example");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);  // no authority file in this data folder
  EXPECT_EQ((*entries)[0].keep_until, k.w.now + 86400);
  EXPECT_TRUE((*entries)[0].content_identifier.empty());
}

}  // namespace
}  // namespace sm::gateway
