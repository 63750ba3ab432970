// gateway_receipt_duty_test.cpp - which receipt requests the receiving
// gateway acts on: receiptsTo must stay with the member that sealed the
// message (no reflecting receipts elsewhere), receiptsFrom lists narrow
// the recipients, and the duty carries what sign_receipt needs.
#include "gateway/receipt_duty.h"
#include "octets.h"

#include <gtest/gtest.h>

namespace sm::gateway {
namespace {

directory::Member member(const std::string& id, std::vector<std::string> domains) {
  directory::Member m;
  m.id = id;
  m.domains = std::move(domains);
  return m;
}

struct ReceiptDutyTest : ::testing::Test {
  std::shared_ptr<const directory::Directory> dir = directory::Directory::build(
      directory::Feed{1, 0, "", {member("a-example", {"a.example", "a2.example"}), member("c-example", {"c.example"})}});
  const directory::Member& a = *dir->find_id("a-example");
  mail::Envelope env;
  smime::Verdict verdict;

  void SetUp() override {
    for (const char* r : {"bob@b.example", "Carol@B.example", "dave@b.example"}) {
      mail::Recipient rcpt;
      rcpt.address = r;
      env.recipients.push_back(rcpt);
    }
    verdict.signed_data = securemail::test::octets("\x30\x80 signed data");
    smime::ReceiptRequest request;
    request.content_identifier = "id-1";
    request.receipts_to = {"securemail-receipts@a.example"};
    verdict.receipt_request = request;
  }
};

TEST_F(ReceiptDutyTest, RequestToTheSealingMemberIsActedOnForEveryRecipient) {
  auto d = decide_receipt_duty(verdict, a, dir.get(), env, {0, 2}, "<m1@a.example>");
  ASSERT_TRUE(d.duty) << d.log;
  EXPECT_EQ(d.duty->member, "a-example");
  EXPECT_EQ(d.duty->message_id, "m1@a.example");
  EXPECT_EQ(d.duty->receipts_to, std::vector<std::string>{"securemail-receipts@a.example"});
  EXPECT_EQ(d.duty->signed_data, verdict.signed_data);
  EXPECT_EQ(d.recipients, (std::vector<std::size_t>{0, 2}));
  EXPECT_NE(d.log.find("securemail-receipts@a.example"), std::string::npos);
}

TEST_F(ReceiptDutyTest, AnyDomainOfTheSameMemberWillDo) {
  verdict.receipt_request->receipts_to = {"x@a2.example", "y@A.EXAMPLE"};
  EXPECT_TRUE(decide_receipt_duty(verdict, a, dir.get(), env, {0}, "m").duty);
}

TEST_F(ReceiptDutyTest, ReceiptsReflectedElsewhereAreRefused) {
  for (const char* to : {"victim@c.example", "someone@outside.example", "no-domain"}) {
    verdict.receipt_request->receipts_to = {"securemail-receipts@a.example", to};
    auto d = decide_receipt_duty(verdict, a, dir.get(), env, {0, 1, 2}, "m");
    EXPECT_FALSE(d.duty) << to;
    EXPECT_NE(d.log.find("not acted on"), std::string::npos) << d.log;
    EXPECT_NE(d.log.find(to), std::string::npos) << d.log;
  }
  verdict.receipt_request->receipts_to.clear();
  EXPECT_FALSE(decide_receipt_duty(verdict, a, dir.get(), env, {0}, "m").duty) << "no receiptsTo";
  EXPECT_FALSE(decide_receipt_duty(verdict, a, nullptr, env, {0}, "m").duty) << "no directory";
}

TEST_F(ReceiptDutyTest, ReceiptsFromListNarrowsTheRecipients) {
  verdict.receipt_request->receipts_from_all = false;
  verdict.receipt_request->receipts_from = {"carol@b.example", "zed@b.example"};
  auto d = decide_receipt_duty(verdict, a, dir.get(), env, {0, 1, 2}, "m");
  ASSERT_TRUE(d.duty) << d.log;
  EXPECT_EQ(d.recipients, std::vector<std::size_t>{1}) << "matched case-insensitively";
  // Carol was a replayed recipient (not delivered this time): nobody left.
  auto none = decide_receipt_duty(verdict, a, dir.get(), env, {0, 2}, "m");
  EXPECT_FALSE(none.duty);
  EXPECT_NE(none.log.find("receiptsFrom"), std::string::npos) << none.log;
}

TEST_F(ReceiptDutyTest, FirstTierMeansEveryRecipient) {
  verdict.receipt_request->receipts_from_all = false;  // firstTier: we are the first tier
  auto d = decide_receipt_duty(verdict, a, dir.get(), env, {0, 1, 2}, "m");
  ASSERT_TRUE(d.duty);
  EXPECT_EQ(d.recipients.size(), 3u);
}

TEST_F(ReceiptDutyTest, NoRequestOrNothingToSignMeansNoDuty) {
  smime::Verdict plain;
  auto d = decide_receipt_duty(plain, a, dir.get(), env, {0}, "m");
  EXPECT_FALSE(d.duty);
  EXPECT_TRUE(d.log.empty());
  verdict.signed_data.clear();
  EXPECT_FALSE(decide_receipt_duty(verdict, a, dir.get(), env, {0}, "m").duty);
}

}  // namespace
}  // namespace sm::gateway
