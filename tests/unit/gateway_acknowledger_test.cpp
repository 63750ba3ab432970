// gateway_acknowledger_test.cpp - acknowledging mailboxes ([[acknowledge]]):
// the sender of verified mail gets one short acknowledgement, sealed back to
// its member; none for the null sender, Auto-Submitted mail or within the
// interval (a real SQLite ledger), and none of the original's content.
#include "gateway/acknowledger.h"

#include <gtest/gtest.h>

#include <chrono>

#include "gateway/local_mail.h"
#include "gateway_member_world.h"
#include "mime/header.h"

namespace sm::gateway {
namespace {

using namespace std::chrono_literals;
using testing::MemberGateway;
using testing::MemberWorld;

const std::string kMessage =
    "From: alice@a.example\r\nTo: info@b.example\r\nSubject: a question\r\nMessage-ID: <q7@a.example>\r\n\r\n"
    "private text\r\n";

TEST(Acknowledgement, SaysWhatArrivedWhenAndFromWhomOnly) {
  std::string m = compose_acknowledgement({"info@b.example", "alice@a.example", "q7@a.example", "a question", "a-example", 1700000000});
  auto block = mime::HeaderBlock::parse(m);
  ASSERT_TRUE(block) << block.error().text;
  EXPECT_EQ(block->get("From"), "info@b.example");
  EXPECT_EQ(block->get("To"), "alice@a.example");
  EXPECT_EQ(block->get("Subject"), "Received: a question");
  EXPECT_EQ(block->get("Auto-Submitted"), "auto-replied");
  EXPECT_EQ(block->get("In-Reply-To"), "<q7@a.example>");
  EXPECT_EQ(block->get("References"), "<q7@a.example>");
  std::string body = m.substr(block->body_offset());
  EXPECT_NE(body.find("<q7@a.example>"), std::string::npos);
  EXPECT_NE(body.find("a-example"), std::string::npos);
  EXPECT_NE(body.find(mime::format_date(1700000000)), std::string::npos);
}

TEST(Acknowledgement, AutoSubmittedFollowsRfc3834) {
  auto with = [](const std::string& v) { return "Auto-Submitted: " + v + "\r\nSubject: x\r\n\r\nx\r\n"; };
  EXPECT_FALSE(auto_submitted("Subject: x\r\n\r\nx\r\n"));
  EXPECT_FALSE(auto_submitted(with("no")));
  EXPECT_FALSE(auto_submitted(with("No (a person wrote this)")));
  EXPECT_TRUE(auto_submitted(with("auto-generated")));
  EXPECT_TRUE(auto_submitted(with("auto-replied; owner-email=x@y")));
  EXPECT_TRUE(auto_submitted(with("auto-notified")));
  EXPECT_TRUE(auto_submitted("not a header at all\r\n")) << "unreadable: never answered";
}

struct AcknowledgerTest : testing::OwnMailAtB {
  std::shared_ptr<evidence::ReceiptLedger> ledger;

  void SetUp() override {
    b.config.acknowledge.push_back({"info@b.example", 3600s});
    auto l = evidence::ReceiptLedger::open(world.tmp.path / "b.example");
    ASSERT_TRUE(l) << l.error().text;
    ledger = *l;
  }

  mail::Envelope env(const std::string& sender) {
    mail::Envelope e;
    e.id = "4F3A2B1C0D5E6000";
    e.sender = sender;
    e.arrival = std::time(nullptr);
    for (const char* r : {"info@b.example", "bob@b.example"}) {
      mail::Recipient rcpt;
      rcpt.address = r;
      e.recipients.push_back(rcpt);
    }
    return e;
  }
};

TEST_F(AcknowledgerTest, VerifiedMailIsAnsweredOnceSealedBackToTheMember) {
  Acknowledger ack(b.config, own, ledger);
  EXPECT_EQ(ack.received(env("alice@a.example"), {0, 1}, kMessage, "a-example"), 1u) << "only the acknowledging address";
  auto ids = committed.wait(1);
  ASSERT_EQ(ids.size(), 1u);
  auto m = b.spool->load(ids[0]);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->envelope.sender, "");
  EXPECT_EQ(m->envelope.sealed_for, "a-example");
  auto opened = world.opener("a.example").process(m->envelope, read_queued(*m, 1 << 20));
  ASSERT_EQ(opened.result, "pass") << opened.log;
  auto block = mime::HeaderBlock::parse(opened.message);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->get("Subject"), "Received: a question");
  EXPECT_EQ(block->get("From"), "info@b.example");
  EXPECT_EQ(opened.message.find("private text"), std::string::npos);

  // Within the interval: no second one for alice; another sender gets one.
  EXPECT_EQ(ack.received(env("ALICE@a.example"), {0}, kMessage, "a-example"), 0u);
  EXPECT_EQ(ack.received(env("dave@a.example"), {0}, kMessage, "a-example"), 1u);
  EXPECT_EQ(committed.wait(2).size(), 2u);
}

TEST_F(AcknowledgerTest, NullSenderAutoSubmittedAndNoLedgerGetNone) {
  Acknowledger ack(b.config, own, ledger);
  EXPECT_EQ(ack.received(env(""), {0}, kMessage, "a-example"), 0u);
  EXPECT_EQ(ack.received(env("erin@a.example"), {0}, "Auto-Submitted: auto-replied\r\n" + kMessage, "a-example"), 0u);
  EXPECT_EQ(ack.received(env("erin@a.example"), {1}, kMessage, "a-example"), 0u) << "bob is not an acknowledging address";
  Acknowledger without(b.config, own, nullptr);
  EXPECT_EQ(without.received(env("erin@a.example"), {0}, kMessage, "a-example"), 0u);
  // None of those counted as answered: erin's first real message is.
  EXPECT_EQ(ack.received(env("erin@a.example"), {0}, kMessage, "a-example"), 1u);
  EXPECT_EQ(committed.wait(1).size(), 1u);
}

}  // namespace
}  // namespace sm::gateway
