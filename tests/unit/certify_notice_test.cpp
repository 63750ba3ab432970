// certify_notice_test.cpp - the test agent reads the delivery status
// notifications its gateway writes (mime::compose_dsn, the real composer)
// about mail it sent on a trigger; anything that is not one is nullopt.
#include <gtest/gtest.h>

#include "certify/notice.h"
#include "mime/dsn.h"

namespace sm::certify {
namespace {

std::string bounce(std::string last_reply, mime::DsnAction action = mime::DsnAction::failed, bool full = false) {
  mime::DsnReport r;
  r.reporting_mta = "gw.b.example";
  r.envelope.sender = "securemail-test@b.example";
  r.envelope.arrival = 1796083200;
  mail::Recipient rcpt;
  rcpt.address = "refuse@facility.example";
  rcpt.last_reply = std::move(last_reply);
  r.envelope.recipients.push_back(rcpt);
  r.recipients.push_back({0, action, "gw.facility.example", 1796083210, {}, ""});
  r.now = 1796083220;
  r.original_headers = "From: securemail-test@b.example\r\nMessage-ID: <OPS-REFUSE.R1.ab12@b.example>\r\n\r\n";
  if (full) r.original = r.original_headers + "body\r\n";
  auto text = mime::compose_dsn(r);
  EXPECT_TRUE(text) << text.error().text;
  return text ? *text : "";
}

TEST(CertifyNotice, ReadsTheFailureOfARealBounce) {
  auto n = read_delivery_notice(bounce("550 5.7.1 refused: refuse@facility.example refuses every message"));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->action, "failed");
  EXPECT_EQ(n->status, "5.7.1");
  EXPECT_NE(n->diagnostic.find("550 5.7.1 refused"), std::string::npos);
  EXPECT_EQ(n->message_id, "OPS-REFUSE.R1.ab12@b.example");
  EXPECT_EQ(n->recipient, "refuse@facility.example");  // Final-Recipient without "rfc822;"
}

TEST(CertifyNotice, ReadsADelayAndAReturnedWholeMessage) {
  auto n = read_delivery_notice(bounce("451 4.3.0 try again later", mime::DsnAction::delayed));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->action, "delayed");
  EXPECT_EQ(n->status, "4.3.0");
  auto whole = read_delivery_notice(bounce("550 5.1.1 no such user", mime::DsnAction::failed, true));
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, "5.1.1");
  EXPECT_EQ(whole->message_id, "OPS-REFUSE.R1.ab12@b.example");
}

TEST(CertifyNotice, AnythingElseIsNotANotice) {
  EXPECT_FALSE(read_delivery_notice(""));
  EXPECT_FALSE(read_delivery_notice("From: a@b.example\r\nSubject: hello\r\n\r\nbody\r\n"));
  // A report of another type, a report without its boundary, and one whose recipient has no Action.
  EXPECT_FALSE(read_delivery_notice("Content-Type: multipart/report; report-type=disposition-notification; "
                                    "boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n"));
  EXPECT_FALSE(read_delivery_notice("Content-Type: multipart/report; report-type=delivery-status\r\n\r\nbody\r\n"));
  EXPECT_FALSE(read_delivery_notice("Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n"
                                    "--x\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; gw\r\n\r\n"
                                    "Final-Recipient: rfc822; a@b.example\r\nStatus: 5.0.0\r\n--x--\r\n"));
  // Damaged: the closing delimiter is missing.
  std::string cut = bounce("550 5.7.1 no");
  EXPECT_FALSE(read_delivery_notice(cut.substr(0, cut.size() / 2)));
}

}  // namespace
}  // namespace sm::certify
