// app_demo_steps_test.cpp - the demo's step matcher on real gateway log
// lines: every step found by following the message's ids from a's queue id,
// lines about other messages ignored, a missing line reported; and the
// delivered message shown with Authentication-Results marked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/demo_parts.h"

namespace {

using sm::app::demo::find_steps;
using sm::app::demo::Side;

const std::string kPrefix = "2026-11-23T15:58:33.100Z info securemail[42]: ";

std::string log_of(std::initializer_list<std::string> lines) {
  std::string out;
  for (const auto& l : lines) out += kPrefix + l + "\n";
  return out;
}

// As gateway a logs it: session id S1, the sealed copy queued as Q1; and
// another message (S9/Q9) that must not count.
std::string sender_log() {
  return log_of({
      "directory: applied serial 1 (2 members, 2 changes; was serial 0)",
      "S9: to=<bob@b.example>: member b-example (directory serial 1): sealing",
      "S1: to=<bob@b.example>: member b-example (directory serial 1): sealing",
      "S1: sealed for member b-example as Q1: signed by ec-p256-1 (a.example), encrypted aes-256-gcm to 1 "
      "certificate(s) of the member, 4710 octets",
      "Q1: client=[127.0.0.1], from=<alice@a.example>, nrcpt=1, size=467, tls=TLSv1.3",
      "Q1: to=<bob@b.example>, relay=127.0.0.1:20011, status=sent (250 2.0.0 Ok: queued as R1)",
      "Q1: sealed for member b-example: sent to 127.0.0.1:20011 over TLSv1.3 TLS_AES_256_GCM_SHA384, certificate "
      "matches the directory",
      "Q9: sealed for member b-example: sent to 127.0.0.1:20011 over TLSv1.3 TLS_AES_256_GCM_SHA384, certificate "
      "matches the directory",
  });
}

std::string receiver_log(bool delivered = true) {
  std::string log = log_of({
      "T9: from=<alice@a.example>: sealed message from <alice@a.example>: decrypted with k (aes-256-gcm, ecdh); "
      "verified: signed by member a-example (From: alice@a.example, certificate ab), smime=pass -> queued as R9",
      "T1: from=<alice@a.example>: sealed message from <alice@a.example>: decrypted with k (aes-256-gcm, ecdh); "
      "verified: signed by member a-example (From: alice@a.example, certificate ab), smime=pass -> queued as R1",
      "R1: client=[127.0.0.1], from=<alice@a.example>, nrcpt=1, size=4710, tls=TLSv1.3",
  });
  if (delivered) log += log_of({"R1: to=<bob@b.example>, relay=maildir, status=sent (250 2.0.0 delivered to maildir)"});
  return log;
}

TEST(DemoSteps, AllEightFollowingTheIds) {
  auto steps = find_steps(sender_log(), receiver_log(), "Q1");
  ASSERT_EQ(steps.size(), 8u);
  const char* names[] = {"looked up", "signed", "encrypted", "sent over TLS",
                         "received", "decrypted", "verified", "delivered"};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(steps[i].step, names[i]);
    ASSERT_TRUE(steps[i].line) << names[i];
    EXPECT_EQ(steps[i].line->find("securemail["), std::string::npos) << "prefix not stripped: " << *steps[i].line;
  }
  EXPECT_EQ(steps[0].line->substr(0, 3), "S1:");  // not S9's
  EXPECT_EQ(steps[3].line->substr(0, 3), "Q1:");
  EXPECT_EQ(steps[5].line->substr(0, 3), "T1:");  // b's session that queued R1, not T9
  EXPECT_EQ(steps[7].line->substr(0, 3), "R1:");
  EXPECT_EQ(steps[4].side, Side::receiver);
  EXPECT_TRUE(sm::app::demo::all_found(steps));
}

TEST(DemoSteps, OtherMessagesDoNotCount) {
  // Asked about Q2 (a message that left no lines), nothing is found.
  auto steps = find_steps(sender_log(), receiver_log(), "Q2");
  for (const auto& s : steps) EXPECT_FALSE(s.line) << s.step << ": " << *s.line;
  EXPECT_FALSE(sm::app::demo::all_found(steps));
}

TEST(DemoSteps, MissingLineIsReported) {
  auto steps = find_steps(sender_log(), receiver_log(false), "Q1");
  EXPECT_FALSE(steps[7].line);
  EXPECT_NE(steps[7].pattern.find("relay=maildir"), std::string::npos);
  EXPECT_TRUE(steps[6].line);
  EXPECT_FALSE(sm::app::demo::all_found(steps));
}

TEST(DemoSteps, QueueIdOfReply) {
  EXPECT_EQ(sm::app::demo::queue_id_of("250 2.0.0 Ok: queued as 660F3AA7316A3002"), "660F3AA7316A3002");
  EXPECT_EQ(sm::app::demo::queue_id_of("250 2.0.0 Ok"), "");
}

TEST(DemoMessage, AuthenticationResultsMarked) {
  auto file = std::filesystem::temp_directory_path() / ("sm_demo_msg_" + std::to_string(::getpid()));
  std::ofstream(file) << "Return-Path: <alice@a.example>\n"
                         "Authentication-Results: gw.b.example; smime=pass (signed by member a-example,\n"
                         " aes-256-gcm) body.smime-identifier=alice@a.example\n"
                         "Subject: SecureMail demo\n"
                         "\n"
                         "Hello Bob,\n";
  std::ostringstream out;
  auto results = sm::app::demo::show_message(file, out, false);
  std::filesystem::remove(file);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].find("smime=pass"), std::string::npos);
  EXPECT_NE(results[0].find("body.smime-identifier=alice@a.example"), std::string::npos);  // folded line joined
  EXPECT_NE(out.str().find(">>> Authentication-Results: gw.b.example; smime=pass"), std::string::npos);
  EXPECT_NE(out.str().find(">>>  aes-256-gcm)"), std::string::npos);
  EXPECT_NE(out.str().find("    Subject: SecureMail demo"), std::string::npos);
  EXPECT_NE(out.str().find("    Hello Bob,"), std::string::npos);
}

}  // namespace
