// gateway_facility_replies_test.cpp - the facility's echo@ and ping@ with
// real parts: a's gateway seals a message to b (the facility here); b's
// FacilityReplies opens it and answers through own mail, sealed back to a,
// where a opens the answer: the report, the digest of the signed entity
// and, for echo@, that entity attached octet for octet. What is not
// answered: unsealed mail, more than one recipient, the null sender,
// Auto-Submitted mail, and more than ping_limit a member an hour.
#include "gateway/facility_replies.h"

#include <gtest/gtest.h>

#include "gateway/local_mail.h"
#include "gateway/member_mail.h"
#include "gateway/sealed_failures.h"
#include "gateway_member_world.h"
#include "mime/header.h"
#include "util/digest.h"

namespace sm::gateway {
namespace {

using namespace std::chrono_literals;

const std::string kQuestion =
    "From: alice@a.example\r\nTo: echo@b.example\r\nSubject: interop check\r\nMessage-ID: <e1@a.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Gr\xc3\xbc\xc3\x9f" "e, line one\r\nline two\r\n";

struct FacilityRepliesTest : testing::OwnMailAtB {
  SealedFailures failures{{1ms, 100, 60s, 900s}};

  std::string sealed_by_a(const std::string& message) {
    const pki::KeySet* key = a.keys->signer_for("a.example");
    std::vector<smime::Recipient> to{{b.keys->signer_for("b.example")->cert.get(), false}};
    ossl::BioPtr out(BIO_new(BIO_s_mem()));
    auto sealed = smime::seal(smime::MessageSource::memory(message), out.get(), a.keys->identity(*key), to, {});
    EXPECT_TRUE(sealed) << (sealed ? "" : sealed.error().text);
    char* data = nullptr;
    long n = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }

  mail::Envelope to(const std::vector<std::string>& rcpts, const std::string& sender = "alice@a.example") {
    mail::Envelope env;
    env.id = "5A5A5A5A5A5A5000";
    env.sender = sender;
    env.arrival = std::time(nullptr);
    env.listener = "inbound";
    for (const auto& r : rcpts) env.recipients.push_back(mail::Recipient{r});
    return env;
  }

  Result<Resolution> take(FacilityReplies& replies, const mail::Envelope& env, std::string message) {
    MemberTrust trust{b.keys, world.snapshot(), b.certs.get()};
    return replies.take(trust, failures, "192.0.2.1", env, Received{"5A5A5A5A5A5A5000", std::move(message), nullptr});
  }

  // The one answer b queued, as a's gateway opens it (verified), with its header.
  std::string opened_answer() {
    auto ids = committed.wait(1);
    EXPECT_EQ(ids.size(), 1u);
    if (ids.empty()) return {};
    auto m = b.spool->load(ids[0]);
    EXPECT_TRUE(m);
    if (!m) return {};
    EXPECT_EQ(m->envelope.sender, "");
    EXPECT_EQ(m->envelope.sealed_for, "a-example");
    EXPECT_EQ(m->envelope.recipients.at(0).address, "alice@a.example");
    auto opened = world.opener("a.example").process(m->envelope, read_queued(*m, 4 << 20));
    EXPECT_EQ(opened.result, "pass") << opened.log;
    return opened.message;
  }
};

TEST_F(FacilityRepliesTest, EchoReturnsTheSignedEntityAndItsDigestSealedBack) {
  FacilityReplies replies(b.config, own);
  EXPECT_TRUE(replies.addressed(to({"ECHO@B.example"})));
  EXPECT_TRUE(replies.addressed(to({"ping@b.example"})));
  EXPECT_FALSE(replies.addressed(to({"echo@a.example", "bob@b.example"})));

  auto r = take(replies, to({"echo@b.example"}), sealed_by_a(kQuestion));
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->dropped_id, "5A5A5A5A5A5A5000") << "consumed, not delivered";
  EXPECT_TRUE(r->copies.empty());
  std::string answer = opened_answer();
  auto block = mime::HeaderBlock::parse(answer);
  ASSERT_TRUE(block) << answer;
  EXPECT_EQ(block->get("From"), "echo@b.example");
  EXPECT_EQ(block->get("To"), "alice@a.example");
  EXPECT_EQ(block->get("Subject"), "Echo: interop check");
  EXPECT_EQ(block->get("In-Reply-To"), "<e1@a.example>");
  EXPECT_EQ(block->get("Auto-Submitted"), "auto-replied");

  std::string entity = testing::attachment_octets(answer, "received.eml");
  ASSERT_FALSE(entity.empty()) << answer;
  EXPECT_NE(entity.find("Gr\xc3\xbc\xc3\x9f" "e, line one\r\nline two"), std::string::npos) << "octet for octet";
  auto digest = sha256_hex(entity);
  ASSERT_TRUE(digest);
  EXPECT_NE(answer.find("SHA-256:           " + *digest), std::string::npos) << answer;
  EXPECT_NE(answer.find("Signed entity:     " + std::to_string(entity.size()) + " octets"), std::string::npos);
  EXPECT_NE(answer.find("Sealed by member:  a-example"), std::string::npos);
}

TEST_F(FacilityRepliesTest, PingAnswersWithTheReportAlone) {
  FacilityReplies replies(b.config, own);
  auto r = take(replies, to({"ping@b.example"}), sealed_by_a(kQuestion));
  ASSERT_TRUE(r) << r.error().text;
  std::string answer = opened_answer();
  auto block = mime::HeaderBlock::parse(answer);
  ASSERT_TRUE(block) << answer;
  EXPECT_EQ(block->get("From"), "ping@b.example");
  EXPECT_EQ(block->get("Subject"), "Pong: interop check");
  EXPECT_NE(answer.find("Signature:         pass"), std::string::npos);
  EXPECT_EQ(answer.find("received.eml"), std::string::npos);
  EXPECT_EQ(answer.find("line one"), std::string::npos) << "ping returns none of the content";
}

TEST_F(FacilityRepliesTest, OnlySealedVerifiedMailToTheAddressAloneIsAnswered) {
  FacilityReplies replies(b.config, own);
  auto two = take(replies, to({"echo@b.example", "bob@b.example"}), sealed_by_a(kQuestion));
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().enhanced, "5.5.3");
  auto plain = take(replies, to({"echo@b.example"}), kQuestion);
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, 550);
  EXPECT_EQ(plain.error().enhanced, "5.7.1");
  std::string broken = sealed_by_a(kQuestion);
  broken[broken.size() / 2] ^= 0x01;  // the one sealed-failure reply, after the delay
  auto failed = take(replies, to({"echo@b.example"}), broken);
  ASSERT_TRUE(failed);
  ASSERT_TRUE(failed->refusal);
  EXPECT_EQ(failed->refusal->text, sealed_failure_reply().text);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(committed.size(), 0u);
}

TEST_F(FacilityRepliesTest, NullSenderAndAutoSubmittedAreConsumedUnanswered) {
  FacilityReplies replies(b.config, own);
  auto null_sender = take(replies, to({"echo@b.example"}, ""), sealed_by_a(kQuestion));
  ASSERT_TRUE(null_sender) << null_sender.error().text;
  EXPECT_EQ(null_sender->dropped_id, "5A5A5A5A5A5A5000");
  auto automatic = take(replies, to({"echo@b.example"}), sealed_by_a("Auto-Submitted: auto-replied\r\n" + kQuestion));
  ASSERT_TRUE(automatic) << automatic.error().text;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(committed.size(), 0u) << "RFC 3834: no answer, so two responders never loop";
}

TEST_F(FacilityRepliesTest, MoreThanPingLimitAnHourGetsTryLater) {
  b.config.selftest.ping_limit = 2;
  FacilityReplies replies(b.config, own);
  for (int i = 0; i < 2; ++i) {
    auto r = take(replies, to({"ping@b.example"}), sealed_by_a(kQuestion));
    ASSERT_TRUE(r) << r.error().text;
  }
  auto third = take(replies, to({"echo@b.example"}), sealed_by_a(kQuestion));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, 451);
  EXPECT_EQ(third.error().enhanced, "4.7.1");
  EXPECT_EQ(committed.wait(2).size(), 2u);
}

}  // namespace
}  // namespace sm::gateway
