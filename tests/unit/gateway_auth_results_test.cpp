// gateway_auth_results_test.cpp - our Authentication-Results, the removal
// of forged ones naming our host, and the subject tag.
#include <gtest/gtest.h>

#include "gateway/auth_results.h"

namespace sm::gateway {
namespace {

TEST(AuthResults, PassNamesHostMethodAndIdentifier) {
  SmimeResult r{"pass", "signed by member a-example", "alice@a.example", ""};
  std::string h = authentication_results("gw.b.example", r);
  EXPECT_EQ(h, "Authentication-Results: gw.b.example; smime=pass body.smime-identifier=alice@a.example\r\n"
               "\t(signed by member a-example)\r\n");
  EXPECT_EQ(authentication_results("gw.b.example", {"none", "", "", ""}), "Authentication-Results: gw.b.example; smime=none\r\n");
}

TEST(AuthResults, CommentsCannotBreakOut) {
  std::string h = authentication_results("gw.b.example", {"fail", "x) smime=pass (y", "", ""});
  EXPECT_EQ(h.find(") smime=pass"), std::string::npos) << h;
}

TEST(AuthResults, AnOutsidersPickupReplyMarkIsRemoved) {
  // Only our pickup page writes X-SecureMail-Pickup-Reply, on mail that never
  // passes the inbound path: from outside it is a forgery, in any spelling.
  std::string m =
      "From: mallory@evil.example\r\n"
      "X-SecureMail-Pickup-Reply: P-7K3M-Q9XD-2FHT\r\n"
      "x-securemail-pickup-reply:\r\n P-AAAA-BBBB-CCCC\r\n"
      "X-SecureMail-Pickup-Replied: kept\r\n"
      "Subject: hi\r\n\r\n"
      "X-SecureMail-Pickup-Reply: in the body: kept\r\n";
  EXPECT_EQ(strip_our_results(m, "gw.b.example").value(), 2u);
  EXPECT_EQ(m,
            "From: mallory@evil.example\r\n"
            "X-SecureMail-Pickup-Replied: kept\r\n"
            "Subject: hi\r\n\r\n"
            "X-SecureMail-Pickup-Reply: in the body: kept\r\n");
}

TEST(AuthResults, OnlyFieldsNamingOurHostAreRemoved) {
  std::string m =
      "Received: from x\r\n"
      "Authentication-Results: gw.b.example; smime=pass body.smime-identifier=ceo@a.example\r\n"
      "Authentication-Results: GW.B.EXAMPLE;\r\n smime=pass\r\n"
      "Authentication-Results: mx.other.example; dkim=pass\r\n"
      "Authentication-Results: gw.b.example.evil; smime=pass\r\n"
      "Subject: hi\r\n\r\n"
      "Authentication-Results: gw.b.example; smime=pass (in the body: kept)\r\n";
  EXPECT_EQ(strip_our_results(m, "gw.b.example").value(), 2u);
  EXPECT_EQ(m,
            "Received: from x\r\n"
            "Authentication-Results: mx.other.example; dkim=pass\r\n"
            "Authentication-Results: gw.b.example.evil; smime=pass\r\n"
            "Subject: hi\r\n\r\n"
            "Authentication-Results: gw.b.example; smime=pass (in the body: kept)\r\n");
}

// Issue 11, defect 3: the authserv-id is read with RFC 8601's grammar, so
// a comment before it or a quoted id does not hide our host; an id that
// cannot be read is removed too.
TEST(AuthResults, AuthservIdBehindCommentsOrQuotesIsStillOurs) {
  const char* ours[] = {
      "Authentication-Results: (x) gw.b.example; smime=pass\r\n",
      "Authentication-Results: (nested (comment) \\) here) gw.b.example; smime=pass\r\n",
      "Authentication-Results: \"gw.b.example\"; smime=pass\r\n",
      "Authentication-Results: \"gw.b\\.example\"; smime=pass\r\n",
      "Authentication-Results: gw.b.example.; smime=pass\r\n",
      "Authentication-Results:\r\n (folded)\r\n\tGw.B.Example\r\n ; smime=pass\r\n",
      "Authentication-Results: gw.b.example 1; smime=pass\r\n",
      "Authentication-Results: (unclosed gw.b.example; smime=pass\r\n",
      "Authentication-Results: \"gw.b.example; smime=pass\r\n",
      "Authentication-Results: ; smime=pass\r\n",
      "Authentication-Results:\r\n",
  };
  for (const char* field : ours) {
    std::string m = std::string("Received: x\r\n") + field + "Subject: s\r\n\r\nbody\r\n";
    auto removed = strip_our_results(m, "gw.b.example");
    ASSERT_TRUE(removed) << field;
    EXPECT_EQ(*removed, 1u) << field;
    EXPECT_EQ(m, "Received: x\r\nSubject: s\r\n\r\nbody\r\n") << field;
  }
  for (const char* field : {"Authentication-Results: (gw.b.example) mx.other.example; smime=pass\r\n",
                            "Authentication-Results: \"gw.b.example.evil\"; smime=pass\r\n"}) {
    std::string m = std::string(field) + "\r\n";
    EXPECT_EQ(strip_our_results(m, "gw.b.example").value(), 0u) << field;
  }
}

// A header that does not parse strictly is not half-cleaned: an error.
TEST(AuthResults, StripRefusesAMalformedHeader) {
  std::string m = "Subject: s\r\n:x\r\nAuthentication-Results: gw.b.example; smime=pass\r\n\r\n";
  std::string before = m;
  auto removed = strip_our_results(m, "gw.b.example");
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().enhanced, "5.6.0");
  EXPECT_EQ(m, before);
}

TEST(AuthResults, SubjectTagIsPrefixedOrAdded) {
  std::string m = "From: a@a.example\r\nSubject: Invoice\r\n\r\nbody\r\n";
  tag_subject(m, "[SUSPECTED FORGERY]");
  EXPECT_NE(m.find("Subject: [SUSPECTED FORGERY] Invoice\r\n"), std::string::npos) << m;
  std::string none = "From: a@a.example\r\n\r\nbody\r\n";
  tag_subject(none, "[X]");
  EXPECT_EQ(none, "From: a@a.example\r\nSubject: [X]\r\n\r\nbody\r\n");
}

}  // namespace
}  // namespace sm::gateway
