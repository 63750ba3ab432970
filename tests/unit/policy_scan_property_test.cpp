// policy_scan_property_test.cpp - property tests over generated messages
// and ladders: a reply (subject "Re: " + the original's, the original body
// quoted with "> ") or a forward (inline, or the original attached as
// message/rfc822; text parts in base64 or quoted-printable) never has a
// lower effective marking than the original, and never sheds its NZEO.
//
// A reply quotes only the body, so its originals carry their marking in
// the subject or the body; forwards as attachment also take the marking
// header and text attachments along.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "policy/scan.h"
#include "policy_test_support.h"

using namespace sm;
using test::Encoding;
using test::TestPart;

namespace {

enum class Place { subject, first_line, inline_text, header, attachment };

struct Generator {
  std::mt19937 rng;
  explicit Generator(unsigned seed) : rng(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
  template <class T>
  const T& any(const std::vector<T>& v) { return v[static_cast<std::size_t>(pick(static_cast<int>(v.size())))]; }

  // A ladder: the New Zealand one, or an ordered subset of it with other
  // names mixed in, at least two levels.
  std::vector<std::string> ladder() {
    std::vector<std::string> nz = config::MarkingsConfig{}.ladder;
    if (pick(3) == 0) return nz;
    std::vector<std::string> out;
    for (const auto& l : nz)
      if (pick(2) == 0) out.push_back(pick(4) == 0 ? "LEVEL " + l : l);
    while (out.size() < 2) out.push_back("EXTRA " + std::to_string(out.size()));
    return out;
  }

  // A marking on the ladder in one of its spellings, endorsements maybe.
  std::string marking(const std::vector<std::string>& ladder, int at_most, bool brackets) {
    std::string level = ladder[static_cast<std::size_t>(pick(at_most + 1))];
    if (pick(2) == 0)
      for (char& c : level)
        if (c == '-') c = ' ';
    std::string m = level;
    int e = pick(5);
    if (e == 1) m += ":MEDICAL";
    if (e == 2) m += ":COMMERCIAL, NZEO";
    if (e == 3) m += "//REL TO NZL, AUS";
    return brackets ? "[" + m + "]" : m;
  }

  Encoding encoding() { return static_cast<Encoding>(pick(3)); }

  std::string filler() {
    static const std::vector<std::string> words = {"budget", "meeting", "minutes", "Friday", "see", "attached", "thanks", "="};
    std::string s;
    for (int i = 0, n = 3 + pick(30); i < n; ++i) s += any(words) + (pick(8) == 0 ? "\n" : " ");
    return s + "\n";
  }
};

struct Original {
  std::string subject, body;
  std::vector<std::string> headers;
  std::vector<TestPart> attachments;
  std::string message;
};

Original original(Generator& g, const std::vector<std::string>& ladder, const std::vector<Place>& places) {
  Original o;
  o.subject = "report " + g.filler().substr(0, 10);
  std::replace(o.subject.begin(), o.subject.end(), '\n', ' ');
  o.body = g.filler();
  Place p = places[static_cast<std::size_t>(g.pick(static_cast<int>(places.size())))];
  int top = static_cast<int>(ladder.size()) - 1;
  switch (p) {
    case Place::subject: o.subject = g.marking(ladder, top, true) + " " + o.subject; break;
    case Place::first_line: o.body = g.marking(ladder, top, false) + "\n\n" + o.body; break;
    case Place::inline_text: o.body += "as noted " + g.marking(ladder, top, true) + " above\n" + g.filler(); break;
    case Place::header: o.headers.push_back("X-Protective-Marking: " + g.marking(ladder, top, g.pick(2) == 0)); break;
    case Place::attachment:
      o.attachments.push_back({"text/plain; charset=utf-8", "notes.txt", g.encoding(), g.filler() + g.marking(ladder, top, true) + "\n"});
      break;
  }
  std::vector<std::string> h = {"From: alice@a.example", "Subject: " + o.subject, "Message-ID: <o@a.example>"};
  h.insert(h.end(), o.headers.begin(), o.headers.end());
  std::vector<TestPart> parts = {{"text/plain; charset=utf-8", "", g.encoding(), o.body}};
  parts.insert(parts.end(), o.attachments.begin(), o.attachments.end());
  o.message = test::render_message(h, parts);
  return o;
}

// The answer's own text: maybe a lower marking of its own first.
std::string own_text(Generator& g, const std::vector<std::string>& ladder, int original_rank) {
  if (original_rank > 0 && g.pick(2) == 0) return g.marking(ladder, original_rank - 1, g.pick(2) == 0) + "\n\nSee below.\n";
  return "See below.\n";
}

std::string quote_all(const std::string& body) {
  std::string out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    out += "> " + body.substr(pos, end - pos) + "\n";
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

class Property : public ::testing::Test {
 protected:
  policy::MessageFacts scan(const config::Config& c, const std::string& m) {
    policy::MessageFacts f;
    auto r = policy::Scanner(c).scan(m, f);
    EXPECT_TRUE(r.has_value());
    return f;
  }
  void check(const config::Config& c, const std::string& orig, const std::string& answer, const char* kind) {
    auto before = scan(c, orig).marking;
    auto after = scan(c, answer).marking;
    ASSERT_TRUE(before.present()) << orig;
    EXPECT_GE(after.rank, before.rank) << kind << "\n--- original\n" << orig << "\n--- answer\n" << answer;
    if (before.eyes_only()) {
      EXPECT_TRUE(after.eyes_only()) << kind << "\n" << answer;
    }
    ++checked;
  }
  int checked = 0;
};

}  // namespace

TEST_F(Property, ReplyNeverLowersTheMarking) {
  Generator g(15001);
  for (int i = 0; i < 300; ++i) {
    config::Config c;
    c.markings.ladder = g.ladder();
    Original o = original(g, c.markings.ladder, {Place::subject, Place::first_line, Place::inline_text});
    int rank = scan(c, o.message).marking.rank;
    std::string body = own_text(g, c.markings.ladder, rank) + "\nOn Friday alice@a.example wrote:\n" + quote_all(o.body);
    std::string reply = test::render_message(
        {"From: bob@b.example", "Subject: Re: " + o.subject, "In-Reply-To: <o@a.example>"},
        {{"text/plain; charset=utf-8", "", g.encoding(), body}});
    check(c, o.message, reply, "reply");
  }
  EXPECT_EQ(checked, 300);
}

TEST_F(Property, InlineForwardNeverLowersTheMarking) {
  Generator g(15002);
  for (int i = 0; i < 300; ++i) {
    config::Config c;
    c.markings.ladder = g.ladder();
    Original o = original(g, c.markings.ladder, {Place::subject, Place::first_line, Place::inline_text, Place::attachment});
    int rank = scan(c, o.message).marking.rank;
    std::string body = own_text(g, c.markings.ladder, rank) +
                       "\n---------- Forwarded message ---------\nFrom: alice@a.example\nSubject: " + o.subject +
                       "\n\n" + o.body;
    std::vector<TestPart> parts = {{"text/plain; charset=utf-8", "", g.encoding(), body}};
    for (auto a : o.attachments) {
      a.encoding = g.encoding();  // re-attached, maybe re-encoded
      parts.push_back(a);
    }
    check(c, o.message, test::render_message({"From: bob@b.example", "Subject: Fwd: " + o.subject}, parts), "inline forward");
  }
  EXPECT_EQ(checked, 300);
}

TEST_F(Property, AttachedForwardNeverLowersTheMarking) {
  Generator g(15003);
  for (int i = 0; i < 300; ++i) {
    config::Config c;
    c.markings.ladder = g.ladder();
    Original o = original(g, c.markings.ladder,
                          {Place::subject, Place::first_line, Place::inline_text, Place::header, Place::attachment});
    int rank = scan(c, o.message).marking.rank;
    std::vector<TestPart> parts = {{"text/plain; charset=utf-8", "", g.encoding(), own_text(g, c.markings.ladder, rank)},
                                   test::attached_message(o.message)};
    std::string subject = g.pick(2) == 0 ? "Fwd: " + o.subject : "FW: have a look";
    check(c, o.message, test::render_message({"From: bob@b.example", "Subject: " + subject}, parts), "attached forward");
  }
  EXPECT_EQ(checked, 300);
}
