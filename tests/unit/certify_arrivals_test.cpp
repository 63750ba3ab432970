// certify_arrivals_test.cpp - reading what the facility delivered: only
// the verification mark naming the facility's own host counts (a mark by
// anyone else, or none, is not a pass); reports and triggered test
// messages are told apart, with the digest, the TLS of the facility's
// Received field and the run and case of the SecureMail-Test field.
#include <gtest/gtest.h>

#include "certify/arrivals.h"
#include "certify/content.h"
#include "mime/dsn.h"

namespace sm::certify {
namespace {

const std::string kMark =
    "Authentication-Results: mx.facility.example; smime=pass body.smime-identifier=securemail-test@b.example\r\n"
    "\t(signed by member b-example, aes-256-gcm, envelope bound)\r\n";
const std::string kReceived =
    "Received: from gw.b.example (127.0.0.1) by mx.facility.example (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
    "\twith ESMTPS id 42; Sat, 05 Dec 2026 02:00:00 +0000\r\n";

TEST(CertifyArrivals, OnlyTheFacilitysOwnMarkCounts) {
  auto mark = facility_mark(kMark + "Subject: x\r\n\r\nbody\r\n", "MX.Facility.Example");
  EXPECT_EQ(mark.result, "pass");
  EXPECT_EQ(mark.signer, "securemail-test@b.example");
  EXPECT_NE(mark.comment.find("b-example"), std::string::npos);
  auto other = facility_mark("Authentication-Results: mx.evil.example; smime=pass body.smime-identifier=x@b.example\r\n"
                             "Subject: x\r\n\r\n",
                             "mx.facility.example");
  EXPECT_EQ(other.result, "none");
  EXPECT_EQ(other.signer, "");
  auto failed = facility_mark("Authentication-Results: mx.facility.example; smime=fail\r\n\t(bad-signature)\r\n\r\n",
                              "mx.facility.example");
  EXPECT_EQ(failed.result, "fail");
  EXPECT_EQ(facility_mark("not a header at all", "mx.facility.example").result, "none");
}

TEST(CertifyArrivals, ATriggeredMessageIsReadWithDigestTlsAndLabel) {
  ContentSpec spec{ContentKind::utf8, 5000, "0123456789abcdef0123456789abcdef"};
  auto entity = content_entity(spec);
  std::string message = kMark + kReceived +
                        "From: securemail-test@b.example\r\nMessage-ID: <INT-OUT-UTF8.R1.x@b.example>\r\n"
                        "SecureMail-Test: run=R1; case=INT-OUT-UTF8; nonce=abc\r\nMIME-Version: 1.0\r\n" +
                        entity.fields + "\r\n" + entity.body;
  Arrivals a;
  ASSERT_TRUE(sort_arrival(message, "mx.facility.example", a));
  ASSERT_EQ(a.messages.size(), 1u);
  const auto& m = a.messages[0];
  EXPECT_EQ(m.label.run, "R1");
  EXPECT_EQ(m.label.case_id, "INT-OUT-UTF8");
  EXPECT_EQ(m.message_id, "INT-OUT-UTF8.R1.x@b.example");
  EXPECT_EQ(m.mark.result, "pass");
  EXPECT_EQ(m.digest, content_sha256(generate_content(spec)));
  EXPECT_EQ(m.tls, "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384");
}

TEST(CertifyArrivals, AReportIsReadAndEverythingElseLeftOut) {
  AgentMessage report;
  report.action = AgentMessage::Action::report;
  report.nonce = "cmVwb3J0bm9uY2UxMjM0NTY";
  report.at = 1796083260;
  report.run = "R1";
  report.case_id = "INT-IN-BASIC";
  report.about = "m@facility.example";
  report.verification = "pass";
  report.delivered_as_verified = true;
  Arrivals a;
  ASSERT_TRUE(sort_arrival(kMark + "Content-Type: application/json; charset=utf-8\r\n\r\n" + to_json(report),
                           "mx.facility.example", a));
  ASSERT_EQ(a.reports.size(), 1u);
  EXPECT_EQ(a.reports[0].body.about, "m@facility.example");
  EXPECT_EQ(a.reports[0].mark.signer, "securemail-test@b.example");
  // A ping, a message without SecureMail-Test, a broken header: not taken.
  AgentMessage ping;
  ping.nonce = report.nonce;
  ping.at = 1;
  EXPECT_FALSE(sort_arrival("Content-Type: application/json\r\n\r\n" + to_json(ping), "mx.facility.example", a));
  EXPECT_FALSE(sort_arrival(kMark + "Subject: hello\r\n\r\nhi\r\n", "mx.facility.example", a));
  EXPECT_FALSE(sort_arrival("SecureMail-Test: run=R1; case=X\r\nbroken header line\r\n\r\n", "mx.facility.example", a));
  EXPECT_EQ(a.messages.size(), 0u);
  EXPECT_EQ(a.reports.size(), 1u);
}

// A bounce the target wrote (the real composer) about a runner's message
// is a notice, with the recipient it names and the facility's mark; the
// returned header's SecureMail-Test does not make it a test message.
TEST(CertifyArrivals, ADeliveryStatusNotificationIsANotice) {
  mime::DsnReport r;
  r.reporting_mta = "gw.b.example";
  r.envelope.sender = "certify@facility.example";
  r.envelope.arrival = 1796083200;
  mail::Recipient rcpt;
  rcpt.address = "certify-nobody-r1@b.example";
  rcpt.last_reply = "550 5.1.1 <certify-nobody-r1@b.example>: Recipient address rejected: User unknown";
  r.envelope.recipients.push_back(rcpt);
  r.recipients.push_back({0, mime::DsnAction::failed, "mail.b.example", 1796083210, {}, ""});
  r.now = 1796083220;
  r.original_headers = "From: certify@facility.example\r\nMessage-ID: <OPS-GOOD-BAD-RCPT.R1.x@facility.example>\r\n"
                       "SecureMail-Test: run=R1; case=OPS-GOOD-BAD-RCPT; nonce=abc\r\n\r\n";
  auto dsn = mime::compose_dsn(r);
  ASSERT_TRUE(dsn) << dsn.error().text;
  Arrivals a;
  ASSERT_TRUE(sort_arrival(kMark + *dsn, "mx.facility.example", a));
  ASSERT_EQ(a.notices.size(), 1u);
  EXPECT_TRUE(a.messages.empty());
  const auto& n = a.notices[0];
  EXPECT_EQ(n.mark.result, "pass");
  EXPECT_EQ(n.notice.recipient, "certify-nobody-r1@b.example");
  EXPECT_EQ(n.notice.action, "failed");
  EXPECT_EQ(n.notice.status, "5.1.1");
  EXPECT_EQ(n.notice.message_id, "OPS-GOOD-BAD-RCPT.R1.x@facility.example");
}

}  // namespace
}  // namespace sm::certify
