// gateway_receipt_issuer_test.cpp - the receiving gateway's signed receipts,
// with real parts: a seals for b asking for a receipt; b's inbound listener
// opens it (the duty and the kept signed entity); once delivered, b signs
// one receipt per recipient and queues it sealed to a; a opens that and the
// receipt verifies against what a kept when sealing. Also the delivery
// agent's hook (every recipient handed over, only for a message with a
// duty) and the receipt message's agreed format.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "gateway/receipt_issuer.h"
#include "gateway/local_mail.h"
#include "gateway_delivery_support.h"
#include "gateway_member_world.h"
#include "mime/header.h"
#include "smime/receipt.h"
#include "util/base64.h"
#include "octets.h"

namespace sm::gateway {
namespace {

using testing::MemberGateway;
using testing::MemberWorld;

const std::string kOriginal =
    "From: alice@a.example\r\nTo: bob@b.example, carol@b.example\r\nSubject: quarterly figures\r\n"
    "Message-ID: <q1@a.example>\r\n\r\nThe figures are private.\r\n";

// A sealed message from alice arriving for two of b's users.
mail::Envelope from_alice_to_bob_and_carol() {
  mail::Envelope env;
  env.sender = "alice@a.example";
  env.arrival = std::time(nullptr);
  env.listener = "inbound";
  for (const char* r : {"bob@b.example", "carol@b.example"}) {
    mail::Recipient rcpt;
    rcpt.address = r;
    env.recipients.push_back(rcpt);
  }
  return env;
}

// The receipt part's DER out of a receipt message; "" when there is none.
std::string receipt_part(const std::string& message) { return testing::attachment_octets(message, "receipt.p7m"); }

struct ReceiptIssuerTest : testing::OwnMailAtB {
  smime::SignedRecord kept_by_a;

  // a's gateway seals kOriginal for b asking for a receipt to receipts_to.
  std::string seal_with_request(const std::string& receipts_to = "securemail-receipts@a.example") {
    auto id = smime::new_content_identifier();
    EXPECT_TRUE(id);
    smime::SealOptions options;
    options.sign.receipt_request = smime::ReceiptRequest{*id, true, {}, {receipts_to}};
    return seal(std::move(options));
  }

  // a's gateway seals kOriginal for b with these options.
  std::string seal(smime::SealOptions options) {
    options.sign.record = &kept_by_a;
    const pki::KeySet* key = a.keys->signer_for("a.example");
    const pki::KeySet* b_key = b.keys->signer_for("b.example");
    std::vector<smime::Recipient> to{{b_key->cert.get(), false}};
    ossl::BioPtr out(BIO_new(BIO_s_mem()));
    auto sealed = smime::seal(smime::MessageSource::memory(kOriginal), out.get(), a.keys->identity(*key), to, options);
    EXPECT_TRUE(sealed) << (sealed ? "" : sealed.error().text);
    char* data = nullptr;
    long n = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }

  mail::Envelope arriving() { return from_alice_to_bob_and_carol(); }

  // b's queue file for the opened message, as open_inbound writes it.
  queue::QueuedMessage queue_opened(const InboundOutcome& out) {
    mail::Envelope env = arriving();
    env.receipt = out.receipt.duty;
    auto w = b.spool->create(env);
    EXPECT_TRUE(w && (*w)->write(out.message));
    auto id = b.spool->commit(std::move(*w));
    EXPECT_TRUE(id);
    auto m = b.spool->load(*id);  // read back: the duty went through the queue file
    EXPECT_TRUE(m);
    return *m;
  }
};

// RFC 2634 2.7: a request that cannot be used does not stop the message,
// gets no receipt, and the log line says why.
TEST_F(ReceiptIssuerTest, AnUnusableRequestIsDeliveredWithoutADutyAndLogged) {
  smime::SealOptions options;
  options.sign.raw_receipt_request_der = std::string("\x30\x03\x02\x01\x05", 5);  // a SEQUENCE, not a ReceiptRequest
  auto out = world.opener("b.example").process(arriving(), seal(std::move(options)));
  ASSERT_EQ(out.result, "pass") << out.log;
  EXPECT_FALSE(out.receipt.duty);
  EXPECT_NE(out.log.find("signed receipt request not acted on: "), std::string::npos) << out.log;
  EXPECT_NE(out.log.find("no receipt will be sent"), std::string::npos) << out.log;
}

TEST_F(ReceiptIssuerTest, DeliveredRecipientsGetSealedReceiptsThatVerifyAtTheSender) {
  Opener at_b = world.opener("b.example");
  at_b.keep_signed_entities();
  auto out = at_b.process(arriving(), seal_with_request());
  ASSERT_EQ(out.result, "pass") << out.log;
  ASSERT_TRUE(out.receipt.duty) << out.log;
  EXPECT_EQ(out.member, "a-example");
  EXPECT_EQ(out.message_id, "q1@a.example");
  EXPECT_NE(out.signed_entity.find("The figures are private."), std::string::npos) << "the evidence is the signed entity";
  EXPECT_NE(out.log.find("signed receipt requested to <securemail-receipts@a.example>"), std::string::npos) << out.log;

  auto m = queue_opened(out);
  ASSERT_TRUE(m.envelope.receipt);
  {
    ReceiptIssuer issuer(b.config, b.keys, own);
    issuer.handed_over(m, {0, 1});
  }  // joined: both receipts signed and handed to own mail
  auto ids = committed.wait(2);
  ASSERT_EQ(ids.size(), 2u);
  std::vector<std::string> confirmed;
  for (const auto& id : ids) {
    auto r = b.spool->load(id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->envelope.sender, "");
    EXPECT_EQ(r->envelope.sealed_for, "a-example");
    EXPECT_EQ(r->envelope.lane, mail::Lane::priority);
    EXPECT_EQ(r->envelope.recipients.at(0).address, "securemail-receipts@a.example");
    std::string sealed = read_queued(*r, 1 << 20);
    EXPECT_EQ(sealed.find("bob@b.example"), std::string::npos) << "the confirmed recipient travels encrypted";

    auto opened = world.opener("a.example").process(r->envelope, sealed);
    ASSERT_EQ(opened.result, "pass") << opened.log;
    auto block = mime::HeaderBlock::parse(opened.message);
    ASSERT_TRUE(block);
    EXPECT_EQ(block->get("From"), "MAILER-DAEMON@b.example");
    EXPECT_EQ(block->get("To"), "securemail-receipts@a.example");
    EXPECT_EQ(block->get("Subject"), "Signed receipt: quarterly figures");
    EXPECT_EQ(block->get("Auto-Submitted"), "auto-replied");
    EXPECT_EQ(block->get("SecureMail-Receipt-Message-Id"), "<q1@a.example>");
    confirmed.push_back(std::string(block->get("SecureMail-Receipt-For").value_or("")));
    EXPECT_EQ(opened.message.find("The figures are private."), std::string::npos) << "nothing of the original";

    std::string der = receipt_part(opened.message);
    ASSERT_FALSE(der.empty()) << opened.message;
    smime::ReceiptOptions ro;
    auto trust = a.keys->trust();
    ro.trust = trust.get();
    ro.allowed_signer_fingerprints = a.certs->fingerprints(b.member);
    auto check = smime::verify_receipt(der, kept_by_a.signed_data, ro);
    ASSERT_TRUE(check) << check.error().text;
    EXPECT_TRUE(check->ok()) << check->detail;
    EXPECT_EQ(check->content_identifier, kept_by_a.content_identifier);
  }
  std::sort(confirmed.begin(), confirmed.end());
  EXPECT_EQ(confirmed, (std::vector<std::string>{"bob@b.example", "carol@b.example"})) << "one receipt per recipient";
}

TEST_F(ReceiptIssuerTest, RequestReflectingReceiptsToAnotherMemberGetsNoDuty) {
  Opener at_b = world.opener("b.example");
  auto out = at_b.process(arriving(), seal_with_request("postmaster@c.example"));
  ASSERT_EQ(out.result, "pass") << out.log;
  EXPECT_FALSE(out.receipt.duty);
  EXPECT_NE(out.log.find("not acted on"), std::string::npos) << out.log;
}

TEST_F(ReceiptIssuerTest, WithoutOurKeyNoReceiptIsSent) {
  Opener at_b = world.opener("b.example");
  auto out = at_b.process(arriving(), seal_with_request());
  ASSERT_TRUE(out.receipt.duty);
  auto m = queue_opened(out);
  config::Config other = b.config;
  other.domain = "z.example";  // we hold no key for it
  {
    ReceiptIssuer issuer(other, b.keys, own);
    issuer.handed_over(m, {0});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(committed.size(), 0u);
}

TEST(ReceiptMessage, ComposedInTheAgreedFormat) {
  ReceiptMessage r{"b.example", "securemail-receipts@a.example", "bob@b.example", "m1@a.example", "", securemail::test::octets("\x30\x82\0\x01"), 0};
  std::string m = compose_receipt_message(r);
  auto block = mime::HeaderBlock::parse(m);
  ASSERT_TRUE(block) << block.error().text;
  EXPECT_EQ(block->get("Subject"), "Signed receipt: <m1@a.example>") << "no subject: the Message-ID";
  EXPECT_EQ(block->get("SecureMail-Receipt-For"), "bob@b.example");
  EXPECT_TRUE(block->get("Content-Type").value_or("").starts_with("multipart/mixed; boundary="));
  EXPECT_NE(m.find("Content-Type: application/pkcs7-mime; smime-type=signed-receipt; name=\"receipt.p7m\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n"),
            std::string::npos);
  EXPECT_EQ(receipt_part(m), r.receipt);
}

}  // namespace

// The hook: every recipient handed over in an attempt, for messages that
// carry a duty only.
namespace testing {

TEST_F(DeliveryAgentTest, HandedOverHookSeesDeliveredRecipientsOfMessagesWithADuty) {
  start("");
  std::vector<std::pair<std::string, std::vector<std::size_t>>> calls;
  agent->on_handed_over([&](const queue::QueuedMessage& m, const std::vector<std::size_t>& r) {
    calls.emplace_back(m.envelope.id, r);
  });
  mail::Envelope env = from_alice_to_bob_and_carol();
  env.receipt = mail::ReceiptDuty{"a-example", "m@a.example", {"securemail-receipts@a.example"}, "der"};
  auto w = spool->create(env);
  ASSERT_TRUE(w && (*w)->write("Subject: x\r\n\r\nx\r\n"));
  auto with = spool->commit(std::move(*w));
  ASSERT_TRUE(with);
  std::string without = queue_message(mail::Lane::normal);
  agent->submit(*with);
  agent->submit(without);
  ASSERT_TRUE(run_until([&] { return !queued(*with) && !queued(without); }));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, *with);
  EXPECT_EQ(calls[0].second, (std::vector<std::size_t>{0, 1}));
}

}  // namespace testing
}  // namespace sm::gateway
