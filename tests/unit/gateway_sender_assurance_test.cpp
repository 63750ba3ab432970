// gateway_sender_assurance_test.cpp - the receiving side of
// SecureMail-Sender-Assurance: read only when exactly one well-formed field
// is there, shown as an RFC 8601 resinfo of its own, removed with our
// forged Authentication-Results, and [[require_assurance]] refusing with
// 550 5.7.1 and the reason.
#include <gtest/gtest.h>

#include "gateway/auth_results.h"
#include "gateway/sender_assurance.h"

using namespace sm;
using namespace sm::gateway;

namespace {

constexpr std::string_view kStrong = "auth=totp; strong=yes; sole-user=yes; identity=verified; level=document";

std::string message_with(std::string_view fields) {
  return std::string(fields) + "From: alice@a.example\r\nSubject: hi\r\n\r\nbody\r\n";
}

}  // namespace

TEST(GatewaySenderAssurance, ReadsOneWellFormedField) {
  auto a = signed_assurance(message_with("SecureMail-Sender-Assurance: " + std::string(kStrong) + "\r\n"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->auth, "totp");
  EXPECT_TRUE(a->strong);
  EXPECT_TRUE(a->sole_user);
  EXPECT_TRUE(a->identity_verified);
  EXPECT_EQ(a->identity_level, "document");
}

TEST(GatewaySenderAssurance, NoneMalformedOrRepeatedIsNoClaim) {
  EXPECT_FALSE(signed_assurance(message_with("")).has_value());
  EXPECT_FALSE(signed_assurance(message_with("SecureMail-Sender-Assurance: auth=totp; strong=maybe\r\n")).has_value());
  std::string twice = "SecureMail-Sender-Assurance: " + std::string(kStrong) + "\r\n";
  EXPECT_FALSE(signed_assurance(message_with(twice + twice)).has_value());
  EXPECT_FALSE(signed_assurance("no header block at all").has_value());
}

TEST(GatewaySenderAssurance, ResinfoFollowsRfc8601) {
  auto a = auth::SenderAssurance::parse(kStrong);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(assurance_resinfo(a),
            "x-securemail-assurance=pass header.auth=totp header.strong=yes header.sole-user=yes "
            "header.identity=verified header.level=document");
  auto weak = auth::SenderAssurance::parse("auth=password; strong=no; sole-user=no; identity=unverified");
  ASSERT_TRUE(weak.has_value());
  EXPECT_EQ(assurance_resinfo(weak),
            "x-securemail-assurance=pass header.auth=password header.strong=no header.sole-user=no header.identity=unverified");
  EXPECT_EQ(assurance_resinfo(std::nullopt), "x-securemail-assurance=none");
  EXPECT_EQ(assurance_field(*a), "SecureMail-Sender-Assurance: " + std::string(kStrong) + "\r\n");
}

TEST(GatewaySenderAssurance, AuthenticationResultsCarriesIt) {
  SmimeResult r{"pass", "signed by member a-example", "alice@a.example", "", "x-securemail-assurance=none"};
  EXPECT_EQ(authentication_results("gw.b.example", r),
            "Authentication-Results: gw.b.example; smime=pass body.smime-identifier=alice@a.example\r\n"
            "\t(signed by member a-example);\r\n\tx-securemail-assurance=none\r\n");
}

TEST(GatewaySenderAssurance, StrippedWithForgedResults) {
  std::string m = message_with("SecureMail-Sender-Assurance: " + std::string(kStrong) +
                               "\r\nsecuremail-sender-assurance: auth=totp\r\nX-Other: kept\r\n");
  auto removed = strip_our_results(m, "gw.b.example");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(m, message_with("X-Other: kept\r\n"));
  EXPECT_FALSE(signed_assurance(m).has_value());
}

TEST(GatewaySenderAssurance, RequiredAssuranceRefusesWithTheReason) {
  config::Config c;
  c.require_assurance.push_back({{"a-example"}, true, false, false});
  auto weak = auth::SenderAssurance::parse("auth=password; strong=no; sole-user=no; identity=unverified");
  auto missing = check_required_assurance(c, "a-example", std::nullopt);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reply(),
            "550 5.7.1 message refused: no signed sender assurance (this gateway requires it of member a-example)");
  auto shortfall = check_required_assurance(c, "a-example", weak);
  ASSERT_FALSE(shortfall.has_value());
  EXPECT_NE(shortfall.error().text.find("sender did not sign in strongly"), std::string::npos);
  EXPECT_TRUE(check_required_assurance(c, "a-example", auth::SenderAssurance::parse(kStrong)).has_value());
  EXPECT_TRUE(check_required_assurance(c, "other", std::nullopt).has_value());
}
