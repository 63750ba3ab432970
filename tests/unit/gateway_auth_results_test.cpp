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

TEST(AuthResults, OnlyFieldsNamingOurHostAreRemoved) {
  std::string m =
      "Received: from x\r\n"
      "Authentication-Results: gw.b.example; smime=pass body.smime-identifier=ceo@a.example\r\n"
      "Authentication-Results: GW.B.EXAMPLE;\r\n smime=pass\r\n"
      "Authentication-Results: mx.other.example; dkim=pass\r\n"
      "Authentication-Results: gw.b.example.evil; smime=pass\r\n"
      "Subject: hi\r\n\r\n"
      "Authentication-Results: gw.b.example; smime=pass (in the body: kept)\r\n";
  EXPECT_EQ(strip_our_results(m, "gw.b.example"), 2u);
  EXPECT_EQ(m,
            "Received: from x\r\n"
            "Authentication-Results: mx.other.example; dkim=pass\r\n"
            "Authentication-Results: gw.b.example.evil; smime=pass\r\n"
            "Subject: hi\r\n\r\n"
            "Authentication-Results: gw.b.example; smime=pass (in the body: kept)\r\n");
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
