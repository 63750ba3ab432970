// mail_xtext_test.cpp - RFC 3461 xtext round trips and malformed escapes.
#include "mail/envelope.h"
#include "mail/xtext.h"

#include <gtest/gtest.h>

using namespace sm::mail;

TEST(Xtext, EncodesSpecialsAndRoundTrips) {
  EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(xtext_decode(xtext_encode(all)), all);
}

TEST(Xtext, RejectsMalformedEscapes) {
  EXPECT_FALSE(xtext_decode("a+2"));
  EXPECT_FALSE(xtext_decode("a+"));
  EXPECT_FALSE(xtext_decode("+2b"));  // lower-case hex is not xtext
  EXPECT_EQ(xtext_decode("rfc822;a+40b"), "rfc822;a@b");
}

TEST(Envelope, DomainOfLowersAndTakesLastAt) {
  EXPECT_EQ(domain_of("\"a@b\"@Example.ORG"), "example.org");
  EXPECT_EQ(domain_of("nodomain"), "");
}

TEST(Recipient, DefaultNotifyIsFailureAndDelay) {
  Recipient r;
  EXPECT_TRUE(r.wants(kNotifyFailure));
  EXPECT_TRUE(r.wants(kNotifyDelay));
  EXPECT_FALSE(r.wants(kNotifySuccess));
  r.notify = kNotifyNever;
  EXPECT_FALSE(r.wants(kNotifyFailure));
}
