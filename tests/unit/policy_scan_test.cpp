// policy_scan_test.cpp - Scanner::scan over real MIME: a table of where a
// marking can be (subject with RFC 2047, first body line, the marking
// header, text attachments in base64 and quoted-printable, other charsets,
// forwarded messages), trigger words as whole words, attachments, threads,
// Auto-Submitted, personal senders, and the 554 5.6.0 bounds.
#include <gtest/gtest.h>

#include "policy/scan.h"
#include "policy_test_support.h"

using namespace sm;
using test::Encoding;
using test::TestPart;

namespace {

const std::vector<std::string> kHeaders = {"From: Alice <alice@a.example>", "To: bob@b.example", "Subject: hello"};

TestPart text(std::string content, Encoding e = Encoding::none) { return {"text/plain; charset=utf-8", "", e, std::move(content)}; }
TestPart file(std::string name, std::string content, Encoding e) { return {"text/plain; charset=utf-8", std::move(name), e, std::move(content)}; }

policy::MessageFacts scan(const config::Config& c, const std::string& message) {
  policy::Scanner s(c);
  policy::MessageFacts f;
  f.sender = "alice@a.example";
  auto r = s.scan(message, f);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().reply());
  return f;
}

struct Case {
  const char* name;
  std::string message;
  const char* label;  // effective marking
  const char* where;  // where the effective one was found ("" : none)
};

std::vector<Case> cases() {
  std::string plain = test::render_message(kHeaders, {text("Hi Bob,\nsee you.\n")});
  std::string subject = test::render_message({"From: a@a.example", "Subject: [RESTRICTED:MEDICAL] results"}, {text("x\n")});
  std::string encoded_subject = test::render_message(
      {"From: a@a.example", "Subject: =?UTF-8?B?W1NFTlNJVElWRV0gcsOpc3Vtw6k=?="}, {text("x\n")});
  std::string first_line = test::render_message(kHeaders, {text("\n\n  IN CONFIDENCE\nHi Bob,\n")});
  std::string header = test::render_message({"From: a@a.example", "X-Protective-Marking: SENSITIVE:COMMERCIAL"}, {text("x\n")});
  std::string b64 = test::render_message(kHeaders, {text("Hi\n"), file("Notes.TXT", "minutes [SECRET//REL TO NZL, AUS]\n", Encoding::base64)});
  std::string qp = test::render_message(kHeaders, {text("Caf\xc3\xa9 = bar, see [RESTRICTED] in the middle of a long line that goes on and on past 76\n", Encoding::qp)});
  std::string latin1 = test::render_message(kHeaders, {{"text/plain; charset=iso-8859-1", "", Encoding::qp, "Caf\xe9 [SENSITIVE:NZEO]\n"}});
  std::string octet = test::render_message(kHeaders, {text("Hi\n"), {"application/octet-stream", "list.csv", Encoding::base64, "a,b\n[RESTRICTED],c\n"}});
  std::string nested = test::render_message({"From: c@c.example", "Subject: Fwd: hello"}, {text("see attached\n"), test::attached_message(header)});
  std::string deep = test::render_message({"From: d@d.example", "Subject: Fwd: Fwd"}, {test::attached_message(nested)});
  return {
      {"plain", plain, "", ""},
      {"subject", subject, "[RESTRICTED:MEDICAL]", "subject"},
      {"rfc2047 subject", encoded_subject, "[SENSITIVE]", "subject"},
      {"first body line", first_line, "[IN-CONFIDENCE]", "first body line"},
      {"header", header, "[SENSITIVE:COMMERCIAL]", "header X-Protective-Marking"},
      {"base64 attachment", b64, "[SECRET//REL TO NZL, AUS]", "attachment notes.txt"},
      {"quoted-printable body", qp, "[RESTRICTED]", "body"},
      {"latin-1 body", latin1, "[SENSITIVE:NZEO]", "body"},
      {"octet-stream csv", octet, "[RESTRICTED]", "attachment list.csv"},
      {"forwarded as rfc822", nested, "[SENSITIVE:COMMERCIAL]", "attached message 1: header X-Protective-Marking"},
      {"forward of a forward", deep, "[SENSITIVE:COMMERCIAL]", "attached message 2: header X-Protective-Marking"},
  };
}

}  // namespace

TEST(PolicyScan, WhereMarkingsAre) {
  config::Config c;
  for (const auto& k : cases()) {
    auto f = scan(c, k.message);
    EXPECT_TRUE(f.content_known);
    EXPECT_EQ(f.size, k.message.size());
    EXPECT_EQ(f.marking.label(), k.label) << k.name;
    bool named = std::string(k.where).empty();
    for (const auto& m : f.markings) named = named || (m.where == k.where && m.marking.rank == f.marking.rank);
    EXPECT_TRUE(named) << k.name << ": not found at " << k.where;
  }
}

TEST(PolicyScan, HighestOfSeveral) {
  config::Config c;
  std::string m = test::render_message({"From: a@a.example", "Subject: [IN-CONFIDENCE] x", "X-Protective-Marking: [SENSITIVE]"},
                                       {text("RESTRICTED\nbody\n"), file("a.txt", "[SENSITIVE:NZEO]", Encoding::qp)});
  auto f = scan(c, m);
  EXPECT_EQ(f.marking.label(), "[RESTRICTED:NZEO]");
  EXPECT_EQ(f.markings.size(), 4u);
  EXPECT_EQ(f.from, "a@a.example");
}

TEST(PolicyScan, AustralianFormats) {
  config::Config c;
  c.markings.australian = true;
  std::string m = test::render_message(
      {"From: a@agency.gov.au", "Subject: Budget [SEC=OFFICIAL:Sensitive, CAVEAT=RI:REL AUS/NZL]",
       "X-Protective-Marking: VER=2018.1, NS=gov.au, SEC=PROTECTED, CAVEAT=SH:CABINET, ORIGIN=a@agency.gov.au"},
      {text("x\n")});
  auto f = scan(c, m);
  EXPECT_EQ(f.marking.level, "RESTRICTED");
  EXPECT_EQ(f.marking.released_to(), (std::vector<std::string>{"AU", "NZ"}));
  c.markings.australian = false;
  EXPECT_FALSE(scan(c, m).marking.present());
}

TEST(PolicyScan, TriggerWordsWholeWordsAnyCase) {
  config::Config c;
  struct {
    std::string subject, body;
    std::vector<std::string> want;
  } table[] = {
      {"[SEEMAIL] plans", "x", {"SEEMAIL"}},
      {"seemail plans", "x", {"SEEMAIL"}},
      {"SEEMAILS and XSEEMAIL", "seemail_x", {}},
      {"hello", "please keep this in confidence\n", {"IN-CONFIDENCE"}},
      {"hello", "[Trusted] partners and [restricted] stuff", {"TRUSTED", "RESTRICTED"}},
  };
  for (const auto& t : table) {
    auto f = scan(c, test::render_message({"From: a@a.example", "Subject: " + t.subject}, {text(t.body)}));
    EXPECT_EQ(f.triggers, t.want) << t.subject << " / " << t.body;
  }
  // In a base64 text attachment too.
  auto f = scan(c, test::render_message(kHeaders, {text("x"), file("n.txt", "for SeeMail only", Encoding::base64)}));
  EXPECT_EQ(f.triggers, (std::vector<std::string>{"SEEMAIL"}));
}

TEST(PolicyScan, AttachmentsThreadsAndAutoSubmitted) {
  config::Config c;
  std::string m = test::render_message(
      {"From: a@a.example", "In-Reply-To: <1@a.example>", "References: <0@a.example>\r\n <1@a.example>", "Auto-Submitted: auto-replied"},
      {text("x"), {"application/ZIP", "Report.ZIP", Encoding::base64, "PK"}, {"image/png", "", Encoding::base64, "png"}});
  auto f = scan(c, m);
  EXPECT_EQ(f.attachment_types, (std::vector<std::string>{"application/zip"}));
  EXPECT_EQ(f.attachment_names, (std::vector<std::string>{"report.zip"}));
  EXPECT_EQ(f.references, (std::vector<std::string>{"<1@a.example>", "<0@a.example>"}));
  EXPECT_TRUE(f.auto_submitted);
  EXPECT_FALSE(scan(c, test::render_message({"From: a@a.example", "Auto-Submitted: no"}, {text("x")})).auto_submitted);
  EXPECT_FALSE(scan(c, test::render_message({"From: a@a.example"}, {text("x")})).auto_submitted);
}

TEST(PolicyScan, PersonalFromEnvelopeOrFrom) {
  config::Config c;
  c.personal.senders = {"*@personaluse.agency.govt.nz"};
  policy::Scanner s(c);
  std::string m = test::render_message({"From: jo@personaluse.agency.govt.nz"}, {text("x")});
  policy::MessageFacts f;
  f.sender = "bounce@agency.govt.nz";
  ASSERT_TRUE(s.scan(m, f));
  EXPECT_TRUE(f.personal);
  policy::MessageFacts g;
  g.sender = "jo@agency.govt.nz";
  ASSERT_TRUE(s.scan(test::render_message({"From: jo@agency.govt.nz"}, {text("x")}), g));
  EXPECT_FALSE(g.personal);
}

TEST(PolicyScan, BoundsAre554) {
  config::Config c;
  policy::Scanner s(c);
  std::vector<TestPart> many(1001, text("x"));
  policy::MessageFacts f;
  auto r = s.scan(test::render_message({"From: a@a.example"}, many), f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 554);
  EXPECT_EQ(r.error().enhanced, "5.6.0");
  std::string deep = test::render_message({"From: a@a.example"}, {text("[SECRET]")});
  for (int i = 0; i < 11; ++i) deep = test::render_message({"From: a@a.example"}, {test::attached_message(deep)});
  r = s.scan(deep, f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reply(), "554 5.6.0 message nested more than 10 deep");
  // Ten levels are fine, and the marking at the bottom counts.
  std::string ok = test::render_message({"From: a@a.example"}, {text("[SECRET]")});
  for (int i = 0; i < 4; ++i) ok = test::render_message({"From: a@a.example"}, {test::attached_message(ok)});
  policy::MessageFacts g;
  ASSERT_TRUE(s.scan(ok, g));
  EXPECT_EQ(g.marking.label(), "[SECRET]");
}
