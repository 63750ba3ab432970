// queue_file_test.cpp - the envelope lines added for sealed member mail and
// queue lanes: written only when set, read back, and queue files written
// before they existed still load as plain normal-lane mail.
#include "queue/queue_file.h"
#include "octets.h"

#include <gtest/gtest.h>

using namespace sm;
using namespace sm::queue;

namespace {

mail::Envelope one_recipient() {
  mail::Envelope env;
  env.id = "4F3A2B1C0D5E6000";
  env.sender = "alice@a.example";
  mail::Recipient r;
  r.address = "bob@b.example";
  env.recipients = {r};
  return env;
}

Result<mail::Envelope> reparse(const std::string& text) {
  std::uint64_t off = 0;
  return parse_envelope(text, off);
}

}  // namespace

TEST(QueueFileLanes, SealedForAndLaneRoundTrip) {
  auto env = one_recipient();
  env.sealed_for = "b-example";
  env.lane = mail::Lane::priority;
  std::string text = format_envelope(env);
  EXPECT_NE(text.find("\nsealed-for b-example\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlane priority\n"), std::string::npos) << text;
  auto parsed = reparse(text + "body\r\n");
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_EQ(parsed->sealed_for, "b-example");
  EXPECT_EQ(parsed->lane, mail::Lane::priority);
}

TEST(QueueFileLanes, MemberIdIsXtextEncoded) {
  auto env = one_recipient();
  env.sealed_for = "odd id+=";  // ids are plain in practice; the file must stay one token per value
  auto parsed = reparse(format_envelope(env));
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_EQ(parsed->sealed_for, "odd id+=");
}

TEST(QueueFileLanes, PlainNormalMailWritesNeitherLine) {
  std::string text = format_envelope(one_recipient());
  EXPECT_EQ(text.find("sealed-for"), std::string::npos);
  EXPECT_EQ(text.find("lane"), std::string::npos);
}

TEST(QueueFileLanes, OlderFileWithoutTheLinesLoadsAsPlainNormal) {
  // As written before the lines existed.
  std::string old =
      "securemail-queue 1\nid 4F3A2B1C0D5E6000\nsender alice+40a.example\narrival 1700000000\nret -\n"
      "envid -\nbody 7bit\nlistener relay\nclient 127.0.0.1\nhelo c.example\nrcpt 0 - bob@b.example\n\nx\r\n";
  auto parsed = reparse(old);
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_TRUE(parsed->sealed_for.empty());
  EXPECT_EQ(parsed->lane, mail::Lane::normal);
  EXPECT_EQ(parsed->recipients.at(0).address, "bob@b.example");
}

TEST(QueueFileLanes, UnknownLaneIsNormalAndBadSealedForIsCorrupt) {
  std::string head = "securemail-queue 1\nid 4F3A2B1C0D5E6000\nrcpt 0 - bob@b.example\n";
  auto newer = reparse(head + "lane bulk\n\n");
  ASSERT_TRUE(newer) << newer.error().text;
  EXPECT_EQ(newer->lane, mail::Lane::normal);
  EXPECT_FALSE(reparse(head + "sealed-for a b\n\n")) << "two tokens";
  EXPECT_FALSE(reparse(head + "sealed-for bad+zz\n\n")) << "broken xtext";
}

// BODY=BINARYMIME (RFC 3030): our sealed member copies are stored binary;
// delivery needs to know after a restart.
TEST(QueueFileBody, BinaryMimeRoundTripAndAbsentByDefault) {
  auto env = one_recipient();
  EXPECT_EQ(format_envelope(env).find("body-binary"), std::string::npos);
  auto plain = reparse(format_envelope(env));
  ASSERT_TRUE(plain) << plain.error().text;
  EXPECT_FALSE(plain->body_binary);
  env.body_binary = true;
  std::string text = format_envelope(env);
  EXPECT_NE(text.find("\nbody-binary yes\n"), std::string::npos) << text;
  auto parsed = reparse(text + securemail::test::octets("\x30\x80\0\r\n"));
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_TRUE(parsed->body_binary);
}

// A receipt duty (issue 13) lives in the envelope of the opened message.
TEST(QueueFileReceipt, DutyRoundTripsWithOddAddressesAndBinaryData) {
  auto env = one_recipient();
  mail::ReceiptDuty duty;
  duty.member = "a-example";
  duty.message_id = "<m1 x@a.example>";
  duty.receipts_to = {"securemail-receipts@a.example", "\"odd,local\"@a.example"};
  duty.signed_data = securemail::test::octets("\x30\x82\x01\x00\0\n\r ,+=");
  env.receipt = duty;
  std::string text = format_envelope(env);
  auto parsed = reparse(text + "body\r\n");
  ASSERT_TRUE(parsed) << parsed.error().text << "\n" << text;
  ASSERT_TRUE(parsed->receipt);
  EXPECT_EQ(parsed->receipt->member, duty.member);
  EXPECT_EQ(parsed->receipt->message_id, duty.message_id);
  EXPECT_EQ(parsed->receipt->receipts_to, duty.receipts_to);
  EXPECT_EQ(parsed->receipt->signed_data, duty.signed_data);
  EXPECT_EQ(parsed->recipients.at(0).address, "bob@b.example");
}

TEST(QueueFileReceipt, NoDutyWritesNoLine) {
  std::string text = format_envelope(one_recipient());
  EXPECT_EQ(text.find("receipt"), std::string::npos);
  auto parsed = reparse(text);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->receipt);
}

TEST(QueueFileReceipt, BadLinesAreParseErrorsThatNameThem) {
  std::string head = "securemail-queue 1\nid 4F3A2B1C0D5E6000\nrcpt 0 - bob@b.example\n";
  const std::string good_data = "MIIB";  // base64 of 3 octets
  struct Case {
    std::string line, why;
  } cases[] = {
      {"receipt a-example <m@a> r@a.example", "a field missing"},
      {"receipt a-example <m@a> r@a.example " + good_data + " extra", "a field too many"},
      {"receipt - <m@a> r@a.example " + good_data, "no member"},
      {"receipt a-example <m@a> r@a.example MII", "base64 length"},
      {"receipt a-example <m@a> r@a.example MI*B", "not base64"},
      {"receipt a-example <m@a> r@a.example ====", "only padding"},
      {"receipt a-example <m@a> r@a.example,,s@a.example " + good_data, "empty address"},
      {"receipt a-example <m@a> no-at-sign " + good_data, "address without domain"},
      {"receipt a-example <m@a> r+zz@a.example " + good_data, "broken xtext"},
      {"receipt a+zz <m@a> r@a.example " + good_data, "broken member xtext"},
  };
  for (const auto& c : cases) {
    auto parsed = reparse(head + c.line + "\n\n");
    ASSERT_FALSE(parsed) << c.why;
    EXPECT_NE(parsed.error().text.find("bad receipt line"), std::string::npos) << c.why << ": " << parsed.error().text;
  }
  std::string line = "receipt a-example <m@a> r@a.example " + good_data + "\n";
  auto twice = reparse(head + line + line + "\n");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().text.find("more than one receipt line"), std::string::npos);
  auto once = reparse(head + line + "\n");
  ASSERT_TRUE(once) << once.error().text;
  EXPECT_EQ(once->receipt->signed_data, securemail::test::octets("\x30\x82\x01"));
}

TEST(QueueFileAuth, SubmissionSignInAndStrongHoldRoundTrip) {
  auto env = one_recipient();
  env.auth_user = "alice";
  env.auth_method = "totp";
  env.auth_strong = true;
  env.strong_hold_until = 1800000000;
  std::string text = format_envelope(env);
  EXPECT_NE(text.find("\nauth-user alice\nauth-method totp\nauth-strong yes\n"), std::string::npos) << text;
  auto parsed = reparse(text);
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_EQ(parsed->auth_user, "alice");
  EXPECT_EQ(parsed->auth_method, "totp");
  EXPECT_TRUE(parsed->auth_strong);
  EXPECT_EQ(parsed->strong_hold_until, 1800000000);
  EXPECT_EQ(format_envelope(one_recipient()).find("auth-"), std::string::npos);
}

TEST(QueueFileAuth, BadStrongHoldTimeIsCorrupt) {
  std::string text = format_envelope(one_recipient());
  text.insert(text.find("rcpt "), "strong-hold-until soon\n");
  auto parsed = reparse(text);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().text.find("strong-hold-until"), std::string::npos);
}

TEST(QueueFilePolicy, DiscreetAndPolicyHoldRoundTripAndAreAbsentByDefault) {
  auto env = one_recipient();
  env.discreet = true;
  env.policy_hold = "hold large zip";
  std::string text = format_envelope(env);
  EXPECT_NE(text.find("\ndiscreet yes\n"), std::string::npos) << text;
  auto parsed = reparse(text);
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_TRUE(parsed->discreet);
  EXPECT_EQ(parsed->policy_hold, "hold large zip");
  std::string plain = format_envelope(one_recipient());
  EXPECT_EQ(plain.find("discreet"), std::string::npos);
  EXPECT_EQ(plain.find("policy-hold"), std::string::npos);
}

TEST(QueueFilePolicy, PickupAndItsPdfOptionRoundTripAndAreAbsentByDefault) {
  auto env = one_recipient();
  env.pickup = true;
  env.pickup_pdf = true;
  std::string text = format_envelope(env);
  EXPECT_NE(text.find("\npickup yes\npickup-pdf yes\n"), std::string::npos) << text;
  auto parsed = reparse(text);
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_TRUE(parsed->pickup);
  EXPECT_TRUE(parsed->pickup_pdf);
  env.pickup_pdf = false;
  parsed = reparse(format_envelope(env));
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->pickup_pdf);
  EXPECT_EQ(format_envelope(one_recipient()).find("pickup"), std::string::npos);
}
