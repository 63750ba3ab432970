// pickup_site_fixture.h - the pickup site on a real vault and ledger with
// one message held for bob@example.org from alice@a.example, the mail it
// would send caught (codes, sender notices, replies); shared by
// pickup_site_test.cpp and pickup_reply_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include "pickup/site.h"
#include "temp_dir.h"

namespace sm::pickup {

constexpr std::string_view kMessage =
    "From: Alice <alice@a.example>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Quarterly <figures>\r\n"
    "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Dear Bob, the figures are attached. <b>not bold</b>\r\n"
    "--b1\r\n"
    "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKc2VjcmV0\r\n"
    "--b1--\r\n";

class PickupSite : public ::testing::Test {
 protected:
  // What a test changes: the options and the message held.
  virtual void configure(SiteOptions&) {}
  virtual std::string_view message() const { return kMessage; }

  void SetUp() override {
    auto vault = Vault::open(dir_.path / "pickup");
    auto ledger = Ledger::open(Ledger::file_in(dir_.path));
    ASSERT_TRUE(vault && ledger);
    vault_.emplace(std::move(*vault));
    ledger_.emplace(std::move(*ledger));
    SiteOptions o;
    o.organisation = "a.example";
    o.public_url = "https://pickup.a.example/";
    o.lock_for = std::chrono::seconds(900);
    o.send_code = [this](const Pickup& p, const std::string& code) -> Result<void> {
      sent_.push_back({p.recipient, code});
      return {};
    };
    o.tell_sender = [this](const Pickup& p, const Event& e) { told_.push_back(p.sender + " " + e.kind + " " + e.detail); };
    o.now = [this] { return now_; };
    o.send_reply = [this](const Pickup&, const Reply& r) -> Result<void> {
      if (refuse_replies_) return std::unexpected(Error{451, "4.3.0", "queue full"});
      replies_.push_back(r);
      return {};
    };
    configure(o);
    site_.emplace(*ledger_, *vault_, o);
    token_ = new_token();
    Pickup p;
    p.ref = new_reference();
    p.sender = "alice@a.example";
    p.recipient = "bob@example.org";
    p.from_domain = "a.example";
    p.created = now_;
    p.expires = now_ + 14 * 86400;
    p.state = "waiting";
    p.sealed_key = *vault_->put(p.ref, message());
    p.size = message().size();
    ASSERT_TRUE(ledger_->add(p, token_hash(token_)));
    ref_ = p.ref;
  }

  admin::WebResponse request(std::string method, std::string path, std::string session = {},
                             std::map<std::string, std::string> form = {}) {
    admin::WebRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.session_id = std::move(session);
    r.form = std::move(form);
    return site_->handle(r);
  }
  // The link opened in a browser: its session and CSRF token.
  std::pair<std::string, std::string> open_link() {
    auto r = request("GET", "/p/" + token_);
    EXPECT_EQ(r.status, 200);
    auto s = site_->sessions().find(r.set_session, admin::SessionStore::Clock::now());
    EXPECT_TRUE(s);
    return {s->id, s->csrf};
  }

  // The link opened, a code mailed and typed: the signed-in session and its form token.
  std::pair<std::string, std::string> sign_in() {
    auto [session, csrf] = open_link();
    request("POST", "/p/" + token_, session, {{"csrf", csrf}});
    auto r = request("POST", "/p/" + token_ + "/sign-in", session, {{"csrf", csrf}, {"code", sent_.back().second}});
    auto s = site_->sessions().find(r.set_session, admin::SessionStore::Clock::now());
    EXPECT_TRUE(s);
    return {s->id, s->csrf};
  }

  test_support::TempDir dir_;
  std::optional<Vault> vault_;
  std::optional<Ledger> ledger_;
  std::optional<Site> site_;
  std::int64_t now_ = 1'800'000'000;
  std::string token_, ref_;
  std::vector<std::pair<std::string, std::string>> sent_;
  std::vector<std::string> told_;
  std::vector<Reply> replies_;
  bool refuse_replies_ = false;
};

}  // namespace sm::pickup
