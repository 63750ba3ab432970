// delivery_next_hop_test.cpp - parse_next_hop and NextHop::to_string.
#include <gtest/gtest.h>

#include "delivery/transport.h"

using sm::delivery::NextHop;
using sm::delivery::parse_next_hop;

TEST(NextHop, Mx) {
  auto h = parse_next_hop("mx");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->kind, NextHop::Kind::mx);
  EXPECT_EQ(h->port, 25);
  EXPECT_EQ(h->to_string(), "mx");
  auto d = parse_next_hop(" MX:Example.COM. ");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "example.com");
  EXPECT_EQ(d->to_string(), "mx:example.com");
}

TEST(NextHop, SmtpAndLmtp) {
  auto s = parse_next_hop("smtp://Mail.Example.org:2525");
  ASSERT_TRUE(s) << s.error().text;
  EXPECT_EQ(s->kind, NextHop::Kind::smtp);
  EXPECT_EQ(s->host, "mail.example.org");
  EXPECT_EQ(s->port, 2525);
  EXPECT_EQ(s->to_string(), "smtp://mail.example.org:2525");

  auto d = parse_next_hop("smtp://10.0.0.1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 25);

  auto l = parse_next_hop("lmtp://127.0.0.1:24/");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->kind, NextHop::Kind::lmtp);
  EXPECT_EQ(l->to_string(), "lmtp://127.0.0.1:24");
  EXPECT_EQ(parse_next_hop("lmtp://box")->port, 24);

  auto v6 = parse_next_hop("smtp://[::1]:2525");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "smtp://[::1]:2525");
  EXPECT_EQ(parse_next_hop(v6->to_string())->to_string(), v6->to_string());
}

TEST(NextHop, Maildir) {
  auto m = parse_next_hop("maildir:/var/mail/boxes");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, NextHop::Kind::maildir);
  EXPECT_EQ(m->maildir, "/var/mail/boxes");
  EXPECT_EQ(m->to_string(), "maildir:/var/mail/boxes");
}

static std::string error_of(const std::string& text) {
  auto r = parse_next_hop(text);
  EXPECT_FALSE(r) << text;
  return r ? std::string() : r.error().text;
}

TEST(NextHop, Errors) {
  EXPECT_NE(error_of("http://x:80").find("unknown scheme"), std::string::npos);
  EXPECT_NE(error_of("relayhost").find("unknown scheme"), std::string::npos);
  EXPECT_NE(error_of("smtp://h:0").find("bad port"), std::string::npos);
  EXPECT_NE(error_of("smtp://h:65536").find("bad port"), std::string::npos);
  EXPECT_NE(error_of("smtp://h:25x").find("bad port"), std::string::npos);
  EXPECT_NE(error_of("smtp://h:").find("bad port"), std::string::npos);
  EXPECT_NE(error_of("smtp://:25").find("bad host"), std::string::npos);
  EXPECT_NE(error_of("smtp://a b:25").find("bad host"), std::string::npos);
  EXPECT_NE(error_of("smtp://h:25/path").find("unexpected path"), std::string::npos);
  EXPECT_NE(error_of("smtp://[::1").find("]"), std::string::npos);
  EXPECT_NE(error_of("smtp://::1:25").find("brackets"), std::string::npos);
  EXPECT_NE(error_of("smtp:h:25").find("smtp://"), std::string::npos);
  EXPECT_NE(error_of("maildir:").find("empty"), std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  auto r = parse_next_hop("smtp://h:99999");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().temporary());
  EXPECT_NE(r.error().text.find("smtp://h:99999"), std::string::npos);  // names the input
}
