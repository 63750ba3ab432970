// pickup_reply_test.cpp - replying from the pickup page: the form under the
// message (reply-all only where [pickup] replies = "all" offers it; none
// at all under "none"); a reply goes From: the recipient to the original
// sender with Re:, In-Reply-To/References, X-SecureMail-Pickup-Reply, its
// text and attachment readable back as sent, and the sender is told; every
// refusal (no form token, reply-all not offered, too large, empty, revoked,
// locked, the limit reached, the queue refusing) queues and tells nothing.
#include <gtest/gtest.h>

#include <algorithm>

#include "pickup/message_view.h"
#include "pickup/service.h"
#include "pickup_site_fixture.h"

namespace sm::pickup {
namespace {

using Replies = config::Config::Pickup::Replies;

constexpr std::string_view kThread =
    "From: Alice <alice@a.example>\r\n"
    "To: bob@example.org, Carol <carol@partner.example>\r\n"
    "Cc: dave@a.example, \"Bob again\" <BOB@example.org>\r\n"
    "Subject: Quarterly figures\r\n"
    "Message-ID: <orig.1@a.example>\r\n"
    "References: <older.0@a.example>\r\n"
    "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n"
    "\r\n"
    "Dear Bob, see the figures.\r\n";

class PickupReply : public PickupSite {
 protected:
  void configure(SiteOptions& o) override {
    o.replies = replies_mode_;
    o.reply_max_size = 4096;
  }
  std::string_view message() const override { return kThread; }

  admin::WebResponse post_reply(const std::string& session, std::map<std::string, std::string> form,
                                std::vector<admin::WebRequest::Upload> files = {}) {
    admin::WebRequest r;
    r.method = "POST";
    r.path = "/read/reply";
    r.session_id = session;
    r.form = std::move(form);
    r.files = std::move(files);
    return site_->handle(r);
  }
  std::size_t told(std::string_view kind) {
    return static_cast<std::size_t>(std::ranges::count_if(told_, [&](const std::string& t) {
      return t.find(" " + std::string(kind) + " ") != std::string::npos;
    }));
  }

  Replies replies_mode_ = Replies::sender;
};

class PickupReplyAll : public PickupReply {
 protected:
  void SetUp() override {
    replies_mode_ = Replies::all;
    PickupReply::SetUp();
  }
};

class PickupReplyNone : public PickupReply {
 protected:
  void SetUp() override {
    replies_mode_ = Replies::none;
    PickupReply::SetUp();
  }
};

TEST_F(PickupReply, TheFormIsUnderTheMessageWithoutReplyAll) {
  auto [session, csrf] = sign_in();
  auto page = request("GET", "/read", session);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("action=\"/read/reply\" enctype=\"multipart/form-data\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<label for=\"reply\">Your reply</label>"), std::string::npos);
  EXPECT_NE(page.body.find("<textarea id=\"reply\" name=\"reply\""), std::string::npos);
  EXPECT_NE(page.body.find("<input type=\"file\" id=\"attachment\" name=\"attachment\">"), std::string::npos);
  EXPECT_NE(page.body.find("name=\"csrf\" value=\"" + csrf + "\""), std::string::npos);
  EXPECT_NE(page.body.find("to alice@a.example, from your address bob@example.org."), std::string::npos);
  EXPECT_EQ(page.body.find("name=\"all\""), std::string::npos) << "no reply-all under replies = \"sender\"";
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
}

TEST_F(PickupReply, AReplyGoesFromTheRecipientToTheSender) {
  auto [session, csrf] = sign_in();
  const std::string text = "Thanks \xe2\x80\x94 figures received.\nSigned copy attached.\n";
  auto r = post_reply(session, {{"csrf", csrf}, {"reply", text}},
                      {{"attachment", "C:\\Users\\bob\\Re\xcc\x81sume\xcc\x81 \"final\".pdf", "application/pdf",
                        "%PDF-1.4\nsigned"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("Reply sent"), std::string::npos);
  ASSERT_EQ(replies_.size(), 1u);
  const Reply& q = replies_[0];
  EXPECT_EQ(q.author, "bob@example.org");
  EXPECT_EQ(q.recipients, std::vector<std::string>{"alice@a.example"});
  const std::string& m = q.text;
  EXPECT_TRUE(m.starts_with("From: <bob@example.org>\r\nTo: <alice@a.example>\r\nSubject: Re: Quarterly figures\r\n")) << m;
  EXPECT_EQ(m.find("\r\nCc:"), std::string::npos);
  EXPECT_NE(m.find("\r\nIn-Reply-To: <orig.1@a.example>\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nReferences: <older.0@a.example> <orig.1@a.example>\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nMessage-ID: <pickup."), std::string::npos);
  EXPECT_NE(m.find("@a.example>\r\nIn-Reply-To"), std::string::npos) << "a fresh Message-ID in our domain";
  EXPECT_NE(m.find("\r\nDate: "), std::string::npos);
  EXPECT_NE(m.find("\r\nX-SecureMail-Pickup-Reply: " + ref_ + "\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Transfer-Encoding: quoted-printable\r\n\r\nThanks =E2=80=94 figures"), std::string::npos) << m;
  EXPECT_NE(m.find("filename*=UTF-8''Re%CC%81sume%CC%81%20%22final%22.pdf"), std::string::npos) << m;
  EXPECT_NE(m.find("filename=\"Re__sume__ _final_.pdf\""), std::string::npos) << m;
  // What a mail reader makes of it: the text and the file as sent.
  auto view = view_message(m);
  ASSERT_TRUE(view) << view.error().text;
  EXPECT_EQ(view->text, "Thanks \xe2\x80\x94 figures received.\r\nSigned copy attached.\r\n");
  ASSERT_EQ(view->attachments.size(), 1u);
  EXPECT_EQ(view->attachments[0].name, "Re\xcc\x81sume\xcc\x81 \"final\".pdf");
  EXPECT_EQ(view->attachments[0].type, "application/pdf");
  EXPECT_EQ(attachment_content(m, 0), "%PDF-1.4\nsigned");
  ASSERT_EQ(told("replied"), 1u);
  EXPECT_EQ(told_.back(), "alice@a.example replied alice@a.example with an attachment");
}

TEST_F(PickupReply, ReplyAllIsRefusedUnderSender) {
  auto [session, csrf] = sign_in();
  auto r = post_reply(session, {{"csrf", csrf}, {"reply", "To everyone"}, {"all", "yes"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(replies_.empty());
  EXPECT_EQ(told("replied"), 0u);
}

TEST_F(PickupReplyAll, ReplyAllReachesTheOriginalParticipantsOnly) {
  auto [session, csrf] = sign_in();
  auto page = request("GET", "/read", session);
  EXPECT_NE(page.body.find("<input type=\"checkbox\" id=\"all\" name=\"all\" value=\"yes\">"), std::string::npos)
      << page.body;
  EXPECT_NE(page.body.find("also carol@partner.example, dave@a.example"), std::string::npos) << page.body;
  // Fields the form does not have (an address typed in) change nothing.
  auto r = post_reply(session, {{"csrf", csrf}, {"reply", "To everyone"}, {"all", "yes"}, {"to", "eve@x.example"}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(replies_.size(), 1u);
  EXPECT_EQ(replies_[0].recipients,
            (std::vector<std::string>{"alice@a.example", "carol@partner.example", "dave@a.example"}));
  EXPECT_NE(replies_[0].text.find("\r\nTo: <alice@a.example>\r\nCc: <carol@partner.example>, <dave@a.example>\r\n"),
            std::string::npos)
      << replies_[0].text;
  EXPECT_EQ(replies_[0].text.find("eve@"), std::string::npos);
  // Without the box ticked: the sender only.
  ASSERT_EQ(post_reply(session, {{"csrf", csrf}, {"reply", "Just you"}}).status, 200);
  EXPECT_EQ(replies_.at(1).recipients, std::vector<std::string>{"alice@a.example"});
}

TEST_F(PickupReplyNone, NoFormAndThePostIsRefused) {
  auto [session, csrf] = sign_in();
  auto page = request("GET", "/read", session);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("/read/reply"), std::string::npos);
  EXPECT_EQ(post_reply(session, {{"csrf", csrf}, {"reply", "Hello"}}).status, 403);
  EXPECT_TRUE(replies_.empty());
}

TEST_F(PickupReply, WithoutTheFormsTokenNothingIsQueued) {
  auto [session, csrf] = sign_in();
  EXPECT_EQ(post_reply(session, {{"reply", "Hello"}}).status, 403);
  EXPECT_EQ(post_reply(session, {{"csrf", "forged"}, {"reply", "Hello"}}).status, 403);
  EXPECT_EQ(post_reply("", {{"csrf", csrf}, {"reply", "Hello"}}).status, 403);
  auto [other, other_csrf] = open_link();  // a session that is not signed in
  EXPECT_EQ(post_reply(other, {{"csrf", other_csrf}, {"reply", "Hello"}}).status, 403);
  EXPECT_TRUE(replies_.empty());
  EXPECT_EQ(told("replied"), 0u);
}

TEST_F(PickupReply, TooLargeIs413AndNothingIsQueued) {
  auto [session, csrf] = sign_in();
  auto r = post_reply(session, {{"csrf", csrf}, {"reply", "Big file"}},
                      {{"attachment", "big.bin", "application/octet-stream", std::string(4096, 'x')}});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("Nothing was sent"), std::string::npos);
  EXPECT_EQ(post_reply(session, {{"csrf", csrf}, {"reply", std::string(5000, 'y')}}).status, 413);
  EXPECT_TRUE(replies_.empty());
}

TEST_F(PickupReply, AnEmptyReplyIs400WithTheErrorAtTheField) {
  auto [session, csrf] = sign_in();
  auto r = post_reply(session, {{"csrf", csrf}, {"reply", " \r\n\t"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("aria-describedby=\"reply-hint reply-error\" aria-invalid=\"true\""), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("<p class=\"error\" id=\"reply-error\">Write your reply before sending it.</p>"),
            std::string::npos);
  EXPECT_NE(r.body.find("Dear Bob, see the figures."), std::string::npos) << "the message is still shown";
  EXPECT_TRUE(replies_.empty());
}

TEST_F(PickupReply, RevokedOrLockedMessagesCannotBeRepliedTo) {
  auto [session, csrf] = sign_in();
  ASSERT_TRUE(ledger_->wrong_code(ref_, 1, now_ + 900));  // locked (as after five wrong codes)
  EXPECT_EQ(post_reply(session, {{"csrf", csrf}, {"reply", "Hello"}}).status, 429);
  now_ += 901;
  ASSERT_TRUE(revoke(*ledger_, *vault_, ref_, "by the operator", now_));
  auto r = post_reply(session, {{"csrf", csrf}, {"reply", "Hello"}});
  EXPECT_EQ(r.status, 410);
  EXPECT_TRUE(r.clear_session);
  EXPECT_TRUE(replies_.empty());
}

TEST_F(PickupReply, TheQueueRefusingMeansNotSentAndNotTold) {
  auto [session, csrf] = sign_in();
  refuse_replies_ = true;
  EXPECT_EQ(post_reply(session, {{"csrf", csrf}, {"reply", "Hello"}}).status, 503);
  EXPECT_EQ(told("replied"), 0u);
  EXPECT_TRUE(ledger_->events(ref_).back().kind != "replied");
}

TEST_F(PickupReply, RepliesAreLimitedPerMessage) {
  auto [session, csrf] = sign_in();
  for (int i = 0; i < kMaxReplies; ++i)
    ASSERT_EQ(post_reply(session, {{"csrf", csrf}, {"reply", "Reply " + std::to_string(i)}}).status, 200);
  auto r = post_reply(session, {{"csrf", csrf}, {"reply", "One more"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("(20) have been sent"), std::string::npos) << r.body;
  EXPECT_EQ(replies_.size(), static_cast<std::size_t>(kMaxReplies));
  auto page = request("GET", "/read", session);
  EXPECT_NE(page.body.find("(20) have been sent"), std::string::npos);
  EXPECT_EQ(page.body.find("<textarea"), std::string::npos);
}

TEST(PickupReplyMail, SubjectAndParticipants) {
  EXPECT_EQ(reply_subject("Figures"), "Re: Figures");
  EXPECT_EQ(reply_subject("RE: Figures"), "RE: Figures");
  MessageView v;
  v.from_addresses = {"alice@a.example"};
  v.to_addresses = {"bob@example.org", "bad address@x.example", "carol@partner.example"};
  v.cc_addresses = {"Alice@A.example", "dave@a.example\r\nBcc: eve@x.example"};
  auto p = participants(v, "envelope@a.example", "BOB@example.org");
  EXPECT_EQ(p.sender, "alice@a.example");
  EXPECT_EQ(p.others, std::vector<std::string>{"carol@partner.example"}) << "never self, twice, or a header injection";
  EXPECT_EQ(participants(MessageView{}, "envelope@a.example", "bob@example.org").sender, "envelope@a.example");
}

}  // namespace
}  // namespace sm::pickup
