// gateway_receipt_timeouts_test.cpp - a request with no receipt after
// [receipts] timeout: one "delivery not confirmed" DSN per sealed message
// for all its timed-out recipients, the rows timed out, nothing twice.
#include "gateway/receipt_timeouts.h"

#include <future>

#include "gateway/receipt_reports.h"
#include "gateway_receipt_support.h"
#include "queue/spool.h"

namespace sm::gateway {
namespace {

using testing::ReceiptWorld;

TEST(ReceiptTimeouts, OneReportPerSealForItsTimedOutRecipients) {
  ReceiptWorld w;
  w.config.receipts.timeout = std::chrono::hours(24);
  auto old_seal = w.ask({"bob@b.example", "bert@b.example"});
  old_seal.sealed_at = w.now - 25 * 3600;
  ASSERT_TRUE(w.ledger->add(old_seal));
  auto fresh = w.asked({"bob@b.example"});  // sealed a minute ago: not due
  auto spool = queue::Spool::open(w.dir.path / "queue");
  ASSERT_TRUE(spool) << spool.error().text;
  std::promise<std::string> queued;
  ReceiptTimeouts timeouts(w.config, w.ledger, **spool, [&](const std::string& id) { queued.set_value(id); });
  EXPECT_EQ(timeouts.interval(), std::chrono::seconds(60));

  auto before = receipts_counted("timed-out");
  EXPECT_EQ(timeouts.sweep(w.now), 1u);
  EXPECT_EQ(receipts_counted("timed-out"), before + 2);
  auto id = queued.get_future();
  ASSERT_EQ(id.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto m = (*spool)->load(id.get());
  ASSERT_TRUE(m) << m.error().text;
  EXPECT_EQ(m->envelope.sender, "");
  ASSERT_EQ(m->envelope.recipients.size(), 1u);
  EXPECT_EQ(m->envelope.recipients[0].address, "alice@a.example");
  ASSERT_TRUE(m->octets);
  const std::string& text = *m->octets;
  EXPECT_NE(text.find("From: \"Mail Delivery System\" <MAILER-DAEMON@a.example>"), std::string::npos);
  EXPECT_NE(text.find("Subject: Relayed Mail: Delivery Not Confirmed"), std::string::npos);
  std::string flat = text;  // the explanation is wrapped at 72 columns
  for (auto at = flat.find("\r\n"); at != std::string::npos; at = flat.find("\r\n", at)) flat.replace(at, 2, " ");
  EXPECT_TRUE(flat.find("Delivery to <bob@b.example>, <bert@b.example> was not confirmed") != std::string::npos ||
              flat.find("Delivery to <bert@b.example>, <bob@b.example> was not confirmed") != std::string::npos)
      << text;
  EXPECT_NE(flat.find("was not confirmed: no signed receipt arrived from member b within 24h."), std::string::npos) << text;
  EXPECT_NE(text.find("Final-Recipient: rfc822; bob@b.example"), std::string::npos);
  EXPECT_NE(text.find("Final-Recipient: rfc822; bert@b.example"), std::string::npos);
  EXPECT_EQ(text.find("Action: failed"), std::string::npos);
  EXPECT_NE(text.find("Action: relayed"), std::string::npos);
  EXPECT_NE(text.find("Status: 2.0.0"), std::string::npos);
  EXPECT_NE(text.find("X-SecureMail-Receipt: timed-out"), std::string::npos);

  // (Named first: a range-for over find(...).value() would walk a
  // vector inside a temporary that is gone - C++20 does not extend it.)
  auto old_rows = w.ledger->find(old_seal.content_identifier).value();
  for (const auto& row : old_rows) EXPECT_EQ(row.state, evidence::ReceiptState::timed_out);
  auto fresh_rows = w.ledger->find(fresh.content_identifier).value();
  for (const auto& row : fresh_rows) EXPECT_EQ(row.state, evidence::ReceiptState::pending);
  EXPECT_EQ(timeouts.sweep(w.now), 0u);  // nothing twice
}

TEST(ReceiptTimeouts, NoReportToTheNullSender) {
  ReceiptWorld w;
  auto seal = w.ask({"bob@b.example"});
  seal.sender.clear();
  seal.sealed_at = w.now - 2 * 86400;
  ASSERT_TRUE(w.ledger->add(seal));
  auto spool = queue::Spool::open(w.dir.path / "queue");
  ASSERT_TRUE(spool);
  ReceiptTimeouts timeouts(w.config, w.ledger, **spool, [](const std::string&) {});
  EXPECT_EQ(timeouts.sweep(w.now), 0u);
  EXPECT_EQ(w.ledger->find(seal.content_identifier).value().at(0).state, evidence::ReceiptState::timed_out);
}

TEST(ReceiptTimeouts, SweepIntervalIsATenthOfTheTimeoutUpToAMinute) {
  test_support::TempDir dir;
  auto spool = queue::Spool::open(dir.path / "queue");
  ASSERT_TRUE(spool);
  config::Config c;
  c.receipts.timeout = std::chrono::seconds(120);
  ReceiptTimeouts t(c, nullptr, **spool, {});
  EXPECT_EQ(t.interval(), std::chrono::seconds(12));
  c.receipts.timeout = std::chrono::seconds(5);
  EXPECT_EQ(t.interval(), std::chrono::seconds(1));
  EXPECT_EQ(describe_timeout(std::chrono::hours(24)), "24h");
  EXPECT_EQ(describe_timeout(std::chrono::minutes(90)), "90m");
  EXPECT_EQ(describe_timeout(std::chrono::seconds(45)), "45s");
}

}  // namespace
}  // namespace sm::gateway
