// pickup_site_test.cpp - the secure pickup pages' behaviour on a real vault
// and ledger: opening the link (GET, HEAD, any number of times) sends and
// changes nothing; a POST without the form's token changes nothing; a code
// is mailed once a minute at most; wrong codes count down and then lock the
// message and tell its sender; the right code signs in with a fresh session
// that reads the message and downloads its attachment (each download told
// to the sender); an expired code, a revoked or expired message, an unknown
// or malformed link each get their page and nothing else; the token never
// reaches a log line.
#include <gtest/gtest.h>

#include "pickup_site_fixture.h"

namespace sm::pickup {
namespace {

TEST_F(PickupSite, OpeningTheLinkChangesAndSendsNothing) {
  for (int i = 0; i < 3; ++i) {
    auto r = request("GET", "/p/" + token_);
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Email me a sign-in code"), std::string::npos);
    EXPECT_NE(r.body.find(ref_), std::string::npos);
    EXPECT_NE(r.body.find("b**@example.org"), std::string::npos);
    EXPECT_EQ(r.body.find("Quarterly"), std::string::npos) << "no content before sign-in";
  }
  EXPECT_EQ(request("HEAD", "/p/" + token_).status, 200);
  EXPECT_TRUE(sent_.empty());
  EXPECT_TRUE(told_.empty());
  auto row = ledger_->by_ref(ref_);
  EXPECT_EQ(row->state, "waiting");
  EXPECT_EQ(row->codes_sent, 0);
  EXPECT_TRUE(ledger_->events(ref_).empty());
}

TEST_F(PickupSite, APostWithoutTheFormsTokenChangesNothing) {
  auto [session, csrf] = open_link();
  EXPECT_EQ(request("POST", "/p/" + token_, session, {{"csrf", "forged"}}).status, 403);
  EXPECT_EQ(request("POST", "/p/" + token_, "", {{"csrf", csrf}}).status, 403);
  EXPECT_EQ(request("POST", "/p/" + token_ + "/sign-in", session, {{"code", "00000000"}}).status, 403);
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(ledger_->by_ref(ref_)->codes_sent, 0);
}

TEST_F(PickupSite, ACodeIsMailedOnceAMinuteAtMost) {
  auto [session, csrf] = open_link();
  auto r = request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Sign-in code"), std::string::npos);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].first, "bob@example.org");
  EXPECT_EQ(sent_[0].second.size(), 8u);
  now_ += 30;
  r = request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  EXPECT_NE(r.body.find("less than a minute ago"), std::string::npos);
  EXPECT_EQ(sent_.size(), 1u);
  now_ += 31;
  request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(ledger_->by_ref(ref_)->code_hash, code_hash(ref_, sent_[1].second)) << "the new code replaces the old";
}

TEST_F(PickupSite, WrongCodesCountDownThenLockAndTellTheSender) {
  auto [session, csrf] = open_link();
  request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  ASSERT_EQ(sent_.size(), 1u);
  std::string wrong = sent_[0].second == "00000000" ? "11111111" : "00000000";
  for (int left = 4; left >= 1; --left) {
    auto r = request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", wrong}});
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find(std::to_string(left) + (left == 1 ? " try left" : " tries left")), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("aria-invalid=\"true\""), std::string::npos);
  }
  EXPECT_TRUE(told_.empty());
  auto r = request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", wrong}});
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("Locked for now"), std::string::npos);
  ASSERT_EQ(told_.size(), 1u);
  EXPECT_TRUE(told_[0].starts_with("alice@a.example locked 5 wrong sign-in codes")) << told_[0];
  // Locked: even the right code and a new code are refused until it ends.
  EXPECT_EQ(request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", sent_[0].second}}).status, 429);
  EXPECT_EQ(request("POST", "/p/" + token_, session, {{"csrf", csrf}}).status, 429);
  EXPECT_EQ(sent_.size(), 1u);
  now_ += 901;
  request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  ASSERT_EQ(sent_.size(), 2u);
  r = request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", sent_[1].second}});
  EXPECT_EQ(r.location, "/read");
}

TEST_F(PickupSite, TheRightCodeSignsInAFreshSessionThatReadsAndDownloads) {
  auto [session, csrf] = open_link();
  request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  ASSERT_EQ(sent_.size(), 1u);
  std::string code = sent_[0].second.substr(0, 4) + " " + sent_[0].second.substr(4);  // as people type it
  auto r = request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", code}});
  ASSERT_EQ(r.location, "/read");
  ASSERT_FALSE(r.set_session.empty());
  EXPECT_NE(r.set_session, session) << "a fresh session id after sign-in";
  ASSERT_EQ(told_.size(), 1u);
  EXPECT_EQ(told_[0], "alice@a.example opened first opened by the recipient");
  EXPECT_EQ(ledger_->by_ref(ref_)->state, "opened");
  EXPECT_EQ(request("GET", "/read", session).status, 403) << "the old session is not signed in";
  auto page = request("GET", "/read", r.set_session);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Quarterly &lt;figures&gt;"), std::string::npos);
  EXPECT_NE(page.body.find("Dear Bob, the figures are attached. &lt;b&gt;not bold&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/read/attachment/0\""), std::string::npos);
  EXPECT_NE(page.body.find("report.pdf"), std::string::npos);
  auto pdf = request("GET", "/read/attachment/0", r.set_session);
  EXPECT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.body, "%PDF-1.4\nsecret");
  EXPECT_EQ(pdf.download_name, "report.pdf");
  EXPECT_EQ(pdf.content_type, "application/octet-stream");
  ASSERT_EQ(told_.size(), 2u);
  EXPECT_EQ(told_[1], "alice@a.example downloaded report.pdf");
  EXPECT_EQ(request("GET", "/read/attachment/1", r.set_session).status, 404);
  EXPECT_EQ(request("GET", "/read/attachment/x", r.set_session).status, 404);
  // The code was used up (the session before sign-in is gone: its form no longer counts).
  auto s = site_->sessions().find(r.set_session, admin::SessionStore::Clock::now());
  ASSERT_TRUE(s);
  EXPECT_NE(s->csrf, csrf) << "a fresh form token too";
  EXPECT_EQ(request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", sent_[0].second}}).status, 403);
  auto again = request("POST", "/p/" + token_ + "/sign-in", s->id, {{"csrf", s->csrf}, {"code", sent_[0].second}});
  EXPECT_NE(again.body.find("expired or was used already"), std::string::npos);
  // Sign out: the session is over.
  auto out = request("POST", "/sign-out", r.set_session, {{"csrf", s->csrf}});
  EXPECT_TRUE(out.clear_session);
  EXPECT_EQ(request("GET", "/read", r.set_session).status, 403);
}

TEST_F(PickupSite, AnExpiredCodeDoesNotSignIn) {
  auto [session, csrf] = open_link();
  request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  now_ += kCodeSeconds;
  auto r = request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", sent_[0].second}});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.location.empty());
  EXPECT_NE(r.body.find("expired or was used already"), std::string::npos);
}

TEST_F(PickupSite, RevokedAndExpiredMessagesShowOnlyThat) {
  auto [session, csrf] = open_link();
  request("POST", "/p/" + token_, session, {{"csrf", csrf}});
  auto in = request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", sent_[0].second}});
  ASSERT_EQ(request("GET", "/read", in.set_session).status, 200);
  ASSERT_TRUE(*ledger_->close(ref_, "revoked"));
  auto r = request("GET", "/read", in.set_session);
  EXPECT_EQ(r.status, 410);
  EXPECT_NE(r.body.find("The sender withdrew this message"), std::string::npos);
  EXPECT_EQ(r.body.find("Dear Bob"), std::string::npos);
  EXPECT_EQ(request("GET", "/p/" + token_).status, 410);
  auto visitor = site_->sessions().create(admin::SessionStore::Clock::now());  // another browser
  EXPECT_EQ(request("POST", "/p/" + token_, visitor.id, {{"csrf", visitor.csrf}}).status, 410);
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(PickupSite, TheExpiryDateEndsReading) {
  now_ += 14 * 86400;
  auto r = request("GET", "/p/" + token_);
  EXPECT_EQ(r.status, 410);
  EXPECT_NE(r.body.find("has been deleted"), std::string::npos);
}

TEST_F(PickupSite, UnknownAndMalformedLinksAreNotFound) {
  EXPECT_EQ(request("GET", "/p/" + new_token()).status, 404);
  EXPECT_EQ(request("GET", "/p/short").status, 404);
  EXPECT_EQ(request("GET", "/p/" + token_.substr(0, 42) + "!").status, 404);
  EXPECT_EQ(request("GET", "/p/" + token_ + "/sign-in").status, 404);
  EXPECT_EQ(request("GET", "/nowhere").status, 404);
  EXPECT_EQ(request("GET", "/about").status, 200);
  EXPECT_NE(request("GET", "/about").body.find("never asks for the password"), std::string::npos);
}

TEST_F(PickupSite, TheTokenNeverReachesALog) {
  EXPECT_EQ(Site::loggable("/p/" + token_), "/p/\xe2\x80\xa6");
  EXPECT_EQ(Site::loggable("/p/" + token_ + "/sign-in"), "/p/\xe2\x80\xa6/sign-in");
  EXPECT_EQ(Site::loggable("/read"), "/read");
  EXPECT_EQ(new_token().size(), 43u);
  EXPECT_NE(new_token(), new_token());
}

}  // namespace
}  // namespace sm::pickup
