// admin_alerts_test.cpp - each alert rule of admin/alerts.h at its
// threshold with a fake clock, AlertBook keeping `since`, and
// PeerReachability forgetting a peer on success.
#include <gtest/gtest.h>

#include "admin/alerts.h"

namespace sm::admin {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::int64_t kDay = 86400;

std::vector<std::string> names(const std::vector<Alert>& alerts) {
  std::vector<std::string> out;
  for (const auto& a : alerts) out.push_back(a.name);
  return out;
}

TEST(Alerts, NoneWhenAllIsWell) {
  AlertInputs in;
  in.certificates = {{"tls", kNow + 90 * kDay}};
  in.spool_disk_used_percent = 40;
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());
}

TEST(Alerts, CertificateExpiringWithinThreshold) {
  AlertInputs in;
  in.certificates = {{"key a", kNow + 31 * kDay}, {"key b", kNow + 10 * kDay}};
  auto a = evaluate_alerts(in, {}, kNow);
  ASSERT_EQ(names(a), std::vector<std::string>{"certificate-expiring"});
  EXPECT_EQ(a[0].severity, Severity::warning);
  EXPECT_NE(a[0].message.find("key b expires in 10 days"), std::string::npos);
  EXPECT_EQ(a[0].message.find("key a"), std::string::npos);
  EXPECT_EQ(a[0].since, kNow);
  AlertThresholds wider;
  wider.certificate_days = 40;
  EXPECT_NE(evaluate_alerts(in, wider, kNow)[0].message.find("key a"), std::string::npos);
}

TEST(Alerts, CertificateExactlyAtThresholdAndExpired) {
  AlertInputs in;
  in.certificates = {{"tls", kNow + 30 * kDay}};
  EXPECT_EQ(names(evaluate_alerts(in, {}, kNow)), std::vector<std::string>{"certificate-expiring"});
  in.certificates = {{"tls", kNow + 30 * kDay + 1}};
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());
  in.certificates = {{"tls", kNow - 1}};
  auto a = evaluate_alerts(in, {}, kNow);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].severity, Severity::critical);
  EXPECT_NE(a[0].message.find("has expired"), std::string::npos);
}

TEST(Alerts, DirectoryStale) {
  AlertInputs in;
  in.directory_stale = true;
  in.directory_detail = "serial 4, 80h old";
  auto a = evaluate_alerts(in, {}, kNow);
  ASSERT_EQ(names(a), std::vector<std::string>{"directory-stale"});
  EXPECT_NE(a[0].message.find("serial 4"), std::string::npos);
}

TEST(Alerts, PeerUnreachableOnlyAfterAnHourWhileStillTried) {
  AlertInputs in;
  in.peers = {{"member:acme", kNow - 3599, kNow - 10}};
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());  // 59 min 59 s
  in.peers = {{"member:acme", kNow - 3600, kNow - 10}};
  auto a = evaluate_alerts(in, {}, kNow);
  ASSERT_EQ(names(a), std::vector<std::string>{"peer-unreachable"});
  EXPECT_NE(a[0].message.find("member:acme (failing for 60 min)"), std::string::npos);
  // Not tried for longer than retry + threshold: no mail waits for it any more.
  in.peers = {{"member:acme", kNow - 5 * 3600, kNow - 2 * 3600 - 1}};
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());
  AlertThresholds shorter;
  shorter.peer_unreachable_seconds = 600;
  in.peers = {{"mx.example.net", kNow - 600, kNow}};
  EXPECT_EQ(names(evaluate_alerts(in, shorter, kNow)), std::vector<std::string>{"peer-unreachable"});
}

TEST(Alerts, SpoolDiskAboveThreshold) {
  AlertInputs in;
  in.spool_disk_used_percent = 80;
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());  // "over 80%"
  in.spool_disk_used_percent = 80.5;
  auto a = evaluate_alerts(in, {}, kNow);
  ASSERT_EQ(names(a), std::vector<std::string>{"spool-disk-full"});
  EXPECT_EQ(a[0].severity, Severity::warning);
  in.spool_disk_used_percent = 97;
  EXPECT_EQ(evaluate_alerts(in, {}, kNow)[0].severity, Severity::critical);
  in.spool_disk_used_percent = -1;  // unknown
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());
}

TEST(AlertBook, KeepsSinceWhileHoldingAndForgetsWhenCleared) {
  AlertBook book;
  AlertInputs in;
  in.directory_stale = true;
  book.update(evaluate_alerts(in, {}, kNow));
  auto later = book.update(evaluate_alerts(in, {}, kNow + 300));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].since, kNow);
  book.update({});
  EXPECT_TRUE(book.current().empty());
  EXPECT_EQ(book.update(evaluate_alerts(in, {}, kNow + 900))[0].since, kNow + 900);
}

TEST(PeerReachability, FirstFailureKeptUntilASuccess) {
  PeerReachability peers;
  peers.failed("member:acme", kNow);
  peers.failed("member:acme", kNow + 60);
  auto f = peers.failing();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first_failure, kNow);
  EXPECT_EQ(f[0].last_failure, kNow + 60);
  peers.connected("member:acme");
  EXPECT_TRUE(peers.failing().empty());
  peers.failed("member:acme", kNow + 120);
  EXPECT_EQ(peers.failing()[0].first_failure, kNow + 120);
}

}  // namespace
}  // namespace sm::admin

namespace sm::admin {
namespace {

TEST(Alerts, CertificationOutdatedWarnsThenTurnsCriticalAfterTheGrace) {
  AlertInputs in;
  in.certification = CertificationGap{"1.0", kNow - 10 * kDay, 30, "never certified", false};
  auto a = evaluate_alerts(in, {}, kNow);
  ASSERT_EQ(names(a), std::vector<std::string>{"certification-outdated"});
  EXPECT_EQ(a[0].severity, Severity::warning);
  EXPECT_NE(a[0].message.find("requires certification profile 1.0; this gateway: never certified"), std::string::npos)
      << a[0].message;
  EXPECT_NE(a[0].message.find("grace period until"), std::string::npos) << a[0].message;
  auto late = evaluate_alerts(in, {}, kNow + 25 * kDay);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].severity, Severity::critical);
  EXPECT_NE(late[0].message.find("grace period ended"), std::string::npos) << late[0].message;
  in.certification->unknown_profile = true;
  EXPECT_NE(evaluate_alerts(in, {}, kNow)[0].message.find("this software does not know: upgrade"), std::string::npos);
  in.certification.reset();
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());
}

}  // namespace
}  // namespace sm::admin

namespace sm::admin {
namespace {

TEST(Alerts, SelfTestFailingWarnsThenIsCriticalAfterTwoRunsInARow) {
  AlertInputs in;
  in.selftest_failures = 1;
  in.selftest_detail = "facility-ping: no pong: facility-example";
  auto a = evaluate_alerts(in, {}, kNow);
  ASSERT_EQ(names(a), std::vector<std::string>{"selftest-failing"});
  EXPECT_EQ(a[0].severity, Severity::warning);
  EXPECT_NE(a[0].message.find("facility-ping: no pong"), std::string::npos);
  in.selftest_failures = 2;
  EXPECT_EQ(evaluate_alerts(in, {}, kNow)[0].severity, Severity::critical);
  in.selftest_failures = 0;
  EXPECT_TRUE(evaluate_alerts(in, {}, kNow).empty());
}

}  // namespace
}  // namespace sm::admin
