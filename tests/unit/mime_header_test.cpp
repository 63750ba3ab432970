// mime_header_test.cpp - header block reading (unfolding, lookup, bounds,
// where the body starts), folding, dates and the Received: trace field.
#include "mime/header.h"
#include "octets.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <regex>

using namespace sm::mime;

namespace {
struct UtcZone {
  UtcZone() {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};
}  // namespace

TEST(HeaderBlock, SplitsUnfoldsAndLooksUpCaseInsensitively) {
  std::string msg =
      "Received: from a\r\n\tby b; Tue, 4 Mar 2025 10:00:00 +0000\r\n"
      "Subject: hello\r\n  world  \r\n"
      "message-id: <x@y>\r\n"
      "Received: from c by d\r\n"
      "\r\n"
      "Body: not a header\r\n";
  auto h = HeaderBlock::parse(msg);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->fields().size(), 4u);
  EXPECT_EQ(h->get("SUBJECT"), "hello  world");
  EXPECT_EQ(h->get("Message-ID"), "<x@y>");
  EXPECT_EQ(h->get_all("received").size(), 2u);
  EXPECT_EQ(h->get("received"), "from a\tby b; Tue, 4 Mar 2025 10:00:00 +0000");
  EXPECT_FALSE(h->has("Body"));
  EXPECT_EQ(h->fields()[1].raw, "Subject: hello\r\n  world  \r\n");
  EXPECT_TRUE(h->ended_with_empty_line());
  EXPECT_EQ(msg.substr(h->body_offset()), "Body: not a header\r\n");
  EXPECT_EQ(msg.substr(0, h->header_size()).back(), '\n');
}

TEST(HeaderBlock, BareLfAndHeaderOnlyText) {
  auto h = HeaderBlock::parse("From: a@b\nTo: c@d\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->get("to"), "c@d");
  EXPECT_FALSE(h->ended_with_empty_line());
  EXPECT_EQ(h->body_offset(), 18u);
}

// Every way a header block could be read differently by a mail reader is
// refused with 5.6.0 (issue 11, defects 1 and 2), never half-read.
TEST(HeaderBlock, RefusesLinesThatAreNotFields) {
  const char* bad[] = {
      "From: a@b\r\nthis is not a header\r\nTo: c@d\r\n\r\nbody",          // no colon
      "Subject: x\r\n:x\r\nFrom: alice@member.example\r\n\r\nbody",        // empty field name
      "From bounce@x Tue Mar  4 10:00:00 2025\r\nFrom: a@b\r\n\r\n",        // an mbox From_ line
      "Subject: x\r\nFrom bounce@x Tue Mar 4\r\nFrom: a@b\r\n\r\n",       // ... in the middle
      " folded\r\nFrom: a@b\r\n\r\n",                                      // continuation of nothing
      "Subject : x\r\nFrom: a@b\r\n\r\n",                                   // WSP before the colon
      "Sub ject: x\r\n\r\n",                                                 // space in the name
      "Subject: x\r\nX\x01Y: z\r\n\r\n",                                    // control in the name
      "Subject: x\rFrom: evil@member.example\r\n\r\n",                        // bare CR
      "Subject: x\r\nbody text without an empty line\r\n",
  };
  for (const char* m : bad) {
    auto h = HeaderBlock::parse(m);
    ASSERT_FALSE(h) << m;
    EXPECT_EQ(h.error().code, 550) << m;
    EXPECT_EQ(h.error().enhanced, "5.6.0") << m;
    EXPECT_NE(h.error().text.find("line "), std::string::npos) << h.error().text;
  }
  auto nul = HeaderBlock::parse(securemail::test::octets("Subject: a\0b\r\n\r\n"));
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().enhanced, "5.6.0");
}

TEST(HeaderBlock, RefusesRepeatedSingularFields) {
  for (const char* name : {"From", "from", "Sender", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To",
                           "Content-Type", "Content-Transfer-Encoding", "MIME-Version", "SecureMail-Envelope"}) {
    std::string m = std::string(name) + ": one@a.example\r\nX: y\r\n" + name + ": two@b.example\r\n\r\n";
    auto h = HeaderBlock::parse(m);
    ASSERT_FALSE(h) << name;
    EXPECT_EQ(h.error().enhanced, "5.6.0");
    EXPECT_NE(h.error().text.find("line 3"), std::string::npos) << h.error().text;
  }
  // Trace and extension fields may repeat.
  auto ok = HeaderBlock::parse("Received: a\r\nReceived: b\r\nX-Y: 1\r\nx-y: 2\r\nAuthentication-Results: h; none\r\n"
                               "Authentication-Results: h; none\r\nFrom: a@b\r\n\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->fields().size(), 7u);
}

TEST(HeaderBlock, AcceptsWellFormedBlocks) {
  EXPECT_TRUE(HeaderBlock::parse(""));
  EXPECT_TRUE(HeaderBlock::parse("\r\nbody only after an empty header"));
  EXPECT_TRUE(HeaderBlock::parse("From: a@b\r\nSubject: x\r\n\r\nnot: a header\r\n:x\r\n"));
  EXPECT_TRUE(HeaderBlock::parse("From: a@b\nSubject: x\n\nbody\r\n"));
  EXPECT_TRUE(HeaderBlock::parse("Subject: 8-bit \xc3\xa9 value (RFC 6532)\r\n\r\n"));
  EXPECT_TRUE(HeaderBlock::parse("Subject:\r\n\tfolded\r\n\r\n"));
}

TEST(HeaderBlock, RefusesOversizedHeader) {
  std::string msg = "Subject: " + std::string(2000, 'x') + "\r\n\r\nbody";
  auto h = HeaderBlock::parse(msg, 1024);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, 552);
  EXPECT_EQ(h.error().enhanced, "5.3.4");
  // Within the limit: fine, and a large body does not count.
  EXPECT_TRUE(HeaderBlock::parse("Subject: x\r\n\r\n" + std::string(5000, 'b'), 1024));
  // Many folded lines stay within the limit check too.
  std::string many = "X-Long: a\r\n";
  for (int i = 0; i < 200; ++i) many += " continued\r\n";
  EXPECT_FALSE(HeaderBlock::parse(many + "\r\n", 1024));
}

TEST(Fold, KeepsLinesUnder78) {
  std::string v = "To: ";
  for (int i = 0; i < 20; ++i) v += "person" + std::to_string(i) + "@example.org, ";
  std::string f = fold(v);
  EXPECT_TRUE(f.ends_with("\r\n"));
  std::size_t start = 0;
  while (start < f.size()) {
    std::size_t end = f.find("\r\n", start);
    EXPECT_LE(end - start, 78u);
    start = end + 2;
  }
  auto h = HeaderBlock::parse(f + "\r\n");
  ASSERT_TRUE(h);
  EXPECT_EQ("To: " + std::string(*h->get("to")) + " ", v);  // unfolds to the original text
  // Runs of spaces survive; no line is whitespace only.
  std::string spaced = "X-Reply: 550  5.1.1" + std::string(100, ' ') + "end";
  f = fold(spaced);
  EXPECT_EQ(f.find("\r\n \r\n"), std::string::npos);
  std::string unfolded = f.substr(0, f.size() - 2);
  for (std::size_t p; (p = unfolded.find("\r\n")) != std::string::npos;) unfolded.erase(p, 2);
  EXPECT_EQ(unfolded, spaced);
}

TEST(Date, Rfc5322Format) {
  UtcZone utc;
  EXPECT_EQ(format_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(format_date(1741093509), "Tue, 4 Mar 2025 13:05:09 +0000");
}

TEST(Received, ComposesTraceFieldFoldedAndSanitized) {
  UtcZone utc;
  ReceivedInfo r;
  r.helo = "mail.a.example";
  r.client_name = "mail.a.example";
  r.client_address = "192.0.2.1";
  r.by = "gw.b.example";
  r.protocol = "ESMTPS";
  r.tls = "TLSv1.3 TLS_AES_256_GCM_SHA384";
  r.queue_id = "4F3A2B1C00000001";
  r.recipient = "bob@b.example";
  r.when = 1741093509;
  std::string f = received_header(r);
  EXPECT_EQ(f,
            "Received: from mail.a.example (mail.a.example [192.0.2.1])\r\n"
            "\tby gw.b.example (SecureMail) (using TLSv1.3 TLS_AES_256_GCM_SHA384)\r\n"
            " with ESMTPS id 4F3A2B1C00000001\r\n"
            "\tfor <bob@b.example>; Tue, 4 Mar 2025 13:05:09 +0000\r\n");
  auto h = HeaderBlock::parse(f + "\r\n");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->get("Received")->starts_with("from mail.a.example"));

  // IPv6, no rDNS, no single recipient, hostile HELO.
  r.helo = "evil)\r\nX-Injected: yes (";
  r.client_name.clear();
  r.client_address = "2001:db8::1";
  r.tls.clear();
  r.recipient.clear();
  r.protocol = "ESMTP";
  f = received_header(r);
  EXPECT_EQ(f.find("\r\nX-Injected"), std::string::npos) << f;
  EXPECT_NE(f.find("[IPv6:2001:db8::1]"), std::string::npos) << f;
  EXPECT_NE(f.find("with ESMTP id 4F3A2B1C00000001;\r\n\tTue, 4 Mar 2025 13:05:09 +0000\r\n"),
            std::string::npos) << f;
  h = HeaderBlock::parse(f + "\r\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->fields().size(), 1u);
}

// The receiver reads every message's header as it streams in: collected in
// chunks of any size, it gives the same verdict as the whole text.
TEST(HeaderCollector, SameVerdictWhateverTheChunks) {
  const std::string good = "From: a@b\r\nSubject: x\r\n\r\n" + std::string(300000, 'b');
  const std::string bad = "From: a@b\r\n:x\r\nFrom: c@d\r\n\r\nbody\r\n";
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 1u << 20}) {
    HeaderCollector g, b;
    for (std::size_t i = 0; i < good.size(); i += chunk) g.append(std::string_view(good).substr(i, chunk));
    for (std::size_t i = 0; i < bad.size(); i += chunk) b.append(std::string_view(bad).substr(i, chunk));
    auto gh = g.parse();
    ASSERT_TRUE(gh) << chunk;
    EXPECT_EQ(gh->get("Subject"), "x");
    ASSERT_FALSE(b.parse()) << chunk;
    EXPECT_EQ(b.parse().error().enhanced, "5.6.0");
  }
  HeaderCollector big;
  big.append("Subject: " + std::string(HeaderBlock::kDefaultMaxSize, 'x') + "\r\n\r\n");
  ASSERT_FALSE(big.parse());
  EXPECT_EQ(big.parse().error().enhanced, "5.3.4");
}
