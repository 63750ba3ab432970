// selfservice_test.cpp - the self-service page's sessions (random ids,
// idle expiry, CSRF comparison, renewal at sign-in, unconfirmed enrolments
// reported) and its HTML building blocks (escaping, labelled fields with
// their errors tied by aria-describedby).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "admin/web_html.h"
#include "auth/qr.h"
#include "admin/web_sessions.h"
#include "selfservice/pages.h"  // the admin:: web names used here

namespace sm::selfservice {
namespace {

using Clock = SessionStore::Clock;

TEST(SelfServiceSessions, IdsAreRandomHexOf256Bits) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = random_token();
    ASSERT_EQ(t.size(), 64u);
    ASSERT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SelfServiceSessions, ExpireAfterFifteenIdleMinutesOnly) {
  SessionStore store;
  auto t0 = Clock::now();
  Session s = store.create(t0);
  EXPECT_TRUE(store.find(s.id, t0 + std::chrono::minutes(14)));
  // Use refreshes it: 14 more minutes from the last use are still fine.
  EXPECT_TRUE(store.find(s.id, t0 + std::chrono::minutes(28)));
  EXPECT_FALSE(store.find(s.id, t0 + std::chrono::minutes(43)));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.find("not-a-session", t0));
}

TEST(SelfServiceSessions, CsrfMustMatchExactly) {
  SessionStore store;
  Session s = store.create(Clock::now());
  EXPECT_TRUE(SessionStore::csrf_matches(s, s.csrf));
  EXPECT_FALSE(SessionStore::csrf_matches(s, ""));
  EXPECT_FALSE(SessionStore::csrf_matches(s, s.csrf.substr(1)));
  std::string other = s.csrf;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(SessionStore::csrf_matches(s, other));
  Session empty;
  EXPECT_FALSE(SessionStore::csrf_matches(empty, ""));
}

TEST(SelfServiceSessions, SignInGivesANewIdAndToken) {
  SessionStore store;
  auto now = Clock::now();
  Session anon = store.create(now);
  Session in = store.sign_in(anon.id, "alice", false, "stamp", now);
  EXPECT_NE(in.id, anon.id);
  EXPECT_NE(in.csrf, anon.csrf);
  EXPECT_FALSE(store.find(anon.id, now));
  auto found = store.find(in.id, now);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->account, "alice");
  EXPECT_FALSE(found->strong);
}

TEST(SelfServiceSessions, UnconfirmedEnrolmentIsReportedWhenTheSessionEndsOrExpires) {
  std::vector<std::string> abandoned;
  SessionStore store([&](const Session& s) { abandoned.push_back(s.account); });
  auto now = Clock::now();
  Session a = store.sign_in("", "alice", false, "stamp", now);
  Session b = store.sign_in("", "bob", false, "stamp", now);
  Session c = store.sign_in("", "carol", false, "stamp", now);
  a.pending_totp = auth::TotpEnrolment{"SECRET", "otpauth://totp/x", {}};
  b.pending_totp = a.pending_totp;
  ASSERT_TRUE(store.update(a));
  ASSERT_TRUE(store.update(b));
  store.end(a.id);
  EXPECT_EQ(abandoned, std::vector<std::string>{"alice"});
  store.find(c.id, now + std::chrono::minutes(16));  // sweeps b (pending) and c (nothing pending)
  EXPECT_EQ(abandoned, (std::vector<std::string>{"alice", "bob"}));
}

TEST(SelfServiceHtml, EscapesEverythingThatCouldOpenMarkup) {
  EXPECT_EQ(html::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  std::string page = html::page("T<i>", "<p>body</p>", "saved <b>");
  EXPECT_NE(page.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(page.find("<h1>T&lt;i&gt;</h1>"), std::string::npos);
  EXPECT_NE(page.find("saved &lt;b&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST(SelfServiceHtml, FieldHasALabelAndItsErrorIsTiedToIt) {
  std::string f = html::field({.name = "code", .label = "Code", .error = "Wrong", .hint = "Six digits."});
  EXPECT_NE(f.find("<label for=\"code\">Code</label>"), std::string::npos);
  EXPECT_NE(f.find("aria-describedby=\"code-hint code-error\""), std::string::npos);
  EXPECT_NE(f.find("aria-invalid=\"true\""), std::string::npos);
  EXPECT_NE(f.find("<p class=\"error\" id=\"code-error\">Wrong</p>"), std::string::npos);
  std::string plain = html::field({.name = "account", .label = "Account"});
  EXPECT_EQ(plain.find("aria-describedby"), std::string::npos);
  EXPECT_NE(html::form("/x", "tok", "", "Go").find("name=\"csrf\" value=\"tok\""), std::string::npos);
}

TEST(SelfServiceQr, IsAPngDataUri) {
  auto uri = auth::qr_data_uri("otpauth://totp/b.example:alice?secret=JBSWY3DPEHPK3PXP&issuer=b.example");
  ASSERT_TRUE(uri) << uri.error().text;
  EXPECT_TRUE(uri->starts_with("data:image/png;base64,"));
  EXPECT_GT(uri->size(), 500u);
  EXPECT_FALSE(auth::qr_data_uri(std::string(8000, 'x')));  // more than a QR code holds
}

}  // namespace
}  // namespace sm::selfservice
