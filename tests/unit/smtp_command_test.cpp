// smtp_command_test.cpp - the pure command parser: verbs, paths (source
// routes, quoted local parts, literals, length limits), every ESMTP
// parameter, BDAT's chunk size and LAST, and the reply code of each kind
// of error.
#include "smtp/command.h"

#include <gtest/gtest.h>

using namespace sm::smtp;
using sm::mail::Ret;

namespace {

// Expect an error and return "code enhanced".
std::string error_of(std::string_view line) {
  auto r = parse_command(line);
  if (r) return "ok";
  return std::to_string(r.error().code) + " " + r.error().enhanced;
}

Command ok(std::string_view line) {
  auto r = parse_command(line);
  EXPECT_TRUE(r) << line << " -> " << (r ? "" : r.error().reply());
  return r ? *r : Command{};
}

}  // namespace

TEST(SmtpCommand, RecognisesVerbsCaseInsensitively) {
  EXPECT_EQ(ok("EHLO client.example").verb, Verb::ehlo);
  EXPECT_EQ(ok("ehlo client.example").argument, "client.example");
  EXPECT_EQ(ok("HeLo [192.0.2.1]").verb, Verb::helo);
  EXPECT_EQ(ok("DATA").verb, Verb::data);
  EXPECT_EQ(ok("rset").verb, Verb::rset);
  EXPECT_EQ(ok("NOOP").verb, Verb::noop);
  EXPECT_EQ(ok("NOOP anything at all").verb, Verb::noop);
  EXPECT_EQ(ok("QUIT").verb, Verb::quit);
  EXPECT_EQ(ok("VRFY bob").argument, "bob");
  EXPECT_EQ(ok("HELP").verb, Verb::help);
  EXPECT_EQ(ok("starttls").verb, Verb::starttls);
  EXPECT_EQ(ok("QUIT  ").verb, Verb::quit);  // trailing blanks tolerated
}

TEST(SmtpCommand, UnknownAndGarbage) {
  EXPECT_EQ(error_of("EXPN staff"), "502 5.5.1");
  EXPECT_EQ(error_of("XYZZY"), "502 5.5.1");
  EXPECT_EQ(error_of(""), "500 5.5.2");
  EXPECT_EQ(error_of("   "), "500 5.5.2");
  EXPECT_EQ(error_of("GET / HTTP/1.0"), "502 5.5.1");
  EXPECT_EQ(error_of("12345"), "500 5.5.2");
  EXPECT_EQ(error_of(std::string_view("NOOP\0x", 6)), "500 5.5.2");
  EXPECT_EQ(error_of("NOOP\rx"), "500 5.5.2");
  EXPECT_EQ(error_of("NOOP\tx"), "500 5.5.2");
}

TEST(SmtpCommand, ArgumentRules) {
  EXPECT_EQ(error_of("EHLO"), "501 5.5.4");
  EXPECT_EQ(error_of("HELO "), "501 5.5.4");
  EXPECT_EQ(error_of("EHLO two words"), "501 5.5.4");
  EXPECT_EQ(error_of("DATA now"), "501 5.5.4");
  EXPECT_EQ(error_of("RSET x"), "501 5.5.4");
  EXPECT_EQ(error_of("QUIT x"), "501 5.5.4");
  EXPECT_EQ(error_of("STARTTLS x"), "501 5.5.4");
  EXPECT_EQ(error_of("VRFY"), "501 5.5.4");
}

TEST(SmtpCommand, MailFromBasic) {
  auto c = ok("MAIL FROM:<alice@example.org>");
  EXPECT_EQ(c.verb, Verb::mail);
  EXPECT_EQ(c.address, "alice@example.org");
  EXPECT_FALSE(c.has_params);
  EXPECT_EQ(ok("mail from:<>").address, "");
  EXPECT_EQ(ok("MAIL FROM: <a@b.example>").address, "a@b.example");  // one space tolerated
  EXPECT_EQ(ok("MAIL FROM:<a@[192.0.2.1]>").address, "a@[192.0.2.1]");
  EXPECT_EQ(ok("MAIL FROM:<a@[IPv6:2001:db8::1]>").address, "a@[IPv6:2001:db8::1]");
  EXPECT_EQ(ok("MAIL FROM:<a.b+tag@sub-1.example>").address, "a.b+tag@sub-1.example");
}

TEST(SmtpCommand, SourceRouteIsStripped) {
  EXPECT_EQ(ok("MAIL FROM:<@a.example,@b.example:user@c.example>").address, "user@c.example");
  EXPECT_EQ(ok("RCPT TO:<@a.example:user@c.example>").address, "user@c.example");
  EXPECT_EQ(error_of("RCPT TO:<@a.example user@c.example>"), "501 5.1.3");
  EXPECT_EQ(error_of("RCPT TO:<@:user@c.example>"), "501 5.1.3");
  EXPECT_EQ(error_of("RCPT TO:<@a..b:user@c.example>"), "501 5.1.3");
}

TEST(SmtpCommand, QuotedLocalPartKeptAsIs) {
  EXPECT_EQ(ok("RCPT TO:<\"a@b\"@c.example>").address, "\"a@b\"@c.example");
  EXPECT_EQ(ok("RCPT TO:<\"john smith\"@c.example>").address, "\"john smith\"@c.example");
  EXPECT_EQ(ok("RCPT TO:<\"a\\\"b>\"@c.example>").address, "\"a\\\"b>\"@c.example");
  EXPECT_EQ(error_of("RCPT TO:<\"unterminated@c.example>"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<\"a\"b@c.example>"), "501 5.1.3");
}

TEST(SmtpCommand, BadAddressSyntax) {
  EXPECT_EQ(error_of("MAIL FROM:alice@example.org"), "501 5.5.4");   // no brackets
  EXPECT_EQ(error_of("MAIL FROM:<alice@example.org"), "501 5.5.4");  // no closing bracket
  EXPECT_EQ(error_of("MAIL FROM:  <a@b.example>"), "501 5.5.4");     // only one space tolerated
  EXPECT_EQ(error_of("MAIL FROM <a@b.example>"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL TO:<a@b.example>"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<a@b.example>SIZE=1"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<alice>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<a..b@c.example>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<.a@c.example>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<a@-c.example>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<a@c-.example>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<a@c..example>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<a@>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<a@[300.1.1.1]>"), "501 5.1.7");
  EXPECT_EQ(error_of("MAIL FROM:<a b@c.example>"), "501 5.1.7");
  EXPECT_EQ(error_of("RCPT TO:<>"), "501 5.1.3");
  EXPECT_EQ(error_of("RCPT TO:<bob>"), "501 5.1.3");
  EXPECT_EQ(error_of("RCPT TO:<b\xc3\xa9@c.example>"), "553 5.6.7");
  EXPECT_EQ(error_of("RCPT TO:<a@b\rc>"), "500 5.5.2");
  EXPECT_EQ(ok("RCPT TO:<Postmaster>").address, "Postmaster");
  EXPECT_EQ(ok("RCPT TO:<postmaster>").address, "postmaster");
}

TEST(SmtpCommand, LengthLimits) {
  std::string local64(64, 'a'), local65(65, 'a');
  EXPECT_EQ(ok("RCPT TO:<" + local64 + "@c.example>").address, local64 + "@c.example");
  EXPECT_EQ(error_of("RCPT TO:<" + local65 + "@c.example>"), "501 5.1.3");
  std::string quoted64 = "\"" + std::string(62, 'q') + "\"";
  std::string quoted65 = "\"" + std::string(63, 'q') + "\"";
  EXPECT_TRUE(parse_command("RCPT TO:<" + quoted64 + "@c.example>"));
  EXPECT_EQ(error_of("RCPT TO:<" + quoted65 + "@c.example>"), "501 5.1.3");
  // Domain of labels; path total = 256 incl. brackets: "<" + local + "@" + domain + ">".
  auto domain_of_len = [](std::size_t n) {
    std::string d;
    while (d.size() < n) {
      std::size_t left = n - d.size();
      if (!d.empty()) { d += '.'; --left; }
      std::size_t label = std::min<std::size_t>(left, 60);
      if (left - label == 1) --label;  // avoid a trailing empty label
      d += std::string(label, 'd');
    }
    return d;
  };
  ASSERT_EQ(domain_of_len(245).size(), 245u);
  // "<" + 8 + "@" + 245 + ">" = 256
  std::string at_limit = "<" + std::string(8, 'u') + "@" + domain_of_len(245) + ">";
  ASSERT_EQ(at_limit.size(), 256u);
  EXPECT_TRUE(parse_command("RCPT TO:" + at_limit));
  std::string over = "<" + std::string(9, 'u') + "@" + domain_of_len(245) + ">";
  ASSERT_EQ(over.size(), 257u);
  EXPECT_EQ(error_of("RCPT TO:" + over), "501 5.1.3");
  // Domain limit 255 (checked before the path limit when the route is long).
  EXPECT_TRUE(valid_domain_or_literal(domain_of_len(255)));
  EXPECT_FALSE(valid_domain_or_literal(domain_of_len(256)));
  EXPECT_FALSE(valid_domain_or_literal(std::string(64, 'l') + ".example"));
  EXPECT_TRUE(valid_domain_or_literal(std::string(63, 'l') + ".example"));
}

TEST(SmtpCommand, MailParameters) {
  auto c = ok("MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME RET=HDRS ENVID=QQ+2B314");
  EXPECT_TRUE(c.has_params);
  ASSERT_TRUE(c.size);
  EXPECT_EQ(*c.size, 12345u);
  EXPECT_EQ(c.body, Body::eight_bit_mime);
  EXPECT_EQ(c.ret, Ret::hdrs);
  EXPECT_EQ(c.envid, "QQ+314");
  auto d = ok("MAIL FROM:<> body=7bit ret=full size=0");
  EXPECT_EQ(d.body, Body::seven_bit);
  EXPECT_EQ(d.ret, Ret::full);
  EXPECT_EQ(*d.size, 0u);
  EXPECT_EQ(*ok("MAIL FROM:<> SIZE=99999999999999999999").size, UINT64_MAX);  // overflow saturates
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=123456789012345678901"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=12a"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE="), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE"), "501 5.5.4");
  EXPECT_EQ(ok("MAIL FROM:<> BODY=binarymime").body, Body::binary_mime);  // RFC 3030 3
  EXPECT_EQ(error_of("MAIL FROM:<> BODY=BINARY"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> RET=ALL"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> ENVID=a+2"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> ENVID=" + std::string(101, 'x')), "501 5.5.4");
  EXPECT_TRUE(parse_command("MAIL FROM:<> ENVID=" + std::string(100, 'x')));
  EXPECT_EQ(error_of("MAIL FROM:<> SIZE=1 SIZE=2"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> size=1 SIZE=1"), "501 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> AUTH=<>"), "555 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> SMTPUTF8"), "555 5.5.4");
  EXPECT_EQ(error_of("MAIL FROM:<> NOTIFY=NEVER"), "555 5.5.4");  // RCPT parameter on MAIL
  EXPECT_EQ(error_of("MAIL FROM:<> =x"), "501 5.5.4");
}

TEST(SmtpCommand, RcptParameters) {
  auto c = ok("RCPT TO:<b@c.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;b+40c.example");
  EXPECT_EQ(c.notify, sm::mail::kNotifySuccess | sm::mail::kNotifyFailure | sm::mail::kNotifyDelay);
  EXPECT_EQ(c.orcpt, "rfc822;b@c.example");
  EXPECT_EQ(ok("RCPT TO:<b@c.example> notify=never").notify, unsigned(sm::mail::kNotifyNever));
  EXPECT_EQ(ok("RCPT TO:<b@c.example> NOTIFY=delay").notify, unsigned(sm::mail::kNotifyDelay));
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> NOTIFY=NEVER,SUCCESS"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> NOTIFY=SUCCESS,SUCCESS"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> NOTIFY=SOMETIMES"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> NOTIFY=SUCCESS,"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> NOTIFY="), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> ORCPT=b@c.example"), "501 5.5.4");  // no addr-type
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> ORCPT=;b@c.example"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> ORCPT=rfc822;"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> ORCPT=rfc822;a+zz"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> NOTIFY=NEVER NOTIFY=NEVER"), "501 5.5.4");
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> SIZE=10"), "555 5.5.4");  // MAIL parameter on RCPT
  EXPECT_EQ(error_of("RCPT TO:<b@c.example> XFOO=1"), "555 5.5.4");
}

TEST(SmtpCommand, BdatChunkSizeAndLast) {
  auto c = ok("BDAT 1000");
  EXPECT_EQ(c.verb, Verb::bdat);
  EXPECT_EQ(c.chunk_size, 1000u);
  EXPECT_FALSE(c.last_chunk);
  auto d = ok("bdat 0 last");
  EXPECT_EQ(d.chunk_size, 0u);
  EXPECT_TRUE(d.last_chunk);
  EXPECT_EQ(ok("BDAT 18446744073709551615 LAST").chunk_size, UINT64_MAX);
  EXPECT_EQ(ok("BDAT 007").chunk_size, 7u);
}

// RFC 4954 4: "AUTH mechanism [initial-response]"; whether AUTH is
// allowed on the listener is the session's business (smtp_auth_test.cpp).
TEST(SmtpCommand, AuthMechanismAndInitialResponse) {
  auto plain = ok("auth plain AGFsaWNlAHB3");
  EXPECT_EQ(plain.verb, Verb::auth);
  EXPECT_EQ(plain.argument, "PLAIN");
  EXPECT_EQ(plain.initial_response, "AGFsaWNlAHB3");
  EXPECT_FALSE(ok("AUTH LOGIN").initial_response);
  EXPECT_EQ(ok("AUTH PLAIN =").initial_response, "=");
  EXPECT_EQ(error_of("AUTH"), "501 5.5.4");
  EXPECT_EQ(error_of("AUTH PLAIN a b"), "501 5.5.4");
  EXPECT_EQ(error_of("AUTH  PLAIN"), "501 5.5.4");
}

TEST(SmtpCommand, BdatBadSyntax) {
  EXPECT_EQ(error_of("BDAT"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT "), "501 5.5.4");  // trailing blank trimmed: no size
  EXPECT_EQ(error_of("BDAT LAST"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT -1"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT +5"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT 12x"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT 0x10"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT 18446744073709551616"), "501 5.5.4");  // over 64 bits
  EXPECT_EQ(error_of("BDAT 123456789012345678901"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT 10 FIRST"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT 10 LAST x"), "501 5.5.4");
  EXPECT_EQ(error_of("BDAT 10  LAST"), "501 5.5.4");
}
