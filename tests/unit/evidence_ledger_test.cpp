// evidence_ledger_test.cpp - the receipt ledger: adding and forgetting
// seals, settling once (replays, unknown identifiers, concurrent copies),
// timeouts racing receipts, the list filters and lookups behind
// `securemail receipts`, and the acknowledging mailboxes' interval.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "evidence/ledger.h"
#include "temp_dir.h"
#include "octets.h"

namespace sm::evidence {
namespace {

using test_support::TempDir;

SealRecord make_seal(std::string ci, std::string message_id, std::int64_t sealed_at,
                     std::vector<std::string> recipients = {"bob@b.example", "carol@b.example"}) {
  SealRecord s;
  s.content_identifier = std::move(ci);
  s.message_id = std::move(message_id);
  s.sender = "alice@a.example";
  s.envid = "env-1";
  s.member = "b.example";
  s.queue_id = "Q" + s.content_identifier;
  s.sealed_at = sealed_at;
  s.signed_data = securemail::test::octets("\x30\x82\x00\x00signed");
  for (auto& r : recipients) s.recipients.push_back({r, "rfc822;" + r});
  return s;
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = ReceiptLedger::open(dir.path);
    ASSERT_TRUE(opened) << opened.error().text;
    ledger = *opened;
  }
  TempDir dir{"sm-ledger"};
  std::shared_ptr<ReceiptLedger> ledger;
};

TEST_F(LedgerTest, AddedSealReadsBackWithRecipientsAndSignedData) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "<m1@a.example>", 100)));
  auto seal = ledger->seal("ci1");
  ASSERT_TRUE(seal);
  ASSERT_TRUE(seal->has_value());
  EXPECT_EQ((*seal)->message_id, "m1@a.example");
  EXPECT_EQ((*seal)->signed_data, securemail::test::octets("\x30\x82\x00\x00signed"));
  EXPECT_EQ((*seal)->sender, "alice@a.example");
  EXPECT_EQ((*seal)->envid, "env-1");
  EXPECT_EQ((*seal)->queue_id, "Qci1");
  ASSERT_EQ((*seal)->recipients.size(), 2u);
  EXPECT_EQ((*seal)->recipients[0].address, "bob@b.example");
  EXPECT_EQ((*seal)->recipients[0].orcpt, "rfc822;bob@b.example");
  EXPECT_TRUE(std::filesystem::exists(dir.path / "receipts.sqlite"));
}

TEST_F(LedgerTest, UnknownSealIsNullopt) {
  auto seal = ledger->seal("nope");
  ASSERT_TRUE(seal);
  EXPECT_FALSE(seal->has_value());
}

TEST_F(LedgerTest, DuplicateIdentifierAndEmptySealAreRefused) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  EXPECT_FALSE(ledger->add(make_seal("ci1", "m2", 100)));
  EXPECT_FALSE(ledger->add(make_seal("", "m3", 100)));
  EXPECT_FALSE(ledger->add(make_seal("ci3", "m3", 100, {})));
  auto rows = ledger->list({});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 2u);  // the first seal only, nothing half-added
}

TEST_F(LedgerTest, ForgetRemovesSealAndRequests) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  ASSERT_TRUE(ledger->forget("ci1"));
  EXPECT_FALSE(ledger->seal("ci1")->has_value());
  EXPECT_TRUE(ledger->list({})->empty());
  EXPECT_TRUE(ledger->forget("ci1"));  // forgetting twice is harmless
}

TEST_F(LedgerTest, SettleOnceThenReplayIsReported) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  auto first = ledger->settle("ci1", "Bob@B.example", 150, 160, "abc", "fp");
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, ReceiptState::pending);
  auto replay = ledger->settle("ci1", "bob@b.example", 151, 170, "def", "fp2");
  ASSERT_TRUE(replay);
  EXPECT_EQ(*replay, ReceiptState::received);
  auto rows = ledger->find("ci1");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  const auto& bob = (*rows)[0];
  EXPECT_EQ(bob.recipient, "bob@b.example");
  EXPECT_EQ(bob.state, ReceiptState::received);
  EXPECT_EQ(bob.signed_at, 150);
  EXPECT_EQ(bob.settled_at, 160);  // the replay changed nothing
  EXPECT_EQ(bob.receipt_sha256, "abc");
  EXPECT_EQ(bob.signer_fingerprint, "fp");
  EXPECT_EQ((*rows)[1].state, ReceiptState::pending);
}

TEST_F(LedgerTest, SettleUnknownIdentifierOrRecipientChangesNothing) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  auto unknown = ledger->settle("ci9", "bob@b.example", 1, 2, "x", "y");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
  auto stranger = ledger->settle("ci1", "mallory@b.example", 1, 2, "x", "y");
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(stranger->has_value());
  auto pending = ledger->list({.pending_only = true});
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 2u);
}

TEST_F(LedgerTest, TwoCopiesOfOneReceiptSettleOnce) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  // A second connection to the same file, as a second process would have.
  auto other = ReceiptLedger::open(dir.path);
  ASSERT_TRUE(other);
  std::atomic<int> settled{0}, replays{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto& l = (i % 2 == 0) ? *ledger : **other;
      auto r = l.settle("ci1", "bob@b.example", 150, 160 + i, "abc", "fp");
      if (r && *r == ReceiptState::pending) ++settled;
      if (r && *r == ReceiptState::received) ++replays;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(settled.load(), 1);
  EXPECT_EQ(replays.load(), 7);
}

TEST_F(LedgerTest, OverdueListsOldPendingOldestFirst) {
  ASSERT_TRUE(ledger->add(make_seal("late", "m2", 200, {"bob@b.example"})));
  ASSERT_TRUE(ledger->add(make_seal("early", "m1", 100, {"bob@b.example"})));
  ASSERT_TRUE(ledger->add(make_seal("fresh", "m3", 900, {"bob@b.example"})));
  ASSERT_TRUE(ledger->settle("late", "bob@b.example", 1, 2, "", ""));
  ASSERT_TRUE(ledger->add(make_seal("old2", "m4", 150, {"bob@b.example"})));
  auto overdue = ledger->overdue(500);
  ASSERT_TRUE(overdue);
  ASSERT_EQ(overdue->size(), 2u);
  EXPECT_EQ((*overdue)[0].content_identifier, "early");
  EXPECT_EQ((*overdue)[1].content_identifier, "old2");
  auto one = ledger->overdue(500, 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
}

TEST_F(LedgerTest, TimeoutAndReceiptRaceOnlyOneWins) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  auto timed = ledger->time_out("ci1", "bob@b.example", 1000);
  ASSERT_TRUE(timed);
  EXPECT_TRUE(*timed);
  auto late = ledger->settle("ci1", "bob@b.example", 900, 1001, "abc", "fp");
  ASSERT_TRUE(late);
  EXPECT_EQ(*late, ReceiptState::timed_out);
  EXPECT_FALSE(*ledger->time_out("ci1", "bob@b.example", 1002));

  ASSERT_TRUE(ledger->settle("ci1", "carol@b.example", 900, 950, "abc", "fp"));
  EXPECT_FALSE(*ledger->time_out("ci1", "carol@b.example", 1000));
  EXPECT_FALSE(*ledger->time_out("ci9", "carol@b.example", 1000));
  auto rows = ledger->find("ci1");
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)[0].state, ReceiptState::timed_out);
  EXPECT_EQ((*rows)[0].settled_at, 1000);
  EXPECT_EQ((*rows)[1].state, ReceiptState::received);
  EXPECT_TRUE(ledger->overdue(5000)->empty());
}

TEST_F(LedgerTest, ListFilters) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "<m1@a.example>", 100)));
  ASSERT_TRUE(ledger->add(make_seal("ci2", "m2@a.example", 200, {"dave@c.example"})));
  ASSERT_TRUE(ledger->settle("ci1", "bob@b.example", 1, 2, "", ""));
  EXPECT_EQ(ledger->list({})->size(), 3u);
  auto pending = ledger->list({.pending_only = true});
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].recipient, "carol@b.example");
  EXPECT_EQ((*pending)[1].recipient, "dave@c.example");
  auto by_id = ledger->list({.message_id = "<m1@a.example>"});
  ASSERT_EQ(by_id->size(), 2u);
  EXPECT_EQ(ledger->list({.message_id = "m1@a.example"})->size(), 2u);
  auto since = ledger->list({.since = 150});
  ASSERT_EQ(since->size(), 1u);
  EXPECT_EQ((*since)[0].content_identifier, "ci2");
  EXPECT_EQ(ledger->list({.since = 200})->size(), 1u);  // at or after
  EXPECT_EQ(ledger->list({.limit = 1})->size(), 1u);
  EXPECT_TRUE(ledger->list({.pending_only = true, .message_id = "m1@a.example", .since = 150})->empty());
}

TEST_F(LedgerTest, FindByIdentifierMessageIdOrQueueId) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1@a.example", 100)));
  ASSERT_TRUE(ledger->add(make_seal("ci2", "m2@a.example", 200)));
  EXPECT_EQ(ledger->find("ci1")->size(), 2u);
  EXPECT_EQ(ledger->find("m2@a.example")->size(), 2u);
  auto bracketed = ledger->find("<m2@a.example>");
  ASSERT_EQ(bracketed->size(), 2u);
  EXPECT_EQ((*bracketed)[0].content_identifier, "ci2");
  auto by_queue = ledger->find("Qci1");
  ASSERT_EQ(by_queue->size(), 2u);
  EXPECT_EQ((*by_queue)[0].message_id, "m1@a.example");
  EXPECT_TRUE(ledger->find("nothing")->empty());
}

TEST_F(LedgerTest, StateSurvivesReopen) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  ASSERT_TRUE(ledger->settle("ci1", "bob@b.example", 1, 2, "abc", "fp"));
  ledger.reset();
  auto again = ReceiptLedger::open(dir.path);
  ASSERT_TRUE(again);
  auto rows = (*again)->find("ci1");
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].state, ReceiptState::received);
}

TEST_F(LedgerTest, AcknowledgementAtMostOncePerInterval) {
  EXPECT_TRUE(*ledger->acknowledgement_due("info@b.example", "alice@a.example", 1000, 3600));
  EXPECT_FALSE(*ledger->acknowledgement_due("info@b.example", "alice@a.example", 1001, 3600));
  EXPECT_FALSE(*ledger->acknowledgement_due("INFO@b.example", "Alice@A.example", 4599, 3600));
  // Another sender, another mailbox: independent.
  EXPECT_TRUE(*ledger->acknowledgement_due("info@b.example", "dave@c.example", 1001, 3600));
  EXPECT_TRUE(*ledger->acknowledgement_due("sales@b.example", "alice@a.example", 1001, 3600));
  // Once the interval has passed, due again (and remembered anew).
  EXPECT_TRUE(*ledger->acknowledgement_due("info@b.example", "alice@a.example", 4600, 3600));
  EXPECT_FALSE(*ledger->acknowledgement_due("info@b.example", "alice@a.example", 4601, 3600));
  // A shorter interval for the same mailbox.
  EXPECT_TRUE(*ledger->acknowledgement_due("info@b.example", "alice@a.example", 4661, 60));
}

TEST_F(LedgerTest, ReopenUndoesASettlementWhoseReportWasNotQueued) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  ASSERT_TRUE(ledger->settle("ci1", "bob@b.example", 150, 160, "abc", "fp"));
  ASSERT_TRUE(ledger->time_out("ci1", "carol@b.example", 170));
  ASSERT_TRUE(ledger->reopen("ci1", "bob@b.example"));
  ASSERT_TRUE(ledger->reopen("ci1", "carol@b.example"));
  auto rows = ledger->find("ci1");
  ASSERT_TRUE(rows);
  for (const auto& row : *rows) {
    EXPECT_EQ(row.state, ReceiptState::pending) << row.recipient;
    EXPECT_EQ(row.settled_at, 0);
    EXPECT_EQ(row.receipt_sha256, "");
  }
  // The member's retry of the same receipt now settles it (not a replay).
  auto again = ledger->settle("ci1", "bob@b.example", 150, 180, "abc", "fp");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, ReceiptState::pending);
}

TEST_F(LedgerTest, BouncedSealedCopyFailsOnlyItsPendingRecipient) {
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  ASSERT_TRUE(ledger->add(make_seal("ci2", "m2", 100)));
  auto failed = ledger->fail("Qci1", "bob@b.example", 200);
  ASSERT_TRUE(failed);
  EXPECT_EQ(*failed, 1u);
  EXPECT_EQ(*ledger->fail("Qci1", "bob@b.example", 201), 0u);  // already failed
  EXPECT_EQ(*ledger->fail("Qnone", "bob@b.example", 201), 0u);
  auto overdue = ledger->overdue(1000);
  ASSERT_TRUE(overdue);
  ASSERT_EQ(overdue->size(), 3u);  // the failed one awaits no receipt and no timeout
  for (const auto& row : *overdue) EXPECT_FALSE(row.content_identifier == "ci1" && row.recipient == "bob@b.example");
  auto late = ledger->settle("ci1", "bob@b.example", 250, 260, "x", "fp");
  ASSERT_TRUE(late);
  EXPECT_EQ(*late, ReceiptState::failed);
}

TEST_F(LedgerTest, StateNames) {
  EXPECT_EQ(to_string(ReceiptState::pending), "pending");
  EXPECT_EQ(to_string(ReceiptState::received), "received");
  EXPECT_EQ(to_string(ReceiptState::timed_out), "timed-out");
  EXPECT_EQ(to_string(ReceiptState::failed), "failed");
  EXPECT_EQ(bare_message_id("<a@b>"), "a@b");
  EXPECT_EQ(bare_message_id("a@b"), "a@b");
  EXPECT_EQ(bare_message_id("<"), "<");
}

TEST_F(LedgerTest, ReadOnlyViewSeesTheGatewaysWritesAndCannotWrite) {
  auto view = ReceiptLedger::open_existing(dir.path);
  ASSERT_TRUE(view) << view.error().text;
  ASSERT_TRUE(ledger->add(make_seal("ci1", "m1", 100)));
  EXPECT_EQ((*view)->list({})->size(), 2u);  // the writer keeps its connection open meanwhile
  EXPECT_EQ((*view)->find("m1")->size(), 2u);
  EXPECT_FALSE((*view)->add(make_seal("ci2", "m2", 100)));
  EXPECT_FALSE((*view)->settle("ci1", "bob@b.example", 1, 2, "", ""));
  EXPECT_EQ(ledger->list({.pending_only = true})->size(), 2u);
}

TEST(LedgerOpen, ReadOnlyViewOfNoLedgerIsAnError) {
  TempDir empty{"sm-ledger-none"};
  auto r = ReceiptLedger::open_existing(empty.path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("receipts.sqlite: does not exist"), std::string::npos) << r.error().text;
  EXPECT_FALSE(std::filesystem::exists(empty.path / "receipts.sqlite"));
}

TEST(LedgerOpen, UnwritableFolderIsAClearError) {
  auto r = ReceiptLedger::open("/nonexistent/sm-ledger");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("receipts.sqlite"), std::string::npos) << r.error().text;
}

}  // namespace
}  // namespace sm::evidence
