// pickup_view_test.cpp - a held message as its reader sees it: encoded
// header fields decoded, the plain text chosen over HTML, an HTML-only
// message reduced to text (scripts and styles dropped, never rendered),
// attachments numbered with their names, types and decoded sizes, a
// forwarded message's parts counted as attachments, and input that is not
// a message at all.
#include <gtest/gtest.h>

#include "pickup/message_view.h"

namespace sm::pickup {
namespace {

TEST(PickupView, HeadersAreDecodedAndPlainTextWins) {
  auto v = view_message(
      "From: =?UTF-8?B?SsO8cmdlbg==?= <j@a.example>\r\nTo: bob@example.org\r\nCc: c@example.org\r\n"
      "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=a\r\n\r\n"
      "--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain words\r\n"
      "--a\r\nContent-Type: text/html\r\n\r\n<p>html words</p>\r\n--a--\r\n");
  ASSERT_TRUE(v) << v.error().text;
  EXPECT_EQ(v->subject, "Grüße");
  EXPECT_NE(v->from.find("Jürgen"), std::string::npos) << v->from;
  EXPECT_NE(v->cc.find("c@example.org"), std::string::npos);
  EXPECT_NE(v->text.find("plain words"), std::string::npos);
  EXPECT_EQ(v->text.find("html"), std::string::npos);
  EXPECT_TRUE(v->attachments.empty());
}

TEST(PickupView, HtmlOnlyBecomesTextWithoutScripts) {
  auto v = view_message(
      "From: a@a.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
      "<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
      "<body><p>Hello &amp; welcome</p><div>second</div><br>third</body></html>\r\n");
  ASSERT_TRUE(v);
  EXPECT_NE(v->text.find("Hello & welcome\nsecond\n\nthird"), std::string::npos) << v->text;
  EXPECT_EQ(v->text.find("alert"), std::string::npos) << v->text;
  EXPECT_EQ(v->text.find("color"), std::string::npos) << v->text;
  EXPECT_EQ(v->text.find('<'), std::string::npos) << v->text;
}

TEST(PickupView, AttachmentsAreNumberedAndDecoded) {
  const std::string m =
      "From: a@a.example\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
      "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\nraw\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\n"
      "From: x@x.example\r\nSubject: forwarded\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
      "--b--\r\n";
  auto v = view_message(m);
  ASSERT_TRUE(v);
  EXPECT_NE(v->text.find("see attached"), std::string::npos);
  ASSERT_EQ(v->attachments.size(), 3u);
  EXPECT_EQ(v->attachments[0].name, "a.pdf");
  EXPECT_EQ(v->attachments[0].type, "application/pdf");
  EXPECT_EQ(v->attachments[0].size, 4u);
  EXPECT_EQ(v->attachments[1].name, "attachment-2");
  EXPECT_EQ(v->attachments[2].type, "text/plain") << "the forwarded message's text";
  EXPECT_EQ(attachment_content(m, 0), "%PDF");
  EXPECT_EQ(attachment_content(m, 1), "raw");
  EXPECT_EQ(attachment_content(m, 2), "inner text");  // the CRLF before a boundary is the boundary's
  EXPECT_FALSE(attachment_content(m, 3).has_value());
}

TEST(PickupView, NotAMessageAtAll) {
  auto empty = view_message("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, 554);
  EXPECT_EQ(empty.error().enhanced, "5.6.0");
  EXPECT_FALSE(attachment_content("", 0).has_value());
}

}  // namespace
}  // namespace sm::pickup
