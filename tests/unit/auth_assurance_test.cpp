// auth_assurance_test.cpp - the SecureMail-Sender-Assurance value: written
// and read back, and the strict reader refusing unknown keys, repeats,
// bad or inconsistent values.
#include <gtest/gtest.h>

#include "auth/assurance.h"

using sm::auth::SenderAssurance;

TEST(AuthAssurance, RoundTrip) {
  SenderAssurance a{"totp", true, true, true, "document"};
  EXPECT_EQ(a.header_value(), "auth=totp; strong=yes; sole-user=yes; identity=verified; level=document");
  auto back = SenderAssurance::parse(a.header_value());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->auth, "totp");
  EXPECT_TRUE(back->strong);
  EXPECT_TRUE(back->sole_user);
  EXPECT_TRUE(back->identity_verified);
  EXPECT_EQ(back->identity_level, "document");

  SenderAssurance p{"password", false, false, false, ""};
  EXPECT_EQ(p.header_value(), "auth=password; strong=no; sole-user=no; identity=unverified");
  auto q = SenderAssurance::parse(p.header_value());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->auth, "password");
  EXPECT_FALSE(q->identity_verified);
  EXPECT_TRUE(q->identity_level.empty());
}

TEST(AuthAssurance, ToleratesOrderAndFoldingWhitespace) {
  auto a = SenderAssurance::parse(" identity=unverified;\r\n\tauth=device ;strong=yes; sole-user=no ");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->auth, "device");
  EXPECT_TRUE(a->strong);
}

TEST(AuthAssurance, StrictRejections) {
  for (std::string_view bad : {
           "",
           "auth=totp",                                                                      // keys missing
           "auth=totp; strong=yes; sole-user=yes; identity=unverified; extra=1",             // unknown key
           "auth=totp; auth=totp; strong=yes; sole-user=yes; identity=unverified",           // repeat
           "auth=sms; strong=yes; sole-user=yes; identity=unverified",                       // unknown method
           "auth=totp; strong=maybe; sole-user=yes; identity=unverified",                    // not yes/no
           "auth=TOTP; strong=yes; sole-user=yes; identity=unverified",                      // case
           "auth=password; strong=yes; sole-user=no; identity=unverified",                   // password is never strong
           "auth=totp; strong=no; sole-user=no; identity=unverified",                        // totp always is
           "auth=recovery; strong=no; sole-user=no; identity=unverified",
           "auth=totp; strong=yes; sole-user=no; identity=verified",                         // level missing
           "auth=totp; strong=yes; sole-user=no; identity=unverified; level=document",       // level without verified
           "auth=totp; strong=yes; sole-user=no; identity=verified; level=Doc ument",
           "auth=totp; strong=yes; sole-user=no; identity=perhaps",
           "auth=totp; strong=yes; sole-user=no; identity=unverified;",                      // empty item
           "auth=totp; strong=yes; sole-user=no; identity",                                  // no '='
           "auth=totp; strong=yes; sole-user=no; identity=unverified; =x",
       })
    EXPECT_FALSE(SenderAssurance::parse(bad)) << bad;
}
