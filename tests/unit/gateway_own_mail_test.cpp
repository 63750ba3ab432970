// gateway_own_mail_test.cpp - mail the gateway writes itself (bounces,
// receipts, acknowledgements): sealed to a member exactly like relayed
// mail, so the member's gateway opens it and it verifies (smime=pass);
// plain to our own domains and to non-members; never plain to a member
// when it cannot be sealed. Also the bouncer's reports, which go through it.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "gateway/bouncer.h"
#include "gateway/local_mail.h"
#include "gateway/own_mail.h"
#include "gateway/receipt_asking.h"
#include "gateway_member_world.h"
#include "mime/header.h"
#include "temp_dir.h"

namespace sm::gateway {
namespace {

using testing::MemberGateway;
using testing::MemberWorld;

const std::string kReport =
    "From: MAILER-DAEMON@b.example\r\nTo: alice@a.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    "Message-ID: <r1@b.example>\r\n\r\nThis is the mail system at b.example.\r\n";

struct OwnMailTest : testing::OwnMailAtB {

  Result<std::string> send(const std::string& to, const std::string& text, const std::string& source = "bounce") {
    std::promise<Result<std::string>> done;
    own.send(LocalMessage{source, to, text, 0, false}, [&](Result<std::string> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  queue::QueuedMessage load(const std::string& id) {
    auto m = b.spool->load(id);
    EXPECT_TRUE(m) << (m ? "" : m.error().text);
    return m ? *m : queue::QueuedMessage{};
  }
};

TEST_F(OwnMailTest, ReportToAMemberIsSealedAndVerifiesAtTheMember) {
  auto id = send("alice@a.example", kReport);
  ASSERT_TRUE(id) << id.error().text;
  auto m = load(*id);
  EXPECT_EQ(m.envelope.sender, "");
  EXPECT_EQ(m.envelope.sealed_for, "a-example");
  EXPECT_EQ(m.envelope.lane, mail::Lane::priority);
  EXPECT_TRUE(m.envelope.body_binary);
  EXPECT_EQ(committed.wait(1), std::vector<std::string>{*id}) << "committed copies are handed to delivery";
  std::string sealed = read_queued(m, 1 << 20);
  EXPECT_EQ(sealed.find("This is the mail system"), std::string::npos) << "the report is encrypted";

  // a's inbound listener opens it: signed by member b, envelope bound.
  mail::Envelope arriving = m.envelope;
  arriving.sealed_for.clear();
  auto out = world.opener("a.example").process(arriving, sealed);
  ASSERT_EQ(out.result, "pass") << out.log;
  EXPECT_EQ(out.member, "b-example");
  EXPECT_NE(out.log.find("signed by member b-example"), std::string::npos) << out.log;
  EXPECT_NE(out.message.find("Subject: Undelivered Mail Returned to Sender\r\n"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("smime=pass"), std::string::npos);

  // c's gateway cannot open what was sealed for a.
  auto at_c = world.opener("c.example").process(arriving, sealed);
  EXPECT_NE(at_c.result, "pass");
}

// The test agent's triggered mail may ask the member for a signed receipt:
// the request is in the seal (the member's opener sees its identifier) and
// in the ledger before the commit, with the agent as the sender its report
// goes to. Without a ledger nothing is asked.
TEST_F(OwnMailTest, TriggeredMailAsksForAReceiptRecordedInTheLedger) {
  test_support::TempDir dir{"sm-own-receipts"};
  auto ledger = evidence::ReceiptLedger::open(dir.path);
  ASSERT_TRUE(ledger) << ledger.error().text;
  const std::string text =
      "From: securemail-test@b.example\r\nTo: runner@a.example\r\nSubject: test\r\n"
      "Message-ID: <INT-RCPT-OUT.R1.x@b.example>\r\n\r\nhello\r\n";
  auto send_asking = [&] {
    std::promise<Result<std::string>> done;
    own.send(LocalMessage{"agent", "runner@a.example", text, 0, false, "securemail-test@b.example", true},
             [&](Result<std::string> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  };
  auto plain_id = send_asking();  // no ledger yet: sealed, nothing asked
  ASSERT_TRUE(plain_id) << plain_id.error().text;
  auto unasked = load(*plain_id);
  auto out = world.opener("a.example").process([&] { auto e = unasked.envelope; e.sealed_for.clear(); return e; }(),
                                               read_queued(unasked, 1 << 20));
  ASSERT_EQ(out.result, "pass") << out.log;
  EXPECT_TRUE(out.content_identifier.empty());

  own.keep_receipts_in(*ledger, nullptr);
  auto id = send_asking();
  ASSERT_TRUE(id) << id.error().text;
  auto m = load(*id);
  EXPECT_EQ(m.envelope.sender, "securemail-test@b.example");
  mail::Envelope arriving = m.envelope;
  arriving.sealed_for.clear();
  auto asked = world.opener("a.example").process(arriving, read_queued(m, 1 << 20));
  ASSERT_EQ(asked.result, "pass") << asked.log;
  ASSERT_FALSE(asked.content_identifier.empty()) << "the seal carries a receipt request";
  auto rows = (*ledger)->find(asked.content_identifier);
  ASSERT_TRUE(rows) << rows.error().text;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].sender, "securemail-test@b.example");
  EXPECT_EQ((*rows)[0].recipient, "runner@a.example");
  EXPECT_EQ((*rows)[0].member, "a-example");
  EXPECT_EQ((*rows)[0].message_id, "INT-RCPT-OUT.R1.x@b.example");
  EXPECT_EQ((*rows)[0].queue_id, *id);
  EXPECT_EQ((*rows)[0].state, evidence::ReceiptState::pending);
}

TEST_F(OwnMailTest, OwnDomainAndNonMembersArePlain) {
  for (const char* to : {"bob@b.example", "someone@elsewhere.example"}) {
    auto id = send(to, kReport);
    ASSERT_TRUE(id) << to << ": " << id.error().text;
    auto m = load(*id);
    EXPECT_EQ(m.envelope.sealed_for, "") << to;
    EXPECT_EQ(m.envelope.lane, mail::Lane::normal) << to;
    EXPECT_EQ(read_queued(m, 1 << 20), kReport) << to;
  }
}

TEST_F(OwnMailTest, UnsealableMailToAMemberIsNotSentAtAll) {
  // We hold no key for the From: domain: not sealed, so not sent.
  std::string foreign = kReport;
  foreign.replace(foreign.find("@b.example"), 10, "@z.example");
  auto r = send("alice@a.example", foreign);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 550);
  EXPECT_TRUE(b.spool->active_ids().empty());
  EXPECT_EQ(committed.size(), 0u);
}

TEST_F(OwnMailTest, ReportToASuspendedMemberIsNotSent) {
  directory::Feed feed = world.directory->feed();
  for (auto& m : feed.members)
    if (m.id == "a-example") m.status = directory::Status::suspended;
  world.directory = directory::Directory::build(std::move(feed));
  OwnMail suspended(b.config, *b.spool, b.keys, world.snapshot(), b.certs.get(), {});
  std::promise<Result<std::string>> done;
  suspended.send(LocalMessage{"bounce", "alice@a.example", kReport, 0, false},
                 [&](Result<std::string> r) { done.set_value(std::move(r)); });
  EXPECT_FALSE(done.get_future().get());
  EXPECT_TRUE(b.spool->active_ids().empty());
}

TEST_F(OwnMailTest, OwnHeaderIsOneLineFieldsWithAFreshMessageId) {
  OwnHeader h;
  h.from = "MAILER-DAEMON@b.example";
  h.to = "securemail-receipts@a.example\r\nBcc: evil@x.example";
  h.subject = "Signed receipt: hello\r\nX-Injected: yes";
  h.extra = {"SecureMail-Receipt-For: bob@b.example"};
  std::string one = own_header(h), two = own_header(h);
  auto block = mime::HeaderBlock::parse(one + "\r\n");
  ASSERT_TRUE(block) << block.error().text;
  EXPECT_FALSE(block->has("Bcc"));
  EXPECT_FALSE(block->has("X-Injected"));
  EXPECT_EQ(block->get("From"), "MAILER-DAEMON@b.example");
  EXPECT_EQ(block->get("Auto-Submitted"), "auto-replied");
  EXPECT_EQ(block->get("SecureMail-Receipt-For"), "bob@b.example");
  auto id = message_id_of(one + "\r\n");
  EXPECT_TRUE(id.ends_with("@b.example")) << id;
  EXPECT_NE(message_id_of(two + "\r\n"), id);
}

// A bounce for a sealed message's sender at member a: From:
// MAILER-DAEMON@<our domain> and sealed to a.
TEST_F(OwnMailTest, BouncerSealsReportsToMemberSenders) {
  mail::Envelope env;
  env.sender = "alice@a.example";
  env.arrival = std::time(nullptr);
  env.listener = "inbound";
  mail::Recipient r;
  r.address = "nobody@b.example";
  r.state = mail::RecipientState::failed;
  r.last_reply = "550 5.1.1 no such mailbox";
  env.recipients = {r};
  auto w = b.spool->create(env);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("From: alice@a.example\r\nSubject: to nobody\r\nMessage-ID: <n1@a.example>\r\n\r\nhello\r\n"));
  auto original = b.spool->commit(std::move(*w));
  ASSERT_TRUE(original);
  auto m = load(*original);

  Bouncer bouncer(b.config, own);
  ASSERT_TRUE(bouncer.report(m, {0}, DsnAction::failed));
  ASSERT_TRUE(b.spool->remove(*original));
  auto ids = committed.wait(1);
  ASSERT_EQ(ids.size(), 1u) << "no report was queued";
  auto report = load(ids[0]);
  EXPECT_EQ(report.envelope.sealed_for, "a-example");
  auto out = world.opener("a.example").process(report.envelope, read_queued(report, 1 << 20));
  ASSERT_EQ(out.result, "pass") << out.log;
  auto block = mime::HeaderBlock::parse(out.message);
  ASSERT_TRUE(block);
  EXPECT_NE(block->get("From").value_or("").find("MAILER-DAEMON@b.example"), std::string_view::npos);
  EXPECT_NE(out.message.find("nobody@b.example"), std::string::npos);

  // The null sender never gets one.
  m.envelope.sender.clear();
  EXPECT_FALSE(bouncer.report(m, {0}, DsnAction::failed));
}

}  // namespace
}  // namespace sm::gateway
