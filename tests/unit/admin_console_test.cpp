// admin_console_test.cpp - the web console through its transport-free
// WebRequest/WebResponse, with a real AccountStore, grant table and audit
// trail: sign-in refusals (wrong code, device password, no grant, no TOTP,
// the throttle), CSRF refusals, hostile senders and subjects escaped in
// the queue list, hold/release audited, bad filters answered 400, alerts
// on the overview, and a session that ends when its grant is revoked.
#include "admin/console.h"

#include <gtest/gtest.h>

#include <ctime>

#include "admin_fake_pickup.h"
#include "admin_fake_queue.h"
#include "audit/audit.h"
#include "auth_test_support.h"
#include "temp_dir.h"

using namespace sm;
using admin::WebRequest;
using admin::WebResponse;

namespace {

constexpr std::string_view kPassword = "correct horse battery";

queue::QueuedMessage queued(std::string id, std::string sender, std::string rcpt) {
  queue::QueuedMessage m;
  m.envelope.id = std::move(id);
  m.envelope.sender = std::move(sender);
  m.envelope.recipients.push_back({.address = std::move(rcpt), .last_reply = "451 4.4.1 <b>try later</b>"});
  m.envelope.arrival = std::time(nullptr) - 3600;
  return m;
}

class Console : public auth::test::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    add("alice", std::string(kPassword));
    auto enrolled = store_->enrol_totp("alice", "Example");
    ASSERT_TRUE(enrolled) << enrolled.error().text;
    secret_ = enrolled->secret_base32;
    add("bob", std::string(kPassword));  // no TOTP
    access_ = std::move(*admin::TokenStore::open(dir_));
    ASSERT_TRUE(*access_->grant_console("alice", 1));
    ASSERT_TRUE(*access_->grant_console("bob", 1));
    trail_ = std::shared_ptr<audit::AuditTrail>(std::move(*audit::AuditTrail::open(dir_)));
    queue_.all = {queued("AAAA0000000001", "<script>alert(1)</script>@evil.example", "\"><img src=x>@b.example"),
                  queued("AAAA0000000002", "carol@a.example", "dan@b.example")};
    admin::ConsoleContext ctx;
    ctx.access = access_.get();
    ctx.accounts = store_.get();
    throttle_ = std::make_unique<auth::Throttle>(limits());
    ctx.throttle = throttle_.get();
    ctx.queue = &queue_;
    ctx.pickup = &pickup_;
    ctx.alerts = [] {
      return std::vector<admin::Alert>{{"certificate-expiring", admin::Severity::warning, 1,
                                        "tls expires in 4 days <soon>"}};
    };
    ctx.trail = trail_;
    ctx.now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
    console_ = std::make_unique<admin::Console>(std::move(ctx));
  }
  void TearDown() override {
    console_.reset();
    access_.reset();
    StoreTest::TearDown();
  }

  // An anonymous session: its id and CSRF token.
  admin::Session anonymous() {
    WebResponse home = console_->handle({"GET", "/", "192.0.2.1", "", {}});
    EXPECT_EQ(home.status, 200);
    EXPECT_NE(home.body.find("Sign in to the console"), std::string::npos);
    auto s = console_->sessions().find(home.set_session, admin::SessionStore::Clock::now());
    EXPECT_TRUE(s);
    return *s;
  }
  WebResponse try_sign_in(const std::string& account, std::string_view password, const std::string& code) {
    admin::Session anon = anonymous();
    return console_->handle({"POST", "/signin", "192.0.2.1", anon.id,
                             {{"csrf", anon.csrf}, {"account", account}, {"password", std::string(password)},
                              {"code", code}}});
  }
  // A fresh code each call: a TOTP step is accepted only once.
  std::string next_code() { return code(secret_, std::time(nullptr) / 30 + (step_++ % 2 == 0 ? 0 : 1)); }
  // Signed in as alice: the session.
  admin::Session signed_in() {
    WebResponse r = try_sign_in("alice", kPassword, next_code());
    EXPECT_EQ(r.location, "/console/") << r.status << r.body;
    auto s = console_->sessions().find(r.set_session, admin::SessionStore::Clock::now());
    EXPECT_TRUE(s && s->account == "alice");
    return *s;
  }
  WebResponse get(const admin::Session& s, const std::string& path, std::map<std::string, std::string> query = {}) {
    WebRequest r{"GET", path, "192.0.2.1", s.id, {}};
    r.query = std::move(query);
    return console_->handle(r);
  }
  WebResponse post(const admin::Session& s, const std::string& path, const std::string& csrf) {
    return console_->handle({"POST", path, "192.0.2.1", s.id, {{"csrf", csrf}}});
  }
  std::vector<audit::Entry> entries() { return *trail_->list({}); }

  std::string secret_;
  int step_ = 0;
  std::unique_ptr<admin::TokenStore> access_;
  std::shared_ptr<audit::AuditTrail> trail_;
  test_support::FakeQueue queue_;
  test_support::FakePickup pickup_;
  virtual auth::ThrottleLimits limits() { return {.account_delay_after = 50, .account_lock = 60}; }
  std::unique_ptr<auth::Throttle> throttle_;
  std::unique_ptr<admin::Console> console_;
};

TEST_F(Console, SignsInWithPasswordAndCodeAndShowsTheOverview) {
  admin::Session s = signed_in();
  WebResponse page = get(s, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h1>Overview</h1>"), std::string::npos);
  EXPECT_NE(page.body.find("certificate-expiring"), std::string::npos);
  EXPECT_NE(page.body.find("tls expires in 4 days &lt;soon&gt;"), std::string::npos);
  EXPECT_NE(page.body.find("Skip to main content"), std::string::npos);
  EXPECT_EQ(entries().back().action, "console.signin");
  EXPECT_EQ(entries().back().actor, "console:alice");
}

TEST_F(Console, RefusesWrongCodesDevicePasswordsAndMissingGrantsAlike) {
  const std::string generic = "The account, password or code is not right.";
  WebResponse wrong_code = try_sign_in("alice", kPassword, "000000");
  EXPECT_EQ(wrong_code.status, 401);
  EXPECT_NE(wrong_code.body.find(generic), std::string::npos);
  WebResponse no_code = try_sign_in("alice", kPassword, "");
  EXPECT_EQ(no_code.status, 401);
  WebResponse wrong_password = try_sign_in("alice", "not the password", next_code());
  EXPECT_EQ(wrong_password.status, 401);
  EXPECT_NE(wrong_password.body.find(generic), std::string::npos);
  // A device password never signs in here, not even with a code.
  auto device = store_->add_device("alice", "phone", true);
  ASSERT_TRUE(device) << device.error().text;
  EXPECT_EQ(try_sign_in("alice", *device, "").status, 401);
  // Right password and code, but no console access: the same answer.
  ASSERT_TRUE(access_->revoke_console("alice"));
  WebResponse not_granted = try_sign_in("alice", kPassword, next_code());
  EXPECT_EQ(not_granted.status, 401);
  EXPECT_NE(not_granted.body.find(generic), std::string::npos);
  EXPECT_TRUE(not_granted.set_session.empty());
  EXPECT_TRUE(entries().empty());  // nobody signed in
}

TEST_F(Console, AnAccountWithoutTotpIsToldWhy) {
  WebResponse r = try_sign_in("bob", kPassword, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("no authenticator (TOTP) enrolled"), std::string::npos) << r.body;
  // A wrong password for it says nothing of the kind.
  WebResponse wrong = try_sign_in("bob", "not the password", "");
  EXPECT_EQ(wrong.body.find("TOTP) enrolled"), std::string::npos);
}

// The [auth] numbers, small: two failures lock the account.
class ConsoleThrottled : public Console {
  auth::ThrottleLimits limits() override {
    return {.account_delay_after = 1, .account_lock = 2, .first_delay = std::chrono::seconds(0),
            .max_delay = std::chrono::seconds(0)};
  }
};

TEST_F(ConsoleThrottled, TheThrottleLocksTheAccount) {
  try_sign_in("alice", "bad one", "");
  try_sign_in("alice", "bad two", "");
  WebResponse locked = try_sign_in("alice", kPassword, next_code());
  EXPECT_EQ(locked.status, 429);
  EXPECT_NE(locked.body.find("Too many failed attempts"), std::string::npos);
}

TEST_F(Console, PostsWithoutTheSessionsCsrfTokenAreRefused) {
  admin::Session s = signed_in();
  EXPECT_EQ(post(s, "/queue/AAAA0000000002/hold", "").status, 403);
  EXPECT_EQ(post(s, "/queue/AAAA0000000002/hold", std::string(64, 'a')).status, 403);
  admin::Session other = anonymous();
  EXPECT_EQ(post(s, "/queue/AAAA0000000002/hold", other.csrf).status, 403);
  EXPECT_EQ(console_->handle({"POST", "/queue/AAAA0000000002/hold", "192.0.2.1", "", {{"csrf", s.csrf}}}).status, 403);
  EXPECT_FALSE(queue_.all[1].held);
  // Not signed in: the right token of an anonymous session changes nothing either.
  WebResponse anon = post(other, "/queue/AAAA0000000002/hold", other.csrf);
  EXPECT_EQ(anon.location, "/console/");
  EXPECT_FALSE(queue_.all[1].held);
}

TEST_F(Console, HoldAndReleaseAreDoneAuditedAndReported) {
  admin::Session s = signed_in();
  WebResponse held = post(s, "/queue/AAAA0000000002/hold", s.csrf);
  EXPECT_EQ(held.location, "/console/queue/AAAA0000000002");
  EXPECT_TRUE(queue_.all[1].held);
  EXPECT_EQ(entries().back().actor, "console:alice");
  EXPECT_EQ(entries().back().action, "queue.hold");
  EXPECT_EQ(entries().back().object, "AAAA0000000002");
  WebResponse page = get(s, "/queue/AAAA0000000002");
  EXPECT_NE(page.body.find("role=\"status\">Message AAAA0000000002: hold done."), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("action=\"/console/queue/AAAA0000000002/release\""), std::string::npos);
  // Holding twice is refused and said so; nothing is audited.
  std::size_t before = entries().size();
  post(s, "/queue/AAAA0000000002/hold", s.csrf);
  EXPECT_NE(get(s, "/queue/AAAA0000000002").body.find("Not done: message is held already"), std::string::npos);
  EXPECT_EQ(entries().size(), before);
  post(s, "/queue/AAAA0000000002/release", s.csrf);
  EXPECT_FALSE(queue_.all[1].held);
  EXPECT_EQ(entries().back().action, "queue.release");
  post(s, "/queue/flush", s.csrf);
  EXPECT_EQ(queue_.flushes, 1);
  EXPECT_EQ(entries().back().action, "queue.flush");
}

TEST_F(Console, DeleteAsksFirstAndActsOnlyWithTheConfirmation) {
  admin::Session s = signed_in();
  WebResponse page = get(s, "/queue/AAAA0000000002");
  EXPECT_NE(page.body.find("href=\"/console/queue/AAAA0000000002/delete\""), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("action=\"/console/queue/AAAA0000000002/delete\""), std::string::npos) << page.body;
  // The message page's old one-click form, or a replayed POST: asked first, nothing deleted.
  WebResponse asked = post(s, "/queue/AAAA0000000002/delete", s.csrf);
  EXPECT_EQ(asked.location, "/console/queue/AAAA0000000002/delete");
  EXPECT_EQ(queue_.all.size(), 2u);
  WebResponse confirm = get(s, "/queue/AAAA0000000002/delete");
  EXPECT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("no bounce goes to the sender"), std::string::npos) << confirm.body;
  EXPECT_NE(confirm.body.find("name=\"confirm\" value=\"yes\""), std::string::npos);
  EXPECT_NE(confirm.body.find("href=\"/console/queue/AAAA0000000002\""), std::string::npos);
  EXPECT_EQ(get(s, "/queue/NOSUCHID0000/delete").status, 404);
  // Without the CSRF token the confirmation is refused like any change.
  EXPECT_EQ(console_->handle({"POST", "/queue/AAAA0000000002/delete", "192.0.2.1", s.id, {{"confirm", "yes"}}}).status,
            403);
  EXPECT_EQ(queue_.all.size(), 2u);
  WebResponse done =
      console_->handle({"POST", "/queue/AAAA0000000002/delete", "192.0.2.1", s.id, {{"csrf", s.csrf}, {"confirm", "yes"}}});
  EXPECT_EQ(done.location, "/console/queue");
  EXPECT_EQ(queue_.all.size(), 1u);
  EXPECT_EQ(entries().back().action, "queue.delete");
}

TEST_F(Console, UnknownMessagesAndActionsAreNotFound) {
  admin::Session s = signed_in();
  EXPECT_EQ(get(s, "/queue/NOSUCHID0000").status, 404);
  EXPECT_EQ(get(s, "/queue/..%2f..").status, 404);
  EXPECT_EQ(post(s, "/queue/AAAA0000000002/explode", s.csrf).status, 404);
  WebResponse gone = post(s, "/queue/NOSUCHID0000/delete", s.csrf);
  EXPECT_EQ(gone.location, "/console/queue");
  EXPECT_EQ(queue_.all.size(), 2u);
  EXPECT_EQ(get(s, "/nowhere").status, 404);
}

TEST_F(Console, HostileSendersAndRepliesAreEscapedInTheQueue) {
  admin::Session s = signed_in();
  WebResponse list = get(s, "/queue");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find("<script>"), std::string::npos);
  EXPECT_EQ(list.body.find("<img"), std::string::npos);
  EXPECT_NE(list.body.find("&lt;script&gt;alert(1)&lt;/script&gt;@evil.example"), std::string::npos);
  EXPECT_NE(list.body.find("&quot;&gt;&lt;img src=x&gt;@b.example"), std::string::npos);
  WebResponse one = get(s, "/queue/AAAA0000000001");
  EXPECT_EQ(one.body.find("<script>"), std::string::npos);
  EXPECT_EQ(one.body.find("<b>try later"), std::string::npos);
  EXPECT_NE(one.body.find("&lt;b&gt;try later"), std::string::npos);
  // A hostile filter value is escaped back into its field.
  WebResponse filtered = get(s, "/queue", {{"sender", "\"><script>x</script>"}});
  EXPECT_EQ(filtered.body.find("<script>x"), std::string::npos);
}

TEST_F(Console, FiltersTheQueueAndRefusesBadFilters) {
  admin::Session s = signed_in();
  WebResponse carol = get(s, "/queue", {{"sender", "carol@"}});
  EXPECT_NE(carol.body.find("AAAA0000000002"), std::string::npos);
  EXPECT_EQ(carol.body.find("AAAA0000000001"), std::string::npos);
  WebResponse bad = get(s, "/queue", {{"state", "exploded"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("State: choose active, deferred or held."), std::string::npos);
  EXPECT_EQ(get(s, "/queue", {{"lane", "fast"}}).status, 400);
}

TEST_F(Console, RevokingTheGrantEndsTheSession) {
  admin::Session s = signed_in();
  ASSERT_EQ(get(s, "/").status, 200);
  ASSERT_TRUE(access_->revoke_console("alice"));
  WebResponse r = get(s, "/");
  EXPECT_EQ(r.location, "/console/");
  EXPECT_FALSE(console_->sessions().find(s.id, admin::SessionStore::Clock::now()));
  WebResponse action = post(s, "/queue/AAAA0000000002/hold", s.csrf);
  EXPECT_EQ(action.status, 403);
  EXPECT_FALSE(queue_.all[1].held);
}

TEST_F(Console, AChangedPasswordEndsTheSession) {
  admin::Session s = signed_in();
  ASSERT_TRUE(store_->set_password("alice", "a brand new password"));
  EXPECT_EQ(get(s, "/queue").location, "/console/");
  EXPECT_FALSE(console_->sessions().find(s.id, admin::SessionStore::Clock::now()));
}

TEST_F(Console, ReadOnlyPagesRenderWithoutTheirSources) {
  admin::Session s = signed_in();
  EXPECT_NE(get(s, "/directory").body.find("No member directory is configured"), std::string::npos);
  EXPECT_NE(get(s, "/receipts").body.find("keeps no receipt ledger"), std::string::npos);
  EXPECT_NE(get(s, "/keys").body.find("No keys are known"), std::string::npos);
  WebResponse audit = get(s, "/audit");
  EXPECT_NE(audit.body.find("the chain is intact"), std::string::npos);
  EXPECT_NE(audit.body.find("console.signin"), std::string::npos);
}

// Through the admin listener's in-memory transport: the mount under
// /console, the headers, the cookie, a refused POST.
TEST_F(Console, IsServedUnderConsoleOnTheAdminListener) {
  admin::AdminServer server([] { return admin::Health{}; });
  admin::register_console_routes(server, *console_);
  std::string page = server.answer("GET /console HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200")) << page;
  for (std::string_view header : {"Cache-Control: no-store", "X-Frame-Options: DENY", "Content-Security-Policy: default-src 'none';",
                                  "Content-Type: text/html; charset=utf-8"})
    EXPECT_NE(page.find(header), std::string::npos) << header;
  auto at = page.find("Set-Cookie: securemail-console=");
  ASSERT_NE(at, std::string::npos) << page;
  std::string cookie = page.substr(at + 31, page.find("\r\n", at) - at - 31);
  EXPECT_EQ(cookie.substr(64), "; Path=/console; HttpOnly; SameSite=Strict") << cookie;
  EXPECT_NE(page.find("action=\"/console/signin\""), std::string::npos);
  std::string id = cookie.substr(0, 64);
  std::string form = "csrf=0&account=alice";
  std::string refused = server.answer("POST /console/signin HTTP/1.1\r\nHost: t\r\nConnection: close\r\nCookie: "
                                      "securemail-console=" + id + "\r\nContent-Type: application/x-www-form-urlencoded"
                                      "\r\nContent-Length: " + std::to_string(form.size()) + "\r\n\r\n" + form);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 403")) << refused;
  std::string other = server.answer("GET /consoles HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(other.starts_with("HTTP/1.1 404")) << other;
}

TEST(ConsoleAccess, GrantRevokeAndList) {
  test_support::TempDir dir;
  auto store = std::move(*admin::TokenStore::open(dir.path));
  EXPECT_TRUE(*store->grant_console("carol", 5));
  EXPECT_FALSE(*store->grant_console("carol", 6));  // already
  EXPECT_TRUE(*store->console_allowed("carol"));
  EXPECT_FALSE(*store->console_allowed("dave"));
  auto grants = *store->console_grants();
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].account, "carol");
  EXPECT_EQ(grants[0].granted, 5);
  EXPECT_TRUE(store->revoke_console("carol"));
  EXPECT_FALSE(store->revoke_console("carol"));  // nothing to revoke
  EXPECT_FALSE(*store->console_allowed("carol"));
}

}  // namespace

TEST_F(Console, SecurePickupListsAndWithdrawsAudited) {
  admin::Session s = signed_in();
  pickup_.rows[0].recipient = "<b>bob</b>@example.org";
  WebResponse page = get(s, "/pickup");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("&lt;b&gt;bob&lt;/b&gt;@example.org"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("action=\"/console/pickup/P-AAAA-BBBB-CCCC/revoke\""), std::string::npos);
  EXPECT_EQ(page.body.find("/console/pickup/P-DDDD-EEEE-FFFF/revoke"), std::string::npos) << "revoked already: no button";
  EXPECT_EQ(post(s, "/pickup/P-AAAA-BBBB-CCCC/revoke", "not the token").status, 403);
  EXPECT_TRUE(pickup_.revoked.empty());
  WebResponse done = post(s, "/pickup/P-AAAA-BBBB-CCCC/revoke", s.csrf);
  EXPECT_EQ(done.location, "/console/pickup");
  ASSERT_EQ(pickup_.revoked.size(), 1u);
  EXPECT_EQ(pickup_.revoked[0].second, "by alice in the console");
  EXPECT_EQ(entries().back().actor, "console:alice");
  EXPECT_EQ(entries().back().action, "pickup.revoke");
  EXPECT_NE(get(s, "/pickup").body.find("Message P-AAAA-BBBB-CCCC withdrawn"), std::string::npos);
  std::size_t before = entries().size();
  post(s, "/pickup/P-AAAA-BBBB-CCCC/revoke", s.csrf);
  EXPECT_NE(get(s, "/pickup").body.find("Not done: P-AAAA-BBBB-CCCC is revoked already"), std::string::npos);
  EXPECT_EQ(entries().size(), before);
  EXPECT_EQ(post(s, "/pickup/P-AAAA-BBBB-CCCC/delete", s.csrf).status, 404);
}
