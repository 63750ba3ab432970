// mime_compose_test.cpp - a new message from its parts (mime/compose.h):
// parsed back by the strict header reader, quoted-printable lines within
// 76 octets with trailing white space encoded, RFC 2047 subjects and names,
// RFC 2231 file names, a multipart with base64 attachments; and each bad
// part refused with its reply.
#include "mime/compose.h"

#include <gtest/gtest.h>

#include "mime/header.h"
#include "mime/multipart.h"

using namespace sm;

namespace {

mime::Composition basic() {
  mime::Composition c;
  c.from = "invoices@a.example";
  c.to = {"bob@b.example"};
  c.subject = "Invoice";
  c.text = "Hello";
  c.date = 1'780'000'000;
  return c;
}

TEST(Compose, ATextMessage) {
  auto c = basic();
  c.text = "Plain ASCII\nin two lines";
  auto m = mime::compose(c);
  ASSERT_TRUE(m) << m.error().text;
  auto h = mime::HeaderBlock::parse(*m);
  ASSERT_TRUE(h) << h.error().text;
  EXPECT_EQ(h->get("From").value_or(""), "<invoices@a.example>");
  EXPECT_EQ(h->get("To").value_or(""), "<bob@b.example>");
  EXPECT_EQ(h->get("Content-Transfer-Encoding").value_or(""), "7bit");
  EXPECT_EQ(h->get("Date").value_or(""), mime::format_date(1'780'000'000));
  EXPECT_TRUE(h->get("Message-ID").value_or("").ends_with("@a.example>"));
  EXPECT_EQ(m->substr(h->body_offset()), "Plain ASCII\r\nin two lines");
  // Not ASCII: quoted-printable, lines within 76 octets, trailing white space and '=' encoded.
  c.text = std::string(100, 'x') + " \nsecond line\t\n=end é";
  m = mime::compose(c);
  ASSERT_TRUE(m);
  h = mime::HeaderBlock::parse(*m);
  EXPECT_EQ(h->get("Content-Transfer-Encoding").value_or(""), "quoted-printable");
  EXPECT_EQ(m->substr(h->body_offset()),
            std::string(75, 'x') + "=\r\n" + std::string(25, 'x') + "=20\r\nsecond line=09\r\n=3Dend =C3=A9");
}

TEST(Compose, NamesAndSubjectsOutsideAscii) {
  auto c = basic();
  c.from_name = "Jörg";
  c.subject = "Grüße";
  auto m = mime::compose(c);
  ASSERT_TRUE(m);
  EXPECT_NE(m->find("From: \"=?UTF-8?B?SsO2cmc=?=\" <invoices@a.example>\r\n"), std::string::npos) << *m;
  EXPECT_NE(m->find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), std::string::npos) << *m;
  EXPECT_EQ(mime::header_words("a\r\nBcc: x"), "a  Bcc: x") << "no header injection";
}

TEST(Compose, AttachmentsMakeAMultipart) {
  auto c = basic();
  c.attachments = {{"C:\\tmp\\Übersicht.csv", "text/csv", "a,b\n1,2\n"}, {"", "", std::string("\0\1\2", 3)}};
  auto m = mime::compose(c);
  ASSERT_TRUE(m);
  auto h = mime::HeaderBlock::parse(*m);
  ASSERT_TRUE(h);
  auto type = h->get("Content-Type").value_or("");
  EXPECT_EQ(mime::media_type(type), "multipart/mixed");
  EXPECT_NE(m->find("Content-Type: text/csv;\r\n name*=UTF-8''%C3%9Cbersicht.csv;\r\n name=\"__bersicht.csv\""),
            std::string::npos) << *m;
  EXPECT_NE(m->find("filename*=UTF-8''%C3%9Cbersicht.csv;\r\n filename=\"__bersicht.csv\""), std::string::npos);
  EXPECT_NE(m->find("Content-Type: application/octet-stream;\r\n name*=UTF-8''attachment;"), std::string::npos) << *m;
  EXPECT_NE(m->find("YSxiCjEsMgo="), std::string::npos);
  EXPECT_NE(m->find("AAEC"), std::string::npos);
  auto boundary = mime::content_type_parameter(type, "boundary");
  ASSERT_TRUE(boundary);
  EXPECT_TRUE(m->ends_with("--" + *boundary + "--\r\n"));
}

TEST(Compose, BadPartsAreRefused) {
  auto c = basic();
  c.to = {"bob"};
  EXPECT_EQ(mime::compose(c).error().reply(), "550 5.1.3 not an address (local@domain): bob");
  c = basic();
  c.cc = {"a@b..example"};
  EXPECT_EQ(mime::compose(c).error().code, 550);
  c = basic();
  c.to.clear();
  EXPECT_EQ(mime::compose(c).error().reply(), "550 5.6.0 the message names no recipient (to, cc)");
  c = basic();
  c.text = "\xff\xfe";
  EXPECT_EQ(mime::compose(c).error().reply(), "550 5.6.0 text that is not UTF-8");
  c = basic();
  c.extra = {"X-A: 1\r\nBcc: evil@x.example"};
  EXPECT_EQ(mime::compose(c).error().enhanced, "5.6.0");
  c = basic();
  c.attachments = {{"x", "text/html; charset=\"x\"\r\nX: y", "z"}};
  EXPECT_EQ(mime::compose(c).error().enhanced, "5.6.0");
  EXPECT_FALSE(mime::valid_utf8("\xc0\xaf")) << "overlong";
  EXPECT_TRUE(mime::valid_utf8("Grüße ✓"));
}

}  // namespace
